"""A realistic, adversarial corpus for detection quality: many languages and file types, planted keys.

`build_corpus(root)` writes the files and returns the ground truth of every planted key (path, line,
secret, kind), plus the files that hold only negatives (placeholders, identifiers, hashes...), so a
test can measure recall and precision through the real CLI. Keys are synthetic, made at run time
with `secrets`; the layout is driven by a seeded `random.Random` so a failure can be replayed.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.testing.paths import DATA

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
B64STD = ALNUM + "+/"
MINDEE_KINDS = ("v2", "v2-long", "legacy")

# Negative classes that must produce no finding at all, from any rule.
STRICT_NEGATIVE_CLASSES = ("placeholder", "identifier")


@dataclass(frozen=True)
class Planted:
    """One key written into the corpus: where it sits (the encoded form's line when encoded)."""

    path: str
    line: int
    secret: str
    kind: str  # "v2", "v2-long", "legacy" (Mindee) or another family such as "aws-id", "github"

    @property
    def is_mindee(self) -> bool:
        return self.kind in MINDEE_KINDS


@dataclass
class Corpus:
    root: Path
    planted: list[Planted] = field(default_factory=list)
    negative_files: dict[str, str] = field(default_factory=dict)  # path -> negative class

    @property
    def mindee(self) -> list[Planted]:
        return [p for p in self.planted if p.is_mindee]


# -- synthetic keys ------------------------------------------------------------------------------


def _body(alphabet: str, size: int) -> str:
    """A uniformly random body with both cases, like every generated key."""
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(size))
        if not (any(c.isupper() for c in alphabet) and any(c.islower() for c in alphabet)):
            return body
        if any(c.isupper() for c in body) and any(c.islower() for c in body):
            return body


def v2_key() -> str:
    return "md_" + _body(ALNUM, 32)


def v2_long_key(edge: bool = False) -> str:
    """md_ + 43 base64url; with `edge`, the body starts and/or ends with - or _."""
    if not edge:
        return "md_" + _body(B64URL, 43)
    first, last = secrets.choice(["-", "_", ""]), secrets.choice(["-", "_"])
    if not first and secrets.randbelow(2):
        first, last = secrets.choice("-_"), ""
    return "md_" + first + _body(B64URL, 43 - len(first) - len(last)) + last


def legacy_key() -> str:
    return secrets.token_hex(16)


def _aws_id() -> str:
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))


def _aws_secret() -> str:
    return _body(ALNUM + "+/", 40)


OTHER_KEYS: dict[str, Callable[[], str]] = {
    "aws-id": _aws_id,
    "github": lambda: secrets.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + _body(ALNUM, 36),
    "github-pat": lambda: "github_pat_" + _body(ALNUM, 22) + "_" + _body(ALNUM, 59),
    "gitlab": lambda: "glpat-" + _body(ALNUM + "-_", 20),
    "slack": lambda: (
        f"xox{secrets.choice('bpa')}-{secrets.randbelow(10**12):012d}-{secrets.randbelow(10**12):012d}-"
        + _body(ALNUM, 24)
    ),
    "stripe": lambda: secrets.choice(["sk_live_", "rk_live_"]) + _body(ALNUM, 24 + secrets.randbelow(75)),
    "google": lambda: "AIza" + _body(ALNUM + "-_", 35),
    "openai": lambda: "sk-proj-" + _body(ALNUM + "-_", 74) + "T3BlbkFJ" + _body(ALNUM + "-_", 74),
}


def _pem_key() -> str:
    raw = base64.b64encode(secrets.token_bytes(900)).decode()
    lines = [raw[i : i + 64] for i in range(0, len(raw), 64)]
    kind = secrets.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----"


# -- the things that are NOT keys ------------------------------------------------------------------

_WORDS = (  # noqa: SIM905 - a word list reads better as prose
    "convert markdown file into html page render table header parse document invoice receipt extract "
    "field value button primary large rounded shadow card title text wrapper container getting started "
    "with the platform guide reference overview section list item image link anchor footer sidebar nav "
    "menu toggle dark mode theme layout grid column row cell style sheet print export import options "
    "default settings helper utils format date number currency locale string builder writer reader "
    "stream buffer cache index search result query filter sort order page size limit offset"
).split()


