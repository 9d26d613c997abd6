"""The same audit on the local process pool and on a real Dask cluster (2 worker processes) stores the
same results; and the CLI's `--dask` path is the one the docs tell users to run."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.audit.store import Store
from tests.testing.cli import run
from tests.testing.fleet import build_fleet
from tests.testing.gitutil import HERMETIC_ENV

pytestmark = pytest.mark.slow  # a Dask LocalCluster on loopback

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in HERMETIC_ENV.items():
            mp.setenv(k, v)  # inherited by the worker processes
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", scheduler_port=0
        ) as c:
            yield c


def _snapshot(db: Path) -> dict[str, Any]:
    store = Store.open(str(db), create=False)
    try:
        return store.snapshot()
    finally:
        store.close()


def test_local_pool_and_dask_cluster_store_identical_results(tmp_path: Path, cluster: Any) -> None:
    fleet = build_fleet(tmp_path / "fleet")
    local_db, dask_db = tmp_path / "local.db", tmp_path / "dask.db"
    local = run("audit", *fleet.targets, "--db", str(local_db), "--cache-dir", str(tmp_path / "c1"), "-j", "2")

    def on_the_cluster() -> subprocess.CompletedProcess[str]:
        dask = ("--dask", cluster.scheduler_address)
        return run("audit", *fleet.targets, "--db", str(dask_db), "--cache-dir", str(tmp_path / "c2"), *dask)

    remote = on_the_cluster()
    assert local.returncode == remote.returncode == 2, (local.stderr, remote.stderr)  # broken ones in the fleet
    assert "on local pool (2 workers)" in local.stderr
    assert f"on dask {cluster.scheduler_address} (2 workers)" in remote.stderr

    a, b = _snapshot(local_db), _snapshot(dask_db)
    assert a == b
    # ...and identical because both are right, not because both are empty.
    assert len(a["secrets"]) == len(fleet.keys)
    assert sum(1 for s in a["scans"] if s[1] == "error") == 2
    assert len({row[1] for row in a["occurrences"]}) == 9  # repositories with at least one key

    # The scans really ran on the cluster's worker processes, not in the client.
    store = Store.open(str(dask_db), create=False)
    try:
        workers = {w for (w,) in store.conn.execute("SELECT worker FROM scans WHERE status != 'error'")}
    finally:
        store.close()
    assert len(workers) == 2, workers

    # A re-run on the cluster is incremental like a local one.
    again = on_the_cluster()
    assert "(2 error, 10 unchanged)" in again.stderr, again.stderr


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    from tests.testing.mindee_mock import free_port

    repo = tmp_path / "r"
    repo.mkdir()
    proc = run(
        "audit",
        str(repo),
        "--db",
        str(tmp_path / "x.db"),
        "--dask",
        f"tcp://127.0.0.1:{free_port()}",
        "--dask-timeout",
        "2",
        timeout=120,
    )
    assert proc.returncode == 2
    assert "cannot reach the Dask scheduler" in proc.stderr
