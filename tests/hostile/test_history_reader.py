"""The history scan's reader (`stream_runs`): one reused buffer, objects handed on where they lie in it.

Whatever the stream does (objects split across reads at any byte, objects bigger than the buffer,
empty objects, missing ones, binary bytes, git dying mid-object), every object comes out once with
exactly the bytes `git cat-file` gives for it alone, and what could not be read is named.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scanner.app.history import GitScanOptions, scan_repository
from scanner.sources.git.gitio import Git
from scanner.sources.git.objects import (
    _BATCH_COMMAND,
    BlobPieces,
    GitObject,
    ObjectRun,
    StoreListing,
    each_object,
    stream_runs,
)
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git, init_repo
from tests.testing.keys import v2_key


def _oracle(repo: Path, obj: GitObject) -> bytes:
    """The object's bytes as git gives them for it alone."""
    env = {**os.environ, **HERMETIC_ENV}
    return subprocess.run(
        ["git", "-C", str(repo), "cat-file", obj.kind, obj.sha], check=True, capture_output=True, env=env
    ).stdout


def _hostile_repo(tmp_path: Path) -> Path:
    """Objects of every awkward shape: empty, one byte, binary, NUL-only, no final newline, a blank-line
    commit message, an empty commit message, bigger than any small buffer, many small ones."""
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "empty.txt", "")
    commit_file(repo, "one.txt", "x")
    commit_file(repo, "bin.dat", bytes(range(256)) * 40)
    commit_file(repo, "nuls.dat", b"\0" * 5000)
    commit_file(repo, "nonl.txt", "no final newline\n\nheader-like: 1234\nabc")
    commit_file(repo, "big.txt", ("line of a big blob " * 50 + "\n") * 400)  # ~380 KB
    for i in range(30):
        commit_file(repo, f"small/{i}.txt", f"{i}\n" * i)
    git(repo, "commit", "-q", "--allow-empty", "--allow-empty-message", "-m", "")
    git(repo, "commit", "-q", "--allow-empty", "-m", "subject\n\n\nbody after blank lines\n")
    git(repo, "tag", "-a", "v1", "-m", "a tag message")
    return repo


def _read(
    git_: Git, objects: list[GitObject], chunk: int, **kwargs: object
) -> tuple[list[tuple[GitObject, bytes]], list[tuple[GitObject, str]]]:
    errors: list[tuple[GitObject, str]] = []
    got: list[tuple[GitObject, bytes]] = []
    chunks = [objects[i : i + chunk] for i in range(0, len(objects), chunk)]
    for item in stream_runs(git_, chunks, lambda o, r: errors.append((o, r)), **kwargs):  # type: ignore[arg-type]
        if isinstance(item, ObjectRun):
            got.extend((obj, bytes(item.data[start:end])) for obj, start, end in item.objects)
        else:
            obj, pieces = item
            assert isinstance(pieces, BlobPieces)
            got.append((obj, b"".join(pieces)))
    return got, errors


@pytest.mark.timeout(120)
@pytest.mark.parametrize("buffer_size", [1, 7, 64, 4096, None])
@pytest.mark.parametrize("stream_over", [None, 100])
@pytest.mark.parametrize("batched", [True, False])
def test_every_object_comes_out_once_with_its_exact_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buffer_size: int | None, stream_over: int | None, batched: bool
) -> None:
    """A 1-byte buffer splits every header and every object across reads (and grows for each);
    `stream_over` sends the bigger blobs through `BlobPieces` read through the same buffer."""
    monkeypatch.setitem(_BATCH_COMMAND, "ok", batched)
    repo = _hostile_repo(tmp_path)
    objects = StoreListing(Git(str(repo))).read().objects
    assert len(objects) > 70
    got, errors = _read(Git(str(repo)), objects, chunk=5, buffer_size=buffer_size, stream_over=stream_over)
    assert errors == []
    assert [obj for obj, _ in got] == objects  # each once, in the order asked
    for obj, data in got:
        assert data == _oracle(repo, obj), obj