def camel_identifier(rng: random.Random, length: int, digits: bool = False) -> str:
    """`md_` + a CamelCase name of exactly `length` body characters (md_ConvertMarkdownFileIntoHtml...)."""
    while True:
        parts: list[str] = []
        while sum(map(len, parts)) < length:
            word = rng.choice(_WORDS)
            parts.append(word.capitalize() if parts or rng.random() < 0.5 else word)
            if digits and rng.random() < 0.25:
                parts.append(rng.choice(["2", "3", "5", "8", "16", "V2", "Utf8", "Html5", "X11", "Md5"]))
        body = "".join(parts)
        if len(body) == length:
            return "md_" + body


def snake_identifier(rng: random.Random, length: int, mixed: bool = False) -> str:
    """`md_` + snake/Doxygen-like name of exactly `length` characters (md_docs_Getting_Started...)."""
    while True:
        parts: list[str] = []
        while len("_".join(parts)) < length:
            word = rng.choice(_WORDS)
            if mixed and rng.random() < 0.6:
                word = word.capitalize()
            parts.append(word)
        body = "_".join(parts)
        if len(body) == length:
            return "md_" + body


def placeholder_keys(rng: random.Random) -> list[str]:
    """Placeholders a README or a sample config uses, many of them at full key length."""
    out = [
        "md_xxx",
        "md_xxxxxxxx",
        "md_" + "x" * 32,
        "md_" + "X" * 32,
        "md_" + "X" * 43,
        "md_" + "0" * 32,
        "md_" + "*" * 32,
        "md_YOUR_MINDEE_API_KEY_HERE",
        "md_YOUR_MINDEE_API_KEY_HERE_XXXXXXXXXXXXXXXXX",
        "md_your_mindee_api_key_goes_here_0123456789",
        "md_YourMindeeApiKeyGoesHere123456",
        "md_REPLACE_ME",
        "md_REPLACE_ME_WITH_YOUR_OWN_KEY_000000000000",
        "md_REPLACEME" + "0" * 20,
        "md_REPLACEMEWITHYOURKEYxxxxxxxxxx",
        "md_replace_me_replace_me_replace_me_replace",
        "md_ReplaceMeWithYourRealMindeeKey",
        "md_abcdefghijklmnopqrstuvwxyzABCDEF",
        "md_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        "md_1234567890abcdefghijklmnopqrstuv",
        "md_0123456789abcdefABCDEF0123456789",
        "md_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
        "md_ExampleKeyExampleKeyExampleKey",
        "md_EXAMPLE_KEY_DO_NOT_USE_IN_PRODUCTION_1234",
        "md_dummyKeyForUnitTests0123456789",
        "md_FakeKeyForTestingPurposesOnly1",
        "md_testkeytestkeytestkeytestkey12",
        "md_SampleApiKeyForDocumentation01",
        "md_PlaceholderApiKeyValue12345678",
        "md_INSERT_YOUR_API_KEY_HERE_PLEASE_THANKS_42",
        "md_<your-api-key>",
        "md_<YOUR_MINDEE_API_KEY>",
        "md_${MINDEE_KEY_SUFFIX}",
        "md_{{ mindee_key }}",
        "md_16Nh*****",
        "md_16Nh" + "*" * 28,
        "md_16Nh" + "X" * 28,
        "md_16Nh...GmE",
        "md_16Nh…GmE",
        "md_16Nh••••••••",
        "md_...",
        "md_****************",
        "md_" + "a1" * 16,
        "md_" + "Ab1" * 10 + "Ab",
        "md_" + "xY" * 16,
        "md_QWERTYUIOPasdfghjklZXCVBNM123456",
        "md_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
        "md_AbCdEfGhIjKlMnOpQrStUvWxYz123456",
        "md_ThisIsNotARealMindeeKeyForDocs1",
        "md_SECRET_KEY_PLACEHOLDER_DO_NOT_COMMIT_1234",
        "md_16Nh" + "_" * 36,
        "md_16Nh" + "-" * 36,
        "md_16Nh[REDACTED]",
        "md_16Nh" + "#" * 25,
        "md_" + "1234567890" * 3 + "12",
        "md_abcd1234ABCD1234abcd1234ABCD1234",
        ("md_" + "ConvertMarkdownToHtml" * 3)[:35],
    ]
    rng.shuffle(out)
    return out


def template_values() -> list[str]:
    return [
        "${MINDEE_V2_API_KEY}",
        "${MINDEE_API_KEY:-}",
        "$MINDEE_V2_API_KEY",
        "{{ .Values.mindee.apiKey }}",
        "{{ secrets.MINDEE_V2_API_KEY }}",
        "<YOUR_MINDEE_API_KEY>",
        "<mindee-api-key>",
        "%MINDEE_V2_API_KEY%",
        "#{MINDEE_API_KEY}",
        "$(MINDEE_V2_API_KEY)",
        "{mindee_api_key}",
    ]


