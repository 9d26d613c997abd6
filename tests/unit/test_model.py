"""A finding's identity is hashed once, when it is made, and travels as data; its key never shows by accident."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

import scanner.model
from scanner.app.cap import DistinctFindings, FindingsCap
from scanner.audit.findings import load_findings
from scanner.audit.store import Store
from scanner.audit.task import RepoOutcome
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.model import (
    Decisions,
    Finding,
    Provenance,
    ScanResult,
    ScanStats,
    Secret,
    fingerprint_for,
    secret_hash,
)
from scanner.record import replace
from scanner.report import FORMATS, RenderOptions, render
from scanner.suppress.baseline import Baseline, entries_from_findings
from tests.testing.keys import v1_key, v2_key

# A fixed fake key (the shape of a v2 key, never issued) and its identity as the scanner has always
# computed it: sha256 over a domain prefix and the key. Baselines, ignore files and stores written by
# earlier versions hold these strings, so they must never change.
FAKE_KEY = "md_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv"
FAKE_HASH = "10e570297298ab2ca78b9529be31a727dad6451174576ee3e49e70710c77a0f9"  # from the scanner of a62b517
FAKE_FINGERPRINT = "mindee-api-key:10e570297298ab2ca78b9529"


@pytest.fixture(scope="module")
def builder() -> FindingBuilder:
    return FindingBuilder(build_detector(Config()))


def _old_formula(key: str) -> str:
    return hashlib.sha256(b"mindee-scan/v1:" + key.encode("utf-8", "surrogateescape")).hexdigest()


def test_identity_is_the_old_formula_for_a_fixed_key() -> None:
    assert secret_hash(FAKE_KEY) == _old_formula(FAKE_KEY) == FAKE_HASH
    secret = Secret.of(FAKE_KEY)
    assert secret.hash == FAKE_HASH
    assert fingerprint_for("mindee-api-key", FAKE_KEY) == FAKE_FINGERPRINT


def test_a_found_key_carries_the_old_identity(builder: FindingBuilder) -> None:
    key = v2_key()  # the fixed key above reads as a placeholder to the detector: a random one is found
    [found], _ = builder.from_bytes(f"MINDEE_API_KEY={key}\n".encode(), "a.env")
    expected = (f"{found.rule.id}:{_old_formula(key)[:24]}", _old_formula(key))
    assert (found.fingerprint, found.secret.hash) == expected
    doc = found.to_dict()
    assert (doc["fingerprint"], doc["secret_hash"]) == expected


def test_repr_and_str_never_show_the_key(builder: FindingBuilder) -> None:
    key = v2_key()
    secret = Secret.of(key)
    assert key not in repr(secret) and key not in str(secret) and key not in f"{secret}"
    [found], _ = builder.from_bytes(f"API_KEY = '{key}'  # prod\n".encode(), "a.py")
    for shown in (repr(found), str(found), repr([found]), str({"f": found})):
        assert key not in shown
        assert found.secret.hash[:12] in shown  # still tells two findings apart
    with pytest.raises(ZeroDivisionError) as caught:
        raise ZeroDivisionError(found)
    assert key not in str(caught.value) and key not in repr(caught.value)


def test_the_clear_key_is_reached_only_on_purpose() -> None:
    key = v1_key()
    secret = Secret.of(key)
    assert secret.reveal() == key and secret.known
    assert secret.redacted() != key and secret.redacted(100) == "…"
    with pytest.raises(AttributeError):
        secret.hash = "0" * 64


def test_equality_and_hashing_go_by_identity() -> None:
    key = v2_key()
    a, b = Secret.of(key), Secret.of(key)
    stored = Secret.stored(a.hash, "md_…xyz")  # no clear text, as a store without --store-secrets has it
    assert a == b == stored and hash(a) == hash(stored)
    assert a != Secret.of(v2_key())
    assert len({a, b, stored}) == 1


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every hashing of a clear key, counted; `forbid()` makes any further one fail the test."""
    calls: list[str] = []
    real = scanner.model.secret_hash

    def counting(text: str) -> str:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(scanner.model, "secret_hash", counting)
    yield calls


