"""One prefilter pass over many small texts joined by newlines: it must flag every text in which a
scan of that text alone finds something, whatever the engine, and list binary or UTF-16 data as is."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scanner.config import Config, load_config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.detect.prefilter import Prefilter, Trigger, hyperscan_available
from scanner.detect.regex import edge_sensitive
from scanner.model import Finding
from tests.testing.corpus import build_corpus
from tests.testing.keys import v1_key, v2_key

ENGINES = [False, *([True] if hyperscan_available() else [])]


@pytest.mark.parametrize(
    ("pattern", "sensitive"),
    [
        (rb"md_[A-Za-z0-9]{32}", False),
        (rb"(?i)(?m:^[ \t]*from[ \t]+mindee)", False),  # any line's start: a separator is a line start
        (rb"client[^\n]{0,60}[a-f0-9]{32}", False),
        (rb"price \$[0-9]+", False),  # an escaped dollar is a character, not the end
        (rb"^md_", True),
        (rb"md_[a-z]+$", True),
        (rb"\Amd_", True),
        (rb"md_\Z", True),
        (rb"key(?=[=:])", True),
        (rb"(?<![a-z])md_", True),
        (rb"\\$", True),  # an escaped backslash, then the end
    ],
)
def test_patterns_that_look_at_the_edges_of_the_data_are_recognised(pattern: bytes, sensitive: bool) -> None:
    assert edge_sensitive(pattern) is sensitive


def test_an_anchored_trigger_makes_the_prefilter_scan_texts_one_by_one() -> None:
    assert Prefilter([Trigger("a", pattern=rb"md_[a-z]{4}")], use_hyperscan=False).joinable
    assert not Prefilter([Trigger("a", pattern=rb"^md_[a-z]{4}")], use_hyperscan=False).joinable


@pytest.mark.parametrize("hyperscan", ENGINES)
def test_the_joined_pass_flags_every_text_a_lone_scan_finds_something_in(tmp_path: Path, hyperscan: bool) -> None:
    builder = FindingBuilder(build_detector(Config(), use_hyperscan=hyperscan))
    assert builder.detector.joinable
    corpus_root = tmp_path / "corpus"
    build_corpus(corpus_root, seed=7, copies=1)
    texts = [p.read_bytes() for p in sorted(corpus_root.rglob("*")) if p.is_file() and p.stat().st_size < 32768]
    texts += [
        f"Fix login\n\nMINDEE_API_KEY={v2_key()}\n".encode(),
        f"mindee client('{v1_key()}')".encode(),  # a legacy key with its context in the same short text
        "\ufeffMINDEE_API_KEY=md_".encode("utf-16-le") + v2_key()[3:].encode("utf-16-le"),
        b"\x89PNG\r\n\x1a\n\x00\x00" + v2_key().encode(),
        b"",
        b"no secrets here\n",
    ]
    random.Random(3).shuffle(texts)
    for size in (1, 7, len(texts)):
        for start in range(0, len(texts), size):
            batch = texts[start : start + size]
            flagged = set(builder.needing_scan(batch))
            for i, text in enumerate(batch):
                found, binary = builder.from_bytes(text, "x.txt")
                if found or binary or text[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    assert i in flagged, (size, text[:80])
            # Hits handed over from the joined pass give what the text's own pass gives.
            for i, hits in builder.prefilter_group(batch):
                if hits is not None:
                    assert _dicts(builder.from_bytes(batch[i], "x.txt", hits)) == _dicts(
                        builder.from_bytes(batch[i], "x.txt")
                    )
    # and it does prune: most corpus files hold nothing
    assert len(builder.needing_scan(texts)) < len(texts)


def test_a_text_without_hits_is_not_flagged_even_beside_one_with_hits() -> None:
    builder = FindingBuilder(build_detector(Config()))
    texts = [b"just a commit message\n", f"MINDEE_API_KEY={v2_key()}\n".encode(), b"another one\n"]
    assert builder.needing_scan(texts) == [1]


def test_a_text_where_only_a_rule_s_file_level_context_matches_is_not_flagged() -> None:
    """A context pattern (here the rotation rule's "revoked") only tells whether a file talks about
    Mindee: alone it can give no finding, so it never makes a text worth scanning on its own."""
    builder = FindingBuilder(build_detector(Config()))
    texts = [b"the old certificate was revoked after rotation\n", b"plain\n"]
    assert builder.needing_scan(texts) == []
    for text in texts:
        assert builder.from_bytes(text, "x.txt") == ([], False)


def _dicts(result: tuple[list[Finding], bool]) -> tuple[list[dict[str, object]], bool]:
    return [f.to_dict() for f in result[0]], result[1]


@pytest.mark.skipif(not hyperscan_available(), reason="hits are handed over from Hyperscan passes only")
def test_hits_are_handed_over_only_where_the_joined_pass_found_what_the_text_alone_gives(tmp_path: Path) -> None:
    """A user rule whose prefilter pattern can match the newline that joins two texts: its hit there
    starts in the first text and ends in the second, so neither gets hits handed over (a scan of the
    second alone finds nothing); a text whose hits all lie inside it gets them."""
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "rules:\n"
        "  add:\n"
        "    - id: spaced-token\n"
        "      description: a token after white space\n"
        "      regex: '\\s(?P<secret>tok_[a-z0-9]{16})'\n"
        "      hyperscan: '\\stok_[a-z0-9]{16}'\n"
        "      keywords: [tok_]\n"
        "      decode_line: false\n"
        "      examples: {match: ['x tok_q7w2k9x4m1z8r5t3']}\n"
    )
    builder = FindingBuilder(build_detector(load_config(str(config), tmp_path)))
    # The first text holds a hit of its own, so the pass that places hits reads it (a text without
    # any is left out before: `Prefilter.texts_hit`, tests/unit/detect/test_first_pass.py).
    texts = [b"x tok_k2m9q4w7z1r8t5v3 abc", b"tok_q7w2k9x4m1z8r5t3 said nothing\n", b"say tok_h3j8v2n6p4c9b1x7\n"]
    groups = dict(builder.prefilter_group(texts))
    assert sorted(groups) == [0, 1, 2]  # the crossing hit touches the first two texts
    assert groups[0] is None and groups[1] is None
    assert groups[2] == {"spaced-token": [(3, 24)]}
    assert builder.from_bytes(texts[1], "b.txt") == ([], False)
    found, _ = builder.from_bytes(texts[2], "c.txt", groups[2])
    assert [f.to_dict() for f in found] == [f.to_dict() for f in builder.from_bytes(texts[2], "c.txt")[0]]
    assert len(found) == 1


def test_hits_are_not_handed_over_for_rules_that_need_more_than_their_hits() -> None:
    """A legacy key needs its file's context (a mention of Mindee anywhere): the joined pass answers
    that for all texts at once, so such a text is scanned on its own."""
    builder = FindingBuilder(build_detector(Config()))
    texts = [b"plain\n", f"import mindee\nclient = Client('{v1_key()}')\n".encode()]
    assert builder.prefilter_group(texts) == [(1, None)]