def env_lookups() -> list[str]:
    return [
        'os.environ["MINDEE_V2_API_KEY"]',
        'os.getenv("MINDEE_API_KEY")',
        "process.env.MINDEE_V2_API_KEY",
        'ENV.fetch("MINDEE_V2_API_KEY")',
        'System.getenv("MINDEE_API_KEY")',
        'Environment.GetEnvironmentVariable("MINDEE_V2_API_KEY")',
        'os.Getenv("MINDEE_V2_API_KEY")',
        "getenv('MINDEE_V2_API_KEY')",
        'env::var("MINDEE_V2_API_KEY")?',
    ]


def _rand_b64(rng: random.Random, n: int, alphabet: str = B64STD) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# -- file assembly ---------------------------------------------------------------------------------


@dataclass
class _Doc:
    """A file being written: lines of text plus the secrets planted in it and where."""

    lines: list[str] = field(default_factory=list)
    marks: list[tuple[str, str, str]] = field(default_factory=list)  # (secret, kind, locator)

    def add(self, text: str, *plants: tuple[str, str] | tuple[str, str, str]) -> None:
        self.lines.extend(text.split("\n"))
        for p in plants:
            secret, kind = p[0], p[1]
            locator = p[2] if len(p) == 3 else secret
            self.marks.append((secret, kind, locator))

    def text(self) -> str:
        return "\n".join(self.lines)


class _Writer:
    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.corpus = Corpus(root)

    def write(
        self,
        rel: str,
        doc: _Doc,
        *,
        newline: str = "\n",
        encoding: str = "utf-8",
        final_newline: bool = True,
        bad_bytes: bool = False,
        negative: str | None = None,
    ) -> None:
        text = doc.text() + ("\n" if final_newline else "")
        for secret, kind, locator in doc.marks:
            idx = text.find(locator)
            assert idx >= 0, (rel, locator)
            assert text.count(locator) == 1, (rel, "locator must be unique", locator[:20])
            self.corpus.planted.append(Planted(rel, text.count("\n", 0, idx) + 1, secret, kind))
        text = text.replace("\n", newline)
        bom = "\ufeff".encode("utf-16-le")
        data = bom + text.encode("utf-16-le") if encoding == "utf-16" else text.encode("utf-8")
        if bad_bytes:
            data = data.replace(b"@@BAD@@", b"\xff\xfe\xc3\x28\x80")
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if negative:
            self.corpus.negative_files[rel] = negative


# The templates and filler are data: tests/data/corpus-templates.yaml says what each table holds.
_TABLES = yaml.safe_load((DATA / "corpus-templates.yaml").read_text(encoding="utf-8"))
_FILLER: dict[str, list[str]] = _TABLES["filler"]
_V2_TEMPLATES: dict[str, list[str]] = _TABLES["v2_templates"]
_LEGACY_TEMPLATES: dict[str, list[str]] = _TABLES["legacy_templates"]
_LEGACY_NEGATIVES: list[str] = _TABLES["legacy_negatives"]
_V2_LANG_EXT: dict[str, list[str]] = _TABLES["v2_lang_ext"]
_FILLER_LANG: dict[str, str] = _TABLES["filler_lang"]


def _filler(rng: random.Random, lang: str, n: int) -> str:
    pool = _FILLER.get(lang, _FILLER["txt"])
    return "\n".join(rng.choice(pool) for _ in range(n))


def _name(rng: random.Random, lang: str, n: int) -> str:
    ext = rng.choice(_V2_LANG_EXT[lang])
    folder = rng.choice(["src", "app", "config", "deploy", "docs", "scripts", "lib/internal", "examples", "ops/k8s"])
    if ext == "Dockerfile":
        return f"{folder}/svc{n}/Dockerfile"
    if ext == "env":
        return f"{folder}/svc{n}/.env" if rng.random() < 0.5 else f"{folder}/svc{n}.env"
    return f"{folder}/{lang}_{n}.{ext}"


