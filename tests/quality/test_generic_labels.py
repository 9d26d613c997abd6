"""The generic rule's label table (tests/quality/generic_labels.tsv) is complete and well formed.

The precision measurement itself scans whole trees and is run by hand (see docs/rules.md):
    .venv/bin/python -m tests.quality.generic_precision NAME=PATH ...
"""

from __future__ import annotations

from tests.quality.generic_precision import TABLE, load


def test_every_labelled_generic_finding_says_true_or_false_and_why() -> None:
    rows = load()
    assert len(rows) >= 50, TABLE
    assert {r.label for r in rows.values()} <= {"tp", "fp"}
    assert all(r.reason and len(r.secret_hash) == 16 for r in rows.values())
    assert {"tp", "fp"} <= {r.label for r in rows.values()}
