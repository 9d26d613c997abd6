"""While the provenance walk runs, only the first history worker reads (issue 18: the process tree's
memory); the others end their `cat-file` and claim nothing until the walk is over."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.app.objectscan import _ChunkClaims, _objects, _Shared
from scanner.sources.git.gitio import Git
from scanner.sources.git.objects import BlobPieces, GitObject, StoreListing, each_object
from tests.testing.gitutil import commit_file, init_repo


def _read(shared: _Shared, index: int, on_error: Any) -> Iterator[tuple[GitObject, bytes | BlobPieces]]:
    """What worker `index` reads, object by object (runs taken apart)."""
    return each_object(_objects(shared, index, on_error))


class _Flag:
    def __init__(self, value: int) -> None:
        self.value = value


def _shared(tmp_path: Path, walking: int) -> tuple[_Shared, list[GitObject]]:
    repo = init_repo(tmp_path / "r")
    for i in range(8):
        commit_file(repo, f"f{i}.txt", f"content {i}\n")
    git = Git(str(repo))
    objects = StoreListing(git).read().objects
    chunks = [objects[i : i + 2] for i in range(0, len(objects), 2)]
    shared = _Shared(
        git=git,
        builder=None,  # type: ignore[arg-type]  # _objects only reads
        chunks=chunks,  # type: ignore[arg-type]
        claims=_ChunkClaims(len(chunks)),
        counters=[],
        found=_Flag(0),
        walking=_Flag(walking),
    )
    return shared, objects


@pytest.mark.timeout(60)
def test_a_second_worker_claims_nothing_while_the_walk_runs_then_reads_the_rest(tmp_path: Path) -> None:
    shared, objects = _shared(tmp_path, walking=1)
    read: list[str] = []
    errors: list[object] = []
    worker = threading.Thread(
        target=lambda: read.extend(o.sha for o, _ in _read(shared, 1, lambda *e: errors.append(e)))
    )
    worker.start()
    time.sleep(0.3)  # the worker is waiting (however long this is, it must not have claimed a chunk)
    assert list(shared.claims._ends) == [0, len(shared.chunks) - 1]
    assert read == []
    shared.walking.value = 0
    worker.join()
    assert errors == []
    assert sorted(read) == sorted(o.sha for o in objects)


@pytest.mark.timeout(60)
def test_the_first_worker_reads_everything_while_the_walk_runs(tmp_path: Path) -> None:
    shared, objects = _shared(tmp_path, walking=1)
    read = [o.sha for o, _ in _read(shared, 0, lambda *e: None)]
    assert sorted(read) == sorted(o.sha for o in objects)
    assert not shared.claims.left()


@pytest.mark.timeout(60)
def test_a_second_worker_stops_claiming_when_the_walk_starts(tmp_path: Path) -> None:
    """Chunks it already asked git for are read; none after the walk starts."""
    shared, objects = _shared(tmp_path, walking=0)
    reader = _read(shared, 1, lambda *e: None)
    first, _ = next(reader)
    shared.walking.value = 1
    taken_then = shared.claims._ends[1]
    rest: list[str] = []
    stopper = threading.Thread(target=lambda: rest.extend(o.sha for o, _ in reader))
    stopper.start()
    time.sleep(0.3)
    # At most the lookahead (two chunks) was claimed before the walk started; nothing after it.
    assert shared.claims._ends[1] == taken_then
    assert len(shared.chunks) - 1 - taken_then <= 2
    shared.walking.value = 0
    stopper.join()
    assert sorted([first.sha, *rest]) == sorted(o.sha for o in objects)


@pytest.mark.timeout(60)
def test_the_first_worker_reads_through_a_small_stream_while_the_walk_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside the walk, the one stream left has small pack windows and cache (ansible: the walk beside a
    full-size stream was 427 MB of PSS); before and after it, the full-size one."""
    import scanner.app.objectscan as objectscan
    from scanner.sources.git.gitio import STREAM_BESIDE_WALK_CONFIG, STREAM_CONFIG

    shared, objects = _shared(tmp_path, walking=0)
    real = objectscan.stream_runs
    configs: list[object] = []

    def spy(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        configs.append(kwargs.get("config", STREAM_CONFIG))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(objectscan, "stream_runs", spy)
    reader = _read(shared, 0, lambda *e: None)
    read = [next(reader)[0].sha]
    shared.walking.value = 1  # the walk starts: the next stream is the small one
    read.append(next(reader)[0].sha)
    read.extend(o.sha for o, _ in reader)
    assert configs[0] == STREAM_CONFIG and STREAM_BESIDE_WALK_CONFIG in configs
    assert STREAM_BESIDE_WALK_CONFIG != STREAM_CONFIG
    assert sorted(read) == sorted(o.sha for o in objects)