def _pick_v2(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.5:
        return v2_key(), "v2"
    return v2_long_key(edge=r > 0.8), "v2-long"


def _fill(template: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    plants: list[tuple[str, str]] = []
    values: dict[str, str] = {}
    for slot in ("k", "k2"):
        if "{" + slot + "}" in template:
            key, kind = _pick_v2(rng)
            values[slot] = key
            plants.append((key, kind))
    if "{h}" in template:
        h = legacy_key()
        values["h"] = h
        plants.append((h, "legacy"))
    return template.format(**values), plants


def _positive_files(w: _Writer, rng: random.Random, copies: int) -> None:
    n = 0
    for templates, filler_of in ((_V2_TEMPLATES, None), (_LEGACY_TEMPLATES, None)):
        del filler_of
        for lang, items in templates.items():
            for template in items:
                for _ in range(copies):
                    n += 1
                    doc = _Doc()
                    flang = _FILLER_LANG.get(lang, lang)
                    doc.add(_filler(rng, flang, rng.randint(1, 12)))
                    snippet, plants = _fill(template, rng)
                    doc.add(snippet, *plants)
                    if rng.random() < 0.3:  # a second, unrelated snippet in the same file
                        other_lang = lang if lang in templates else "misc"
                        snippet2, plants2 = _fill(rng.choice(templates[other_lang]), rng)
                        if not any(p[0] in doc.text() for p in plants2):
                            doc.add(_filler(rng, flang, rng.randint(0, 3)))
                            doc.add(snippet2, *plants2)
                    if rng.random() < 0.4:
                        doc.add(_filler(rng, flang, rng.randint(1, 8)))
                    final_nl = rng.random() > 0.15  # key near the end with no newline
                    crlf = rng.random() < 0.15
                    w.write(_name(rng, lang, n), doc, newline="\r\n" if crlf else "\n", final_newline=final_nl)


def _special_files(w: _Writer, rng: random.Random) -> None:
    """The messy files: notebooks, k8s secrets, minified JS, UTF-16, bad bytes, EOF without newline."""
    for i in range(12):
        k1, kind1 = _pick_v2(rng)
        k2, kind2 = _pick_v2(rng)
        h = legacy_key()
        nb = {
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": ["# Invoice extraction\n", "Set your key."]},
                {
                    "cell_type": "code",
                    "execution_count": 1,
                    "metadata": {},
                    "outputs": [],
                    "source": [
                        "from mindee import ClientV2\n",
                        f'client = ClientV2("{k1}")\n',
                        f'os.environ["MINDEE_API_KEY"] = "{h}"',
                    ],
                },
                {
                    "cell_type": "code",
                    "execution_count": 2,
                    "metadata": {},
                    "outputs": [
                        {"name": "stdout", "output_type": "stream", "text": [f"Using key {k2}\n", "done\n"]},
                        {"data": {"text/plain": ["'ok'"]}, "output_type": "execute_result"},
                    ],
                    "source": ["print(f'Using key {api_key}')"],
                },
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        doc = _Doc()
        doc.add(json.dumps(nb, indent=1), (k1, kind1), (k2, kind2), (h, "legacy"))
        w.write(f"notebooks/analysis_{i}.ipynb", doc)

    for i in range(10):
        k1, kind1 = _pick_v2(rng)
        k2, kind2 = _pick_v2(rng)
        h = legacy_key()
        e1 = base64.b64encode(k1.encode()).decode()
        e2 = base64.b64encode(h.encode()).decode()
        env_blob = base64.b64encode(f"MINDEE_V2_API_KEY={k2}\nLOG_LEVEL=info\n".encode()).decode()
        doc = _Doc()
        doc.add(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: mindee-credentials\n  namespace: prod\n"
            "type: Opaque\ndata:\n"
            f"  MINDEE_V2_API_KEY: {e1}\n  MINDEE_API_KEY: {e2}\n  app.env: {env_blob}",
            (k1, kind1, e1),
            (h, "legacy", e2),
            (k2, kind2, env_blob),
        )
        w.write(f"ops/k8s/secret-{i}.yaml", doc)

    for i in range(4):
        k, kind = _pick_v2(rng)
        parts: list[str] = []
        size = 0
        while size < 100_000:
            n = len(parts)
            if n == 700 + 100 * i:  # the key sits somewhere in the middle of the 100 kB line
                parts.append(f'var cfg={{apiKey:"{k}",region:"eu"}};')
            elif n % 2:
                parts.append(f"function f{n}(a,b){{return a.map(function(x){{return x*b+{n}}})}};")
            else:
                parts.append(f"var v{n}=document.querySelectorAll('.md_card_{n}'),t{n}=\"{_rand_b64(rng, 40)}\";")
            size += len(parts[-1])
        doc = _Doc()
        doc.add("".join(parts), (k, kind))
        w.write(f"dist/bundle.{i}.min.js", doc, final_newline=False)

    for i in range(6):
        k, kind = _pick_v2(rng)
        h = legacy_key()
        doc = _Doc()
        text = f'# settings\r\n$env:MINDEE_V2_API_KEY = "{k}"\r\n$env:MINDEE_API_KEY = "{h}"'
        doc.add(text, (k, kind), (h, "legacy"))
        w.write(f"windows/setup_{i}.ps1", doc, encoding="utf-16")

    for i in range(6):
        k, kind = _pick_v2(rng)
        doc = _Doc()
        doc.add("caf@@BAD@@ latin1 line\n" + f'@@BAD@@ key = "{k}" @@BAD@@\nend @@BAD@@', (k, kind))
        w.write(f"legacy/latin_{i}.txt", doc, bad_bytes=True)

    for i in range(8):
        k, kind = _pick_v2(rng)
        doc = _Doc()
        doc.add(f"LOG_LEVEL=debug\nMINDEE_V2_API_KEY={k}", (k, kind))
        w.write(f"eof/svc{i}/.env", doc, final_newline=False)


def _other_family_files(w: _Writer, rng: random.Random, copies: int) -> None:
    """The credentials a Mindee user also leaks, so the rest of the rule set is measured too."""
    shapes = {
        "aws-id": ["aws_access_key_id = {s}", 'AWS_ACCESS_KEY_ID="{s}"'],
        "github": ["GITHUB_TOKEN={s}", 'token: "{s}"'],
        "github-pat": ["GH_TOKEN={s}"],
        "gitlab": ["GITLAB_TOKEN={s}", "private_token: {s}"],
        "slack": ["SLACK_BOT_TOKEN={s}", 'slack_token = "{s}"'],
        "stripe": ["STRIPE_SECRET_KEY={s}", "stripe.api_key = '{s}'"],
        "google": ['GOOGLE_MAPS_KEY="{s}"', "const mapsKey = '{s}';"],
        "openai": ["OPENAI_API_KEY={s}", 'client = OpenAI(api_key="{s}")'],
    }
    n = 0
    for kind, templates in shapes.items():
        for template in templates:
            for _ in range(copies):
                n += 1
                s = OTHER_KEYS[kind]()
                doc = _Doc()
                doc.add(_filler(rng, "sh", rng.randint(1, 4)))
                doc.add(template.format(s=s), (s, kind))
                w.write(f"other/{kind}_{n}.{rng.choice(['env', 'py', 'yaml', 'txt'])}", doc)
    for i in range(copies):
        aid, sec = _aws_id(), _aws_secret()
        doc = _Doc()
        text = f"[default]\naws_access_key_id = {aid}\naws_secret_access_key = {sec}"
        doc.add(text, (aid, "aws-id"), (sec, "aws-secret"))
        w.write(f"other/aws_{i}/credentials", doc)
        upper = string.ascii_uppercase + string.digits
        hook = f"https://hooks.slack.com/services/T{_body(upper, 10)}/B{_body(upper, 10)}/{_body(ALNUM, 24)}"
        doc = _Doc()
        doc.add(f'SLACK_WEBHOOK_URL="{hook}"', (hook, "slack-webhook"))
        w.write(f"other/slack_hook_{i}.env", doc)
        pem = _pem_key()
        doc = _Doc()
        doc.add(pem, (pem, "pem", pem.split("\n", 1)[0]))
        w.write(f"other/keys/id_{i}.pem", doc)
        sa = {"type": "service_account", "project_id": "demo", "private_key": _pem_key() + "\n"}
        text = json.dumps(sa, indent=2)
        doc = _Doc()
        first = json.dumps(sa["private_key"])[1:].split("\\n", 1)[0]
        doc.add(text, (sa["private_key"].rstrip("\n").replace("\n", "\\n"), "pem", first))
        w.write(f"other/gcp/sa_{i}.json", doc)
        gen = _body(ALNUM, 24)
        while not any(c.isdigit() for c in gen):
            # generic-secret's documented contract: letters and digits (1.5% of 24 random letters and
            # digits have no digit, which made this test fail now and then).
            gen = _body(ALNUM, 24)
        doc = _Doc()
        doc.add(f'DB_PASSWORD = "{gen}"\nlog_level = "info"', (gen, "generic"))
        w.write(f"other/generic_{i}.py", doc)


def _negative_files(w: _Writer, rng: random.Random) -> None:
    """Files that hold only things that are not keys; each file belongs to one negative class."""
    n = 0

    def put(cls: str, lines: list[str], ext: str) -> None:
        nonlocal n
        n += 1
        doc = _Doc()
        doc.add(_filler(rng, "txt", 2))
        for line in lines:
            doc.add(line)
        w.write(f"neg/{cls}/f{n}.{ext}", doc, negative=cls)

    placeholders = placeholder_keys(rng)
    wrappers = _TABLES["placeholder_wrappers"]
    for i in range(0, len(placeholders), 3):
        lines = [rng.choice(wrappers).format(p=p) for p in placeholders[i : i + 3]]
        put("placeholder", lines, rng.choice(["env", "md", "py", "yaml", "json", "sh"]))
    for value in template_values() + env_lookups():
        lines = [w2.format(p=value) for w2 in rng.sample(wrappers, 3)]
        put("placeholder", lines, rng.choice(["env", "md", "py", "yaml"]))
    put(
        "placeholder",
        _TABLES["placeholder_lines"],
        "md",
    )

    idents: list[str] = ["md_to_html_converter", "md_README", "md_docs_getting_started", "md_button"]
    for length in (32, 32, 32, 43, 43, 43):
        idents.append(camel_identifier(rng, length))
        idents.append(camel_identifier(rng, length, digits=True))
        idents.append(snake_identifier(rng, length))
        idents.append(snake_identifier(rng, length, mixed=True))
    ident_wrappers = _TABLES["identifier_wrappers"]
    for i in range(0, len(idents), 2):
        lines = [rng.choice(ident_wrappers).format(p=p) for p in idents[i : i + 2]]
        put("identifier", lines, rng.choice(["py", "js", "css", "html", "md", "h", "ts"]))

    for _ in range(25):
        u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        put(
            "uuid",
            [
                f"MINDEE_V2_MODEL_ID={u}",
                f'params = InferenceParameters(model_id="{u}")',
                f'  "modelId": "{u}",',
                f"model_id: {uuid.UUID(int=rng.getrandbits(128), version=4).hex}",
                f"webhook_ids = ['{uuid.UUID(int=rng.getrandbits(128), version=4)}']",
            ],
            rng.choice(["env", "py", "json", "yaml"]),
        )
    for _ in range(25):
        put(
            "hash",
            [
                f"md5: {_hex(rng, 32)}",
                f"sha1  {_hex(rng, 40)}  file.bin",
                f"sha256:{_hex(rng, 64)}",
                f"commit {_hex(rng, 40)}",
                f"Merge: {_hex(rng, 7)} {_hex(rng, 7)}",
                f'  "integrity": "sha512-{_rand_b64(rng, 86)}==",',
                f'  resolved "https://registry.yarnpkg.com/x/-/x-1.0.0.tgz#{_hex(rng, 40)}"',
                f'  {{file = "mindee-4.1.0.tar.gz", hash = "sha256:{_hex(rng, 64)}"}},',
                f"github.com/mindee/mindee-go v1.2.0 h1:{_rand_b64(rng, 43)}=",
                f'checksum = "{_hex(rng, 64)}"',
                f"{_hex(rng, 32)}  mindee-4.1.0.tar.gz",
            ],
            rng.choice(["lock", "sum", "txt", "toml", "json"]),
        )
    for _ in range(30):
        lines = []
        for _ in range(4):
            alphabet = rng.choice([B64STD, B64URL])
            blob = _rand_b64(rng, rng.randint(60, 200), alphabet)
            pos = rng.randint(1, len(blob) - 2)
            body = _body(ALNUM if rng.random() < 0.5 else B64URL, rng.choice([32, 43]))
            blob = blob[:pos] + "md_" + body + blob[pos:]
            lines.append(rng.choice(["data: {b}", '"blob": "{b}",', "{b}", "  image/png;base64,{b}"]).format(b=blob))
        put("base64", lines, rng.choice(["txt", "json", "yaml", "html"]))
    for _ in range(40):
        h = _hex(rng, 32)
        put("legacy-hex", [rng.choice(_LEGACY_NEGATIVES).format(h=h)], rng.choice(["txt", "log", "py", "env", "yaml"]))


def build_corpus(root: Path, seed: int = 0, copies: int = 3) -> Corpus:
    """Write the corpus under `root` and return its ground truth."""
    rng = random.Random(seed)
    w = _Writer(root, rng)
    _positive_files(w, rng, copies)
    _special_files(w, rng)
    _other_family_files(w, rng, copies)
    _negative_files(w, rng)
    return w.corpus
