"""Detection quality on keys written the way other people write them (tests/quality/realworld/).

The corpus is fixture templates modelled on public code: Mindee SDK READMEs and examples in seven
languages, CI files, notebooks, mobile apps, Postman/Insomnia collections, Terraform, Helm,
docker-compose, .env files and key-rotation logs, plus look-alikes that are not Mindee keys. Keys
are synthesised at run time; the scan runs through the installed CLI as users run it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.quality.realworld import RealWorld, claimed_as_mindee, materialise, score, summary, templates
from tests.testing.cli import invoke


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[RealWorld, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("realworld")
    corpus = materialise(root)
    proc = invoke("dir", str(root), "--format", "json", "--show-secrets")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert not doc["stats"]["errors"], doc["stats"]["errors"]
    return corpus, doc["findings"]


@pytest.mark.timeout(300)
def test_mindee_recall_and_precision_on_real_world_shapes(scanned: tuple[RealWorld, list[dict[str, Any]]]) -> None:
    corpus, findings = scanned
    s = score(corpus, findings)
    print("\n" + summary(s))
    details = [f"missed {p.kind} {p.path}:{p.line}" for p in s.missed]
    details += [f"false positive {f['rule_id']} {f['path']}:{f['line']} {f['snippet']!r}" for f in s.false_positives]
    assert s.recall >= 0.99, details
    assert s.precision >= 0.99, details


def test_other_vendors_md_tokens_are_never_sent_to_mindee(scanned: tuple[RealWorld, list[dict[str, Any]]]) -> None:
    corpus, findings = scanned
    others = {(p.path, p.secret) for p in corpus.of("not-mindee")}
    claimed = [f"{f['rule_id']} {f['path']}:{f['line']}" for f in findings if (f["path"], f["secret"]) in others]
    claimed_mindee = [c for c, f in zip(claimed, findings, strict=False) if claimed_as_mindee(f)]
    assert not [
        f"{f['rule_id']} {f['path']}:{f['line']}"
        for f in findings
        if (f["path"], f["secret"]) in others and claimed_as_mindee(f)
    ], claimed_mindee
    # Another vendor's md_ token is still a credential: it is reported, labelled with its vendor.
    labelled = [f for f in findings if (f["path"], f["secret"]) in others and f.get("other_vendor")]
    assert labelled and all(f.get("confidence") in ("low", "medium") and f.get("note") for f in labelled)


def test_the_corpus_covers_every_class_of_file() -> None:
    groups = {p.relative_to(templates()[0].parents[1]).parts[0] for p in templates()}
    assert {"sdk", "ci", "notebooks", "mobile", "collections", "infra", "env", "logs", "mixed"} <= groups
    assert {"othervendor", "negatives"} <= groups
    names = " ".join(p.name for p in templates())
    for marker in (".py.", ".js.", ".java.", ".rb.", ".php.", ".cs.", ".dart.", ".kt.", ".swift.", ".ipynb.", ".tf."):
        assert marker in names, marker
