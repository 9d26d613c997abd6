"""Every rule's own examples are tests: what must match does, what must not does not."""

from __future__ import annotations

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.rules import Rule, load_default_rules

RULES = load_default_rules()


def _detectors() -> dict[bool, object]:
    return {hs: build_detector(Config(), use_hyperscan=hs) for hs in (True, False)}


DETECTORS = _detectors()


def _cases(kind: str) -> list[tuple[str, object]]:
    out = []
    for rule in RULES:
        examples = rule.examples_match if kind == "match" else rule.examples_no_match
        for i, ex in enumerate(examples):
            out.append(pytest.param(rule, ex, id=f"{rule.id}-{kind}-{i}"))
    return out


@pytest.mark.parametrize("hyperscan", [True, False], ids=["hyperscan", "python"])
@pytest.mark.parametrize(("rule", "example"), _cases("match"))
def test_rule_matches_its_examples(rule: Rule, example: object, hyperscan: bool) -> None:
    text = example["text"] if isinstance(example, dict) else example
    expected = example["secret"] if isinstance(example, dict) else None
    matches = DETECTORS[hyperscan].scan(text.encode())  # type: ignore[attr-defined]
    ours = [m for m in matches if m.rule_id == rule.id]
    assert ours, f"{rule.id} did not match: {text!r} (got {[m.rule_id for m in matches]})"
    if expected is not None:
        assert expected in [m.secret for m in ours]


@pytest.mark.parametrize(("rule", "example"), _cases("no_match"))
def test_rule_rejects_its_counter_examples(rule: Rule, example: str) -> None:
    for hs in (True, False):
        matches = DETECTORS[hs].scan(example.encode())  # type: ignore[attr-defined]
        assert not [m for m in matches if m.rule_id == rule.id], f"{rule.id} matched {example!r}"