@pytest.mark.timeout(120)
@pytest.mark.parametrize("buffer_size", [3, None])
def test_missing_objects_are_named_and_the_rest_read(
    tmp_path: Path, buffer_size: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _hostile_repo(tmp_path)
    objects = StoreListing(Git(str(repo))).read().objects
    ghosts = [GitObject("0" * 39 + str(i), "blob", 10) for i in range(3)]
    asked = [ghosts[0], *objects[:20], ghosts[1], *objects[20:], ghosts[2]]  # first, middle and last
    got, errors = _read(Git(str(repo)), asked, chunk=4, buffer_size=buffer_size)
    assert errors == [(g, "missing object") for g in ghosts]
    assert [obj for obj, _ in got] == objects
    assert all(data == _oracle(repo, obj) for obj, data in got)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("buffer_size", [5, None])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("stream_over", [None, 100])
def test_git_dying_mid_object_names_that_object_and_reads_every_other_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buffer_size: int | None, batched: bool, stream_over: int | None
) -> None:
    """A loose object whose body is cut in half: git writes its header (and part of it, with a big
    enough one) then dies. The reader names it and resumes with a fresh git for the rest."""
    monkeypatch.setitem(_BATCH_COMMAND, "ok", batched)
    repo = _hostile_repo(tmp_path)
    commit_file(repo, "victim.txt", "content that will be cut short " * 3000)
    victim = git(repo, "rev-parse", "HEAD:victim.txt")
    commit_file(repo, "after.txt", "read after the bad object\n")
    objects = StoreListing(Git(str(repo))).read().objects
    expected = {obj: _oracle(repo, obj) for obj in objects if obj.sha != victim}
    path = repo / ".git" / "objects" / victim[:2] / victim[2:]
    raw = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(raw[: len(raw) // 2])
    got, errors = _read(Git(str(repo)), objects, chunk=3, buffer_size=buffer_size, stream_over=stream_over)
    assert [(o.sha, r.startswith("unreadable object")) for o, r in errors] == [(victim, True)]
    # A streamed blob is handed on as git writes it (scanned while read), so its first pieces may
    # have come out before git died; it is named unreadable all the same. A whole object never is.
    assert stream_over is not None or victim not in [o.sha for o, _ in got]
    assert sorted((o, d) for o, d in got if o.sha != victim) == sorted(expected.items())


@pytest.mark.timeout(60)
def test_each_object_gives_each_object_as_bytes(tmp_path: Path) -> None:
    """The per-object form: bytes that stay valid after the reader moves on."""
    repo = _hostile_repo(tmp_path)
    objects = StoreListing(Git(str(repo))).read().objects
    chunks = [objects[i : i + 7] for i in range(0, len(objects), 7)]
    got = list(each_object(stream_runs(Git(str(repo)), chunks, lambda o, r: None)))
    assert [obj for obj, _ in got] == objects
    assert all(isinstance(data, bytes) and data == _oracle(repo, obj) for obj, data in got)


@pytest.mark.timeout(180)
def test_a_scan_finds_the_same_whatever_the_read_buffer_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs cut at every object (a 1-byte buffer) or whole chunks: the same report. Keys in small and
    big blobs, in a commit message, in a tag message, in UTF-16, in a binary, beside an LFS pointer; a
    key-like header (the author's name) that is no text and must find nothing."""
    import scanner.sources.git.objects as objects_module

    repo = init_repo(tmp_path / "r")
    keys = [v2_key() for _ in range(6)]
    commit_file(repo, "a.env", f"MINDEE_API_KEY={keys[0]}\n")
    commit_file(repo, "big.py", "x = 1\n" * 20000 + f'api_key = "{keys[1]}"\n')
    commit_file(repo, "u16.txt", f"MINDEE_API_KEY={keys[2]}\n".encode("utf-16"))
    commit_file(repo, "b.bin", b"\0\1\2" * 100 + f"MINDEE_API_KEY={keys[3]}\n".encode())
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"
    commit_file(repo, "model.bin", lfs)
    commit_file(repo, "c.txt", "clean\n", f"rotate the key\n\nMINDEE_API_KEY={keys[4]}\n")
    git(repo, "tag", "-a", "t1", "-m", f"release\n\nMINDEE_API_KEY={keys[5]}\n")
    header_key = v2_key()
    git(
        repo, "commit", "-q", "--allow-empty", "-m", "clean message",
        env={"GIT_AUTHOR_NAME": f"MINDEE_API_KEY={header_key}"},
    )  # fmt: skip

    def report(buffer_size: int) -> tuple[list[dict[str, object]], set[str], object]:
        monkeypatch.setattr(objects_module, "_READ_BUFFER", buffer_size)
        result = scan_repository(GitScanOptions(repo=str(repo), jobs=1))
        result.stats.duration_s = 0.0
        return [f.to_dict() for f in result.findings], {f.secret.reveal() for f in result.findings}, result.stats

    whole = report(4 * 1024 * 1024)
    assert report(1) == whole
    assert report(33) == whole
    assert set(keys) <= whole[1]
    assert header_key not in whole[1]
