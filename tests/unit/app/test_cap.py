"""A scan keeps at most MAX_FINDINGS_PER_SCAN findings, the most important, and says how many it left out."""

from __future__ import annotations

import random

from scanner.app.cap import DistinctFindings, FindingsCap, importance
from scanner.model import Finding, ScanStats
from tests.testing.findings import make_finding


def _finding(i: int, mindee: bool = False, confidence: str = "high", path: str = "a.py") -> Finding:
    rule = "mindee-api-key" if mindee else "generic-secret"
    return make_finding(rule, "d", "high", path, i + 1, 1, f"secret-{i:06d}-{rule}", confidence=confidence)


def test_under_the_cap_nothing_changes_order_included() -> None:
    found = [_finding(i) for i in range(50)]
    random.Random(1).shuffle(found)
    kept = FindingsCap(cap=50)
    kept.add(found[:20])
    kept.add(found[20:])
    stats = ScanStats()
    assert kept.take() == found
    kept.note(stats)
    assert stats.notes == [] and stats.findings_over_cap == 0


def test_over_the_cap_the_most_important_are_kept_and_the_rest_counted() -> None:
    generic = [_finding(i) for i in range(1000)]
    low = [_finding(5000 + i, mindee=True, confidence="low") for i in range(5)]
    mindee = [_finding(9000 + i, mindee=True) for i in range(3)]
    order = [*generic[:500], *low, *generic[500:], *mindee]  # the Mindee keys come last
    kept = FindingsCap(cap=100)
    for f in order:
        kept.add([f])
    stats = ScanStats()
    held = kept.take()
    kept.note(stats)
    assert len(held) == 100
    assert held[:3] == mindee and held[3:8] == low  # high-confidence Mindee keys first, then the low ones
    assert kept.dropped == len(order) - 100
    assert stats.findings_over_cap == len(order) - 100
    assert f"{len(order) - 100} more finding(s) not reported" in stats.notes[0]


def test_what_is_kept_does_not_depend_on_arrival_order() -> None:
    found = [_finding(i, mindee=i % 7 == 0, path=f"f{i % 13}.py") for i in range(700)]
    results = []
    for seed in range(3):
        shuffled = found[:]
        random.Random(seed).shuffle(shuffled)
        kept = FindingsCap(cap=64)
        for start in range(0, len(shuffled), 50):
            kept.add(shuffled[start : start + 50])
        results.append(sorted(kept.take(), key=importance))
    assert results[0] == results[1] == results[2]


def test_held_findings_share_equal_ones_and_keep_mindee_room() -> None:
    held = DistinctFindings(budget=10)
    same = [_finding(1) for _ in range(500)]  # one key in 500 revisions
    kept = held.keep(same)
    assert len(kept) == 500 and all(k is kept[0] for k in kept)
    generic = held.keep([_finding(100 + i) for i in range(50)])
    assert len(generic) == 9 and held.dropped == 41
    mindee = held.keep([_finding(500 + i, mindee=True) for i in range(12)])
    assert len(mindee) == 10 and held.dropped == 43


def test_held_places_are_bounded_too() -> None:
    """One key in more blobs than the place budget: the places past it are counted, not held."""
    held = DistinctFindings(budget=10, max_places=300)
    kept = held.keep([_finding(1) for _ in range(500)])
    assert len(kept) == 300 and held.dropped == 200
