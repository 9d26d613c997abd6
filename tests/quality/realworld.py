"""A corpus of real-world shapes: fixture templates written from how public code passes Mindee keys.

The templates under tests/quality/realworld/ are ordinary files (READMEs, CI files, notebooks, mobile
apps, Postman collections, Terraform, Helm, .env files...) in which every key is a placeholder
`@@kind@@` (or `@@kind#n@@`, the same key used again). `materialise` copies them into a folder with
fresh keys made by `secrets`, and returns the truth: which values are Mindee keys that must be
reported, and which are look-alikes that must not be claimed as Mindee's.

This corpus is data, not a generator: the shapes come from the files, not from the rule authors'
code (tests/testing/corpus.py is that other, generated corpus).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATES = Path(__file__).parent / "realworld"
_PLACEHOLDER = re.compile(r"@@([a-z0-9]+)(?:#([0-9]+))?@@")
_ALNUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits
_B64URL = _ALNUM + "-_"


def _draw(alphabet: str, size: int, check: Callable[[str], bool] = lambda _: True) -> str:
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(size))
        if check(body):
            return body


def _mixed(body: str) -> bool:
    return any(c.isupper() for c in body) and any(c.islower() for c in body)


def _has_digit_and_letter(body: str) -> bool:
    return any(c.isdigit() for c in body) and any(c.isalpha() for c in body)


# kind -> (maker, class). Classes: "mindee" must be reported as a Mindee key; "not-mindee" must never
# be claimed as Mindee's (another vendor's md_ token, a hash); "generic" is another credential.
KINDS: dict[str, tuple[Callable[[], str], str]] = {
    "v2": (lambda: "md_" + _draw(_ALNUM, 32, _mixed), "mindee"),
    "v2lower": (lambda: "md_" + _draw(_LOWER, 32, _has_digit_and_letter), "mindee"),
    "v2long": (lambda: "md_" + _draw(_B64URL, 43, _mixed), "mindee"),
    "v2odd": (lambda: "md_" + _draw(_B64URL, 44, _mixed), "mindee"),
    "legacy": (lambda: secrets.token_hex(16), "mindee"),
    "othermd": (lambda: "md_" + _draw(_ALNUM, 32, _mixed), "not-mindee"),
    "otherlower": (lambda: "md_" + _draw(_LOWER, 32, _has_digit_and_letter), "not-mindee"),
    "hex": (lambda: secrets.token_hex(16), "not-mindee"),
    "sha1": (lambda: secrets.token_hex(20), "not-mindee"),
    "secret": (lambda: _draw(_ALNUM, 32, _has_digit_and_letter), "generic"),
}


@dataclass(frozen=True)
class Planted:
    path: str  # relative to the materialised root, with `/`
    line: int
    secret: str
    kind: str
    group: str  # the template's top folder: the class of file (sdk, ci, notebooks, mobile...)

    @property
    def cls(self) -> str:
        return KINDS[self.kind][1]


@dataclass
class RealWorld:
    root: Path
    planted: list[Planted] = field(default_factory=list)

    def of(self, cls: str) -> list[Planted]:
        return [p for p in self.planted if p.cls == cls]


def templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file())


def materialise(root: Path) -> RealWorld:
    """Write every template under `root` with fresh keys; a `.tmpl` suffix is dropped from the name."""
    out = RealWorld(root)
    for src in templates():
        rel = src.relative_to(TEMPLATES).as_posix().removesuffix(".tmpl")
        text = src.read_bytes().decode("utf-8")  # keeps CRLF templates as they are
        chosen: dict[tuple[str, str], str] = {}
        pieces: list[str] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            kind, ref = m.group(1), m.group(2)
            if kind not in KINDS:
                raise ValueError(f"{rel}: unknown placeholder kind {kind!r}")
            key = (kind, ref) if ref else (kind, f"@{m.start()}")
            if key not in chosen:
                chosen[key] = KINDS[kind][0]()
            value = chosen[key]
            pieces.append(text[pos : m.start()])
            line = "".join(pieces).count("\n") + 1
            pieces.append(value)
            pos = m.end()
            out.planted.append(Planted(rel, line, value, kind, rel.split("/", 1)[0]))
        pieces.append(text[pos:])
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes("".join(pieces).encode("utf-8"))
    return out


@dataclass
class Score:
    """Recall and precision of Mindee keys on the corpus, overall and per file class and key kind."""

    recall: float
    precision: float
    missed: list[Planted]
    false_positives: list[dict[str, object]]
    per_group: dict[str, tuple[int, int]]  # group -> (found, planted)
    per_kind: dict[str, tuple[int, int]]
    planted: int
    reported: int


def claimed_as_mindee(finding: dict[str, object]) -> bool:
    """A finding that says "this is a Mindee key": a mindee-* rule, and no other vendor named."""
    return str(finding["rule_id"]).startswith("mindee-") and not finding.get("other_vendor")


def score(corpus: RealWorld, findings: list[dict[str, object]]) -> Score:
    truth = {(p.path, p.secret) for p in corpus.of("mindee")}
    reported = {(str(f["path"]), str(f["secret"])): f for f in findings if claimed_as_mindee(f)}
    missed = [p for p in corpus.of("mindee") if (p.path, p.secret) not in reported]
    false_pos = [f for key, f in reported.items() if key not in truth]
    per_group: dict[str, tuple[int, int]] = {}
    per_kind: dict[str, tuple[int, int]] = {}
    for p in corpus.of("mindee"):
        hit = int((p.path, p.secret) in reported)
        for table, name in ((per_group, p.group), (per_kind, p.kind)):
            found, total = table.get(name, (0, 0))
            table[name] = (found + hit, total + 1)
    n_truth = len(truth)
    return Score(
        recall=1 - len({(p.path, p.secret) for p in missed}) / max(1, n_truth),
        precision=(len(reported) - len(false_pos)) / max(1, len(reported)),
        missed=missed,
        false_positives=false_pos,
        per_group=per_group,
        per_kind=per_kind,
        planted=n_truth,
        reported=len(reported),
    )


def summary(s: Score) -> str:
    def table(t: dict[str, tuple[int, int]]) -> str:
        return " ".join(f"{k}={f}/{n}" for k, (f, n) in sorted(t.items()))

    return (
        f"Mindee keys planted={s.planted} reported={s.reported} recall={s.recall:.3f} "
        f"precision={s.precision:.3f}\n  per class: {table(s.per_group)}\n  per kind: {table(s.per_kind)}"
    )