def _forbid(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> str:
        raise AssertionError("a clear key was hashed again")

    monkeypatch.setattr(scanner.model, "secret_hash", refuse)


def _findings(builder: FindingBuilder, n: int = 6) -> tuple[list[Finding], list[str]]:
    keys = [v2_key() for _ in range(n)]
    text = "".join(f"MINDEE_API_KEY_{i}='{k}'\n" for i, k in enumerate(keys))
    found, _ = builder.from_bytes(text.encode(), "keys.env")
    assert sorted(f.secret.reveal() for f in found) == sorted(keys)
    return found, keys


def test_each_key_is_hashed_once_when_found_and_never_again(
    builder: FindingBuilder, counted: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    found, keys = _findings(builder)
    assert sorted(counted) == sorted(keys)  # one hash per finding, at creation
    _forbid(monkeypatch)
    # Sorting, the per-scan cap, dedup of history findings, pickling to and from a worker ...
    result = ScanResult([*found, *found], ScanStats(files_scanned=1))
    result.sort()
    cap = FindingsCap(cap=3)
    cap.add(result.findings)
    assert len(cap.take()) == 3
    assert len(DistinctFindings().keep(result.findings)) == len(result.findings)
    assert len(set(result.findings)) == len(found)
    assert pickle.loads(pickle.dumps(found)) == found
    # ... baselines, every report format ...
    baseline = Baseline(entries_from_findings(found))
    assert all(baseline.contains(f) for f in found)
    result = ScanResult(list(found), ScanStats(files_scanned=1))
    for fmt in sorted(FORMATS):
        render(result, fmt, RenderOptions())
    # ... and the audit store, written and read back.
    store = Store.open(str(tmp_path / "audit.db"))
    try:
        store.record_outcome(None, RepoOutcome("r", "r", "dir", "full", findings=list(found)))
        back = load_findings(store)
    finally:
        store.close()
    assert sorted(f.fingerprint for f in back) == sorted(f.fingerprint for f in found)


def test_identity_survives_a_store_round_trip_without_the_key(
    builder: FindingBuilder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    found, _ = _findings(builder, 3)
    store = Store.open(str(tmp_path / "audit.db"))
    try:
        store.record_outcome(None, RepoOutcome("r", "r", "dir", "full", findings=list(found)))
        _forbid(monkeypatch)
        back = {f.fingerprint: f for f in load_findings(store)}
    finally:
        store.close()
    assert set(back) == {f.fingerprint for f in found}
    for f in found:
        stored = back[f.fingerprint]
        assert not stored.secret.known  # the store kept no key (no --store-secrets) ...
        assert stored.secret == f.secret and stored.secret.hash == f.secret.hash  # ... yet the identity is whole
        assert stored.redacted == f.redacted
        assert f.secret.reveal() not in repr(stored)


def test_a_finding_is_made_of_parts_each_with_one_meaning(builder: FindingBuilder) -> None:
    key = v2_key()
    [found], _ = builder.from_bytes(f"x = 1\nMINDEE_API_KEY = '{key}'\n".encode(), "conf/a.env")
    assert (found.rule.id, found.rule.verifier, found.rule.confidence) == ("mindee-api-key", "mindee-v2", "high")
    assert (found.where.path, found.where.line, found.where.repo) == ("conf/a.env", 2, None)
    assert found.context.text == f"MINDEE_API_KEY = '{key}'" and found.context.encoding is None
    assert found.history == Provenance() and found.decisions == Decisions()
    assert found.may_verify and found.rule.is_mindee
    # The line context holds the key in clear: its repr shows none of it.
    assert key not in repr(found.context) and "MINDEE_API_KEY" not in repr(found.context)


def test_findings_judged_alike_share_one_judgement(builder: FindingBuilder) -> None:
    found, _ = _findings(builder, 4)
    assert len({id(f.rule) for f in found}) == 1


def test_a_new_rule_or_secret_gets_its_fingerprint_with_it(builder: FindingBuilder) -> None:
    [found], _ = builder.from_bytes(f"MINDEE_API_KEY={v2_key()}\n".encode(), "a.env")
    moved = found.with_changes(where=replace(found.where, line=9))
    assert moved.fingerprint == found.fingerprint and moved.where.line == 9
    other = v2_key()
    rekeyed = found.with_changes(secret=Secret.of(other))
    assert rekeyed.fingerprint == fingerprint_for("mindee-api-key", other)
    renamed = found.with_changes(rule=replace(found.rule, id="generic-secret"))
    assert renamed.fingerprint == f"generic-secret:{found.secret.hash[:24]}"
