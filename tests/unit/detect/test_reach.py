"""Which rules' hits the hook's fast path may pass over (scanner/detect/reach.py): exactly those whose
secret group is a known shape, read from the parsed regex."""

from __future__ import annotations

import re

import pytest

from scanner.detect.reach import SECRET_SHAPES, wide_shape
from scanner.detect.rules import Rule, load_default_rules
from scanner.record import replace

RULES = load_default_rules()


def test_the_legacy_key_rules_are_wide_and_no_other() -> None:
    """Every legacy-key rule captures 32 hex characters; the others' hits keep deciding."""
    wide = {r.id for r in RULES if wide_shape(r) is not None}
    assert wide == {r.id for r in RULES if r.id.startswith("mindee-legacy-api-key")}
    assert len(wide) == 13


@pytest.mark.parametrize("rule", [r for r in RULES if wide_shape(r) is not None], ids=lambda r: r.id)
def test_every_secret_of_a_wide_rule_has_its_shape(rule: Rule) -> None:
    shape = wide_shape(rule)
    assert shape is not None
    found = 0
    for example in rule.examples_match:
        text = (example["text"] if isinstance(example, dict) else example).encode()
        for m in rule.regex.finditer(text):
            secret = m.group(rule.secret_group)
            if secret:
                assert re.fullmatch(shape, secret), (rule.id, secret)
                found += 1
    assert found


def _with_regex(pattern: str, secret_group: int | str = "secret") -> Rule:
    rule = next(r for r in RULES if r.id == "mindee-legacy-api-key")
    return replace(rule, regex=re.compile(pattern.encode()), secret_group=secret_group)


@pytest.mark.parametrize(
    ("pattern", "secret_group", "wide"),
    [
        (r"key=(?P<secret>[a-f0-9]{32})", "secret", True),
        (r"(?i:key=(?P<secret>[a-f0-9]{32}))(?![a-z])", "secret", True),  # caseless: within the shape
        (r"key=(?P<secret>[a-f0-9]{40})", "secret", False),  # another length
        (r"key=(?P<secret>[a-z0-9]{32})", "secret", False),  # another alphabet
        (r"key=(?P<secret>[a-f0-9]{32}|md_[a-z]{8})", "secret", False),  # a second way in
        (r"key=(?P<secret>[a-f0-9]{32})?(?P<tail>[a-z]{8})", "tail", False),  # the rule reads another group
        (r"key=(?P<name>[a-f0-9]{32})", 1, False),  # no group named secret
        (r"key=\(?P<secret>[a-f0-9]{32}\)|(?P<secret>[g-z]{32})", "secret", False),  # the text, not the group
    ],
)
def test_wide_shape_reads_the_secret_group(pattern: str, secret_group: int | str, wide: bool) -> None:
    assert (wide_shape(_with_regex(pattern, secret_group)) is not None) is wide


def test_each_shape_is_a_superset_of_its_group() -> None:
    for group, shape in SECRET_SHAPES.items():
        for sample in (b"4f9c2a7e1b3d5f60a8c9e2d4b6f10357", b"4F9C2A7E1B3D5F60A8C9E2D4B6F10357"):
            if re.fullmatch(group, sample, re.IGNORECASE):
                assert re.fullmatch(shape, sample)
