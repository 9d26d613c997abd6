"""The first prefilter pass over joined texts (`Prefilter.texts_hit`, Hyperscan without start-of-match
tracking): it may only narrow which texts the placing pass reads, never change what any text gives.
Every check compares with each text scanned alone, the way a lone file or blob is."""

from __future__ import annotations

import random
import secrets
import string
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detect import prefilter
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.detect.prefilter import Prefilter, Trigger, hyperscan_available
from scanner.model import Finding
from tests.testing.corpus import build_corpus
from tests.testing.keys import v1_key, v2_key

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="the first pass is a Hyperscan pass")


@pytest.fixture(scope="module")
def builder() -> FindingBuilder:
    return FindingBuilder(build_detector(Config()))


def _dicts(result: tuple[list[Finding], bool]) -> tuple[list[dict[str, object]], bool]:
    return [f.to_dict() for f in result[0]], result[1]


def _noise(rng: random.Random, size: int) -> str:
    """Random source-like text: words, assignments, hex and base64-ish runs, punctuation."""
    alphabet = string.ascii_letters + string.digits + " \t\n=:_-'\"{}()[],./+"
    words = ["key", "token", "secret", "pass", "mindee", "client", "api_key", "Authorization", "md_", "import"]
    out: list[str] = []
    while sum(map(len, out)) < size:
        pick = rng.random()
        if pick < 0.2:
            out.append(rng.choice(words))
        elif pick < 0.25:
            out.append(secrets.token_hex(rng.choice((8, 16, 20))))
        else:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
    return "".join(out)


def _texts(tmp_path: Path, builder: FindingBuilder) -> list[bytes]:
    """Rule examples, the synthetic corpus, and noise with planted keys around and across its edges."""
    rng = random.Random(18)
    texts: list[bytes] = []
    for rule in builder.detector.rules:
        for example in rule.examples_match:
            texts.append((example["text"] if isinstance(example, dict) else example).encode())
        texts.extend(text.encode() for text in rule.examples_no_match)
    root = tmp_path / "corpus"
    build_corpus(root, seed=18, copies=1)
    texts += [p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.stat().st_size < 65536]
    planted = [
        lambda: f"MINDEE_API_KEY={v2_key()}",
        lambda: f"from mindee import Client\nclient = Client('{v1_key()}')",
        lambda: f"token {v1_key()}",  # a legacy key without its file's context
        lambda: f'aws_secret_access_key = "{secrets.token_urlsafe(30)[:40]}"',
        lambda: "ghp_" + secrets.token_hex(18),
        lambda: f'DB_PASSWORD = "{secrets.token_urlsafe(18)}"',
        lambda: "md_",  # a key's opening at the very end of a text: its rest is in the next one
        lambda: "Authorization: Bearer ",
    ]
    for _ in range(150):
        parts = [_noise(rng, rng.randint(0, 400))]
        for _ in range(rng.randint(0, 3)):
            parts.append(rng.choice(planted)())
            parts.append(_noise(rng, rng.randint(0, 200)))
        if rng.random() < 0.3:
            parts.append(rng.choice(planted)())  # ends on a key or a key's opening
        texts.append("".join(parts).encode())
    texts += [b"", b"\n", b"plain\n", "\ufeffMINDEE_API_KEY=".encode("utf-16-le") + v2_key().encode("utf-16-le")]
    rng.shuffle(texts)
    return texts


def test_the_first_pass_flags_every_text_a_lone_pass_has_a_hit_in(tmp_path: Path, builder: FindingBuilder) -> None:
    detector = builder.detector
    texts = [t for t in _texts(tmp_path, builder) if t[:2] not in (b"\xff\xfe", b"\xfe\xff")]
    alone = [bool(detector.placed_hits(text)[0]) for text in texts]
    assert any(alone) and not all(alone)
    for size in (1, 2, 5, 40, len(texts)):
        for first in range(0, len(texts), size):
            batch = texts[first : first + size]
            starts, offset = [], 0
            for text in batch:
                starts.append(offset)
                offset += len(text) + 1
            hit = detector.texts_hit(b"\n".join(batch), starts)
            assert hit is not None
            assert hit <= set(range(len(batch)))
            for i in range(len(batch)):
                if alone[first + i]:
                    assert i in hit, batch[i][:120]


def test_grouped_results_are_each_text_s_own_scan(tmp_path: Path, builder: FindingBuilder) -> None:
    """What `dir` and the history scan do with a group: every text listed is scanned with the hits
    handed over (or its own pass), every text not listed gives nothing alone."""
    texts = _texts(tmp_path, builder)
    own = [_dicts(builder.from_bytes(text, "x.txt")) for text in texts]
    assert sum(len(found) for found, _ in own) > 100
    for size in (3, 17, len(texts)):
        for first in range(0, len(texts), size):
            batch = texts[first : first + size]
            listed = dict(builder.prefilter_group(batch))
            for i, text in enumerate(batch):
                if i in listed:
                    assert _dicts(builder.from_bytes(text, "x.txt", listed[i])) == own[first + i]
                else:
                    assert own[first + i] == ([], False), text[:120]


def test_the_first_pass_leaves_out_texts_with_no_hit_before_hits_are_placed(builder: FindingBuilder) -> None:
    texts = [b"nothing here\n", f"MINDEE_API_KEY={v2_key()}\n".encode(), b"the old key was revoked\n", b"x\n"]
    starts = [0, 13, 13 + len(texts[1]) + 1, 13 + len(texts[1]) + 1 + len(texts[2]) + 1]
    assert builder.detector.texts_hit(b"\n".join(texts), starts) == {1}  # "revoked" is a context pattern only
    assert builder.needing_scan(texts) == [1]


def test_dense_hits_are_left_to_the_full_pass(builder: FindingBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past `FIRST_PASS_HITS` hits the first pass gives up (a Python call per hit); the full pass finds
    dense hits as clusters, and the results are those of each text alone."""
    monkeypatch.setattr(prefilter, "FIRST_PASS_HITS", 50)
    dense = " ".join(f"token={secrets.token_urlsafe(18)}" for _ in range(80)).encode()
    texts = [b"plain\n", dense, f"MINDEE_API_KEY={v2_key()}\n".encode()]
    starts = [0, 7, 7 + len(dense) + 1]
    assert builder.detector.texts_hit(b"\n".join(texts), starts) is None
    listed = dict(builder.prefilter_group(texts))
    assert sorted(listed) == [1, 2]
    for i in listed:
        assert _dicts(builder.from_bytes(texts[i], "x.txt", listed[i])) == _dicts(builder.from_bytes(texts[i], "x.txt"))


def test_without_hyperscan_the_first_pass_cannot_tell() -> None:
    assert Prefilter([Trigger("a", pattern=rb"md_[a-z]{4}")], use_hyperscan=False).texts_hit(b"md_abcd", [0]) is None


def test_a_pattern_only_needs_to_end_in_a_text_to_flag_it() -> None:
    """A hit across the newline that joins two texts ends in the second: that one is flagged (the
    placing pass then decides), the first is not (a pass over it alone cannot see the hit)."""
    pf = Prefilter([Trigger("a", pattern=rb"\stok_[a-z]{4}")])
    assert pf.texts_hit(b"abc\ntok_abcd and more\nplain", [0, 4, 23]) == {1}
    assert pf.texts_hit(b"x tok_abcd\nplain", [0, 11]) == {0}
