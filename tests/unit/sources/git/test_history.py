"""`scan_repository` on real repositories built with the git CLI: what is found, and its provenance."""

from __future__ import annotations

import os
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from scanner.app.history import GitScanOptions, scan_repository
from scanner.config import Config
from scanner.model import Finding, ScanResult
from scanner.sources.git.gitio import Git
from scanner.sources.git.log import HistoryLog
from scanner.sources.git.objects import _BATCH_COMMAND, GitObject, StoreListing, each_object, stream_runs
from scanner.sources.git.reachability import reaching_refs
from scanner.sources.git.refs import read_refs
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key, v2_long_key


def scan(repo: Path, **kwargs: object) -> ScanResult:
    return scan_repository(GitScanOptions(repo=str(repo), **kwargs))  # type: ignore[arg-type]


def secrets_of(result: ScanResult) -> set[str]:
    return {f.secret.reveal() for f in result.findings}


def only(result: ScanResult, secret: str) -> Finding:
    hits = [f for f in result.findings if f.secret.reveal() == secret]
    assert len(hits) == 1, [(f.where.path, f.secret.reveal()[:6]) for f in result.findings]
    return hits[0]


def env_line(key: str) -> str:
    return f"MINDEE_API_KEY={key}\n"


def key_on_a_branch(tmp_path: Path, branch: str, path: str, text_of: Callable[[str], str]) -> tuple[Path, str, str]:
    """(repo, key, commit): `branch` adds `path`, holding a new key, on top of main's one commit; main is
    checked out again."""
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    git(repo, "checkout", "-q", "-b", branch)
    key = v2_key()
    added = commit_file(repo, path, text_of(key))
    git(repo, "checkout", "-q", "main")
    return repo, key, added


def test_key_added_then_removed_keeps_its_first_commit(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "README.md", "hello\n")
    key = v2_key()
    added = commit_file(
        repo, "app/settings.py", "DEBUG = True\n" + env_line(key), "add settings", date="2024-02-03T04:05:06+00:00"
    )
    commit_file(repo, "app/settings.py", "DEBUG = True\nMINDEE_API_KEY = os.environ['K']\n", "use env")
    f = only(scan(repo), key)
    assert (f.history.commit, f.where.path, f.where.line) == (added, "app/settings.py", 2)
    assert f.history.author == "Test Author <author@example.com>"
    assert f.history.date is not None and f.history.date.startswith("2024-02-03T04:05:06")
    assert f.history.present_at_head is False
    assert f.history.refs == ("HEAD", "refs/heads/main") or "refs/heads/main" in f.history.refs


def test_key_in_a_file_later_deleted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_long_key()
    added = commit_file(repo, "old/.env", env_line(key))
    git(repo, "rm", "-q", "old/.env")
    git(repo, "commit", "-q", "-m", "remove env")
    commit_file(repo, "x.txt", "x\n")
    f = only(scan(repo), key)
    assert (f.history.commit, f.where.path, f.history.present_at_head) == (added, "old/.env", False)


def test_key_only_on_a_non_default_branch(tmp_path: Path) -> None:
    repo, key, added = key_on_a_branch(tmp_path, "feature/x", "conf.yaml", lambda key: f"mindee_api_key: {key}\n")
    f = only(scan(repo), key)
    assert f.history.commit == added
    assert f.history.refs == ("refs/heads/feature/x",)
    assert f.history.present_at_head is False
    # --branch limits to that branch's history
    assert key not in secrets_of(scan(repo, branch="main"))
    assert key in secrets_of(scan(repo, branch="feature/x"))


def test_key_reachable_only_from_a_tag(tmp_path: Path) -> None:
    repo, key, _ = key_on_a_branch(tmp_path, "release", "deploy.sh", lambda key: f"export MINDEE_API_KEY={key}\n")
    git(repo, "tag", "-a", "-m", "v1", "v1.0", "release")
    git(repo, "branch", "-q", "-D", "release")
    result = scan(repo)
    f = only(result, key)
    assert f.history.refs == ("refs/tags/v1.0",)
    assert "refs/tags/v1.0" in result.stats.history.refs


@pytest.mark.parametrize("packed", [False, True], ids=["loose-refs", "packed-refs"])
def test_key_reachable_only_from_a_tag_of_a_tag(tmp_path: Path, packed: bool) -> None:
    """A tag of a tag is peeled to its commit, whether its ref is loose or packed with its peeled id."""
    repo, key, _ = key_on_a_branch(tmp_path, "release", "deploy.sh", lambda key: f"export MINDEE_API_KEY={key}\n")
    git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "-m", "inner", "inner", "release")
    git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "-m", "outer", "outer", "inner")
    git(repo, "tag", "-d", "inner")
    git(repo, "branch", "-q", "-D", "release")
    if packed:
        git(repo, "pack-refs", "--all")
    refs = read_refs(Git(str(repo))).tips
    assert refs["refs/tags/outer"] == git(repo, "rev-parse", "outer^{commit}").strip()
    f = only(scan(repo), key)
    assert f.history.refs == ("refs/tags/outer",)
    assert f.where.path == "deploy.sh"


def test_key_introduced_in_a_merge_conflict_resolution(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "cfg.py", "KEY = None\n")
    git(repo, "checkout", "-q", "-b", "other")
    commit_file(repo, "cfg.py", "KEY = 'from-other'\n")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "cfg.py", "KEY = 'from-main'\n")
    with pytest.raises(subprocess.CalledProcessError):  # the conflict is the point
        git(repo, "merge", "-q", "other")
    key = v2_key()
    (repo / "cfg.py").write_text(f"MINDEE_API_KEY = '{key}'\n")
    git(repo, "add", "cfg.py")
    git(repo, "commit", "-q", "--no-edit")
    merge = git(repo, "rev-parse", "HEAD")
    assert len(git(repo, "rev-parse", "HEAD^@").split()) == 2
    f = only(scan(repo), key)
    assert (f.history.commit, f.where.path, f.history.present_at_head) == (merge, "cfg.py", True)


def test_clean_merge_does_not_take_credit(tmp_path: Path) -> None:
    repo, key, side = key_on_a_branch(tmp_path, "side", "side.env", env_line)
    commit_file(repo, "b.txt", "b\n")
    git(repo, "merge", "-q", "--no-edit", "side")
    f = only(scan(repo), key)
    assert [o.commit for o in f.history.occurrences] == [side]


@pytest.mark.parametrize("parents", [2, 3], ids=["merge", "octopus"])
def test_a_file_added_by_a_merge_itself_is_credited_to_the_merge(tmp_path: Path, parents: int) -> None:
    """An 'evil merge' (a clean merge amended with a new file) introduces the key; what the branches
    bring along stays with their own commits. Also a blob the merge wrote that has gone missing is
    reported with its path."""
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    for n in range(1, parents):
        git(repo, "checkout", "-q", "-b", f"side{n}", "main")
        commit_file(repo, f"side{n}.env", env_line(v2_key()))
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "b.txt", "b\n")
    sides = [f"side{n}" for n in range(1, parents)]
    git(repo, "merge", "-q", "--no-commit", *sides)
    key = v2_key()
    (repo / "merged.env").write_text(env_line(key))
    (repo / "victim.txt").write_text("written by the merge, then lost\n")
    git(repo, "add", "merged.env", "victim.txt")
    git(repo, "commit", "-q", "--no-edit")
    merge = git(repo, "rev-parse", "HEAD")
    assert len(git(repo, "rev-parse", "HEAD^@").split()) == parents
    blob = git(repo, "rev-parse", "HEAD:victim.txt")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = scan(repo)
    f = only(result, key)
    assert (f.history.commit, f.where.path) == (merge, "merged.env")
    assert [o.commit for o in f.history.occurrences] == [merge]
    for side in sides:
        side_key = git(repo, "show", f"{side}:{side}.env").split("=", 1)[1].strip()
        side_finding = only(result, side_key)
        assert [o.commit for o in side_finding.history.occurrences] == [git(repo, "rev-parse", side)]
    assert (f"victim.txt ({blob[:12]})", "missing object") in result.stats.skipped


def test_renamed_file_keeps_origin_and_lists_new_path(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    first = commit_file(repo, "config/dev.env", "X=1\n" + env_line(key))
    git(repo, "mv", "config/dev.env", "config/local.env")
    git(repo, "commit", "-q", "-m", "rename")
    renamed = git(repo, "rev-parse", "HEAD")
    f = only(scan(repo), key)
    assert (f.history.commit, f.where.path, f.where.line) == (first, "config/dev.env", 2)
    places = {(o.commit, o.path) for o in f.history.occurrences}
    assert places == {(first, "config/dev.env"), (renamed, "config/local.env")}
    assert f.history.present_at_head is True


def test_same_key_in_three_places_is_one_finding_with_three_occurrences(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    c1 = commit_file(repo, "a/.env", env_line(key))
    c2 = commit_file(repo, "b/settings.py", f"import os\nMINDEE_API_KEY = '{key}'\n")
    c3 = commit_file(repo, "c/config.json", f'{{\n  "x": 1,\n  "mindee_api_key": "{key}"\n}}\n')
    result = scan(repo)
    f = only(result, key)
    assert len(result.findings) == 1
    assert [(o.commit, o.path, o.line) for o in f.history.occurrences] == [
        (c1, "a/.env", 1), (c2, "b/settings.py", 2), (c3, "c/config.json", 3),
    ]  # fmt: skip
    assert (f.history.commit, f.where.path) == (c1, "a/.env")


def test_same_blob_in_many_commits_is_scanned_once(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "k.env", env_line(key))
    for i in range(5):
        commit_file(repo, f"n{i}.txt", f"{i}\n")
    result = scan(repo)
    assert result.stats.history.blobs_scanned == 6  # k.env once + five notes
    assert result.stats.history.commits_scanned == 6
    assert len(only(result, key).history.occurrences) == 1


def test_commit_with_a_very_large_file(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    (repo / "big.bin").write_bytes(b"A" * (3 * 1024 * 1024))
    git(repo, "add", "big.bin")
    commit_file(repo, "small.env", env_line(key), "big and small together")
    result = scan(repo, max_file_size=1024 * 1024)
    assert key in secrets_of(result)
    assert any(p.startswith("big.bin") and r.startswith("too large") for p, r in result.stats.skipped)


def _png_with_text(text: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", text) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_key_in_a_png_text_chunk(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "assets/logo.png", _png_with_text(b"Comment\x00api key: " + key.encode() + b" (dev)"))
    result = scan(repo)
    f = only(result, key)
    assert f.where.path == "assets/logo.png"
    assert result.stats.binary_files == 1


def test_key_in_a_commit_message(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    sha = commit_file(repo, "a.txt", "a\n", message=f"debug: try with {key}\n\nsecond line")
    f = only(scan(repo), key)
    assert (f.history.commit, f.where.path, f.where.line, f.history.present_at_head) == (
        sha,
        "<commit message>",
        1,
        False,
    )
    assert key not in secrets_of(scan(repo, scan_messages=False))


def test_keys_still_at_head_and_gone(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    kept, gone = v2_key(), v2_key()
    commit_file(repo, "keep.env", env_line(kept))
    commit_file(repo, "gone.env", env_line(gone))
    git(repo, "rm", "-q", "gone.env")
    git(repo, "commit", "-q", "-m", "rm")
    result = scan(repo)
    assert only(result, kept).history.present_at_head is True
    assert only(result, gone).history.present_at_head is False


def clone_of_a_key_history(tmp_path: Path, *how: str) -> tuple[Path, str, str]:
    """(clone, old, new): an origin whose history added then removed the key `old`, then added `new` (what
    HEAD holds), cloned `how`."""
    origin = init_repo(tmp_path / "origin")
    git(origin, "config", "uploadpack.allowFilter", "true")
    old, new = v2_key(), v2_key()
    commit_file(origin, "old.env", env_line(old))
    git(origin, "rm", "-q", "old.env")
    git(origin, "commit", "-q", "-m", "rm")
    commit_file(origin, "new.env", env_line(new))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", *how, f"file://{origin}", str(clone))
    return clone, old, new


def test_shallow_clone_scans_what_is_there_and_says_so(tmp_path: Path) -> None:
    clone, old, new = clone_of_a_key_history(tmp_path, "--depth", "1")
    result = scan(clone)
    assert new in secrets_of(result)
    assert old not in secrets_of(result)
    assert result.stats.history.shallow is True
    assert any("shallow" in n for n in result.stats.notes)
    assert not any("shallow" in n for n in scan(tmp_path / "origin").stats.notes)


def test_empty_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    result = scan(repo)
    assert result.findings == [] and result.stats.errors == []
    assert any("no commits" in n for n in result.stats.notes)


def test_since_and_range_limit_to_what_those_commits_introduce(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    old, new = v2_key(), v2_key()
    base = commit_file(repo, "old.env", env_line(old))
    tip = commit_file(repo, "new.env", env_line(new))
    assert secrets_of(scan(repo, since=base)) == {new}
    assert secrets_of(scan(repo, range=f"{base}..{tip}")) == {new}
    assert secrets_of(scan(repo, exclude_revs=(base,))) == {new}
    assert secrets_of(scan(repo)) == {old, new}
    from scanner.errors import UsageError

    with pytest.raises(UsageError):
        scan(repo, since="--output=/tmp/x")
    with pytest.raises(UsageError):
        scan(repo, range="nope..HEAD")


def test_stash_entries_are_scanned(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    first, second = v2_key(), v2_key()
    for key in (first, second):
        (repo / "a.txt").write_text(env_line(key))
        git(repo, "stash", "-q")
    result = scan(repo)
    assert {first, second} <= secrets_of(result)
    assert "refs/stash" in only(result, second).history.refs


def test_missing_object_is_reported_not_fatal(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "k.env", env_line(key))
    commit_file(repo, "victim.txt", "some content that will go missing\n")
    blob = git(repo, "rev-parse", "HEAD:victim.txt")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = scan(repo)  # whole history: the object store is listed, the history names what it lacks
    assert key in secrets_of(result)
    assert (f"victim.txt ({blob[:12]})", "missing object") in result.stats.skipped
    limited = scan(repo, branch="main")  # a walk from a revision meets the hole itself
    assert key in secrets_of(limited)
    assert (f"object {blob}", "missing object") in limited.stats.skipped


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("chunk_bytes", [1, 2 * 1024 * 1024])
@pytest.mark.parametrize("batched", [True, False])
def test_corrupt_object_is_reported_and_the_scan_goes_on(
    tmp_path: Path, jobs: int, chunk_bytes: int, batched: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One object per chunk or every object in one chunk; git's buffered `--batch-command` mode (which
    loses a chunk's output when git dies) or plain `--batch`: the bad object is named, nothing else."""
    monkeypatch.setattr("scanner.app.objectscan._CHUNK_BYTES", chunk_bytes)
    monkeypatch.setitem(_BATCH_COMMAND, "ok", batched)
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "victim.txt", "content that will be corrupted " * 200)
    blob = git(repo, "rev-parse", "HEAD:victim.txt")
    before, after = v2_key(), v2_key()
    commit_file(repo, "k.env", env_line(before))
    commit_file(repo, "z.env", env_line(after))
    path = repo / ".git" / "objects" / blob[:2] / blob[2:]
    raw = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(raw[: len(raw) // 2])  # header readable, body truncated: git dies mid-stream
    result = scan(repo, jobs=jobs)
    assert secrets_of(result) == {before, after}  # the objects after the bad one are still read
    bad = [(p, r) for p, r in result.stats.skipped if "unreadable" in r]
    assert bad == [(f"victim.txt ({blob[:12]})", bad[0][1])], result.stats.skipped


def test_submodules_and_lfs_pointers_are_reported_not_followed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    pinned = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{pinned},vendor/lib")
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"
    commit_file(repo, "model.bin", lfs, "lfs and submodule")
    result = scan(repo)
    reasons = dict(result.stats.skipped)
    assert reasons["vendor/lib"].startswith("submodule")
    assert any(p.startswith("model.bin") and "lfs" in r for p, r in result.stats.skipped)


def test_allowlisted_paths_are_dropped_from_history(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "tests/data/fixture.env", env_line(key))
    config = Config(allow_paths=("tests/data/**",))
    assert key in secrets_of(scan(repo))
    assert key not in secrets_of(scan(repo, config=config))


def test_parallel_and_serial_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scanner.app.objectscan._CHUNK_BYTES", 1)  # deal every object out in turn
    repo = init_repo(tmp_path / "r")
    keys = [v2_key() for _ in range(6)]
    for i, key in enumerate(keys):
        commit_file(repo, f"d{i}/f.env", f"# {'x' * 100}\n" * 50 + env_line(key))
    serial = scan(repo, jobs=1)
    parallel = scan(repo, jobs=2)
    assert parallel.stats.jobs == 2
    assert secrets_of(serial) == secrets_of(parallel) == set(keys)
    assert [f.to_dict() for f in serial.findings] == [f.to_dict() for f in parallel.findings]


@pytest.mark.parametrize("failure", ["cannot-start", "worker-dies"])
def test_failed_workers_fall_back_to_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    """Workers that cannot start (a process limit) or one killed mid-scan (out of memory): the scan is
    finished in one process, finds the same, and says so."""
    import concurrent.futures

    monkeypatch.setattr("scanner.app.objectscan._CHUNK_BYTES", 1)
    repo = init_repo(tmp_path / "r")
    keys = [v2_key() for _ in range(6)]
    for i, key in enumerate(keys):
        commit_file(repo, f"d{i}/f.env", f"# {'x' * 100}\n" * 50 + env_line(key))
    expected = [f.to_dict() for f in scan(repo, jobs=1).findings]
    main_pid = os.getpid()
    if failure == "cannot-start":

        class NoWorkers:
            def __init__(self, *args: object, **kwargs: object) -> None:
                raise OSError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoWorkers)
    else:
        real_stream = stream_runs

        def dying_stream(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            if os.getpid() != main_pid:
                os._exit(9)  # a forked worker, as the kernel's OOM killer would leave it: no cleanup
            return real_stream(*args, **kwargs)

        import scanner.app.objectscan as objectscan  # where the scan looks the reader up

        monkeypatch.setattr(objectscan, "stream_runs", dying_stream)
    result = scan(repo, jobs=2)
    assert [f.to_dict() for f in result.findings] == expected
    assert result.stats.jobs == 1
    assert any(n.startswith("scan workers failed") and "one process" in n for n in result.stats.notes)


def test_stats_record_refs_and_objects(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    head = commit_file(repo, "a.txt", "a\n")
    git(repo, "tag", "t1")
    history = scan(repo).stats.history
    assert history is not None
    assert history.refs == {"HEAD": head, "refs/heads/main": head, "refs/tags/t1": head}
    assert history.objects_scanned == 2


def test_bare_repository(tmp_path: Path) -> None:
    work = init_repo(tmp_path / "w")
    key = v2_key()
    commit_file(work, "k.env", env_line(key))
    bare = tmp_path / "b.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    result = scan(bare)
    assert only(result, key).history.present_at_head is True
    assert result.target == str(bare)


def test_not_a_repository(tmp_path: Path) -> None:
    from scanner.errors import SourceError

    with pytest.raises(SourceError, match="not a git repository"):
        scan(tmp_path)


def test_partial_clone_says_what_it_could_not_read(tmp_path: Path) -> None:
    clone, old, new = clone_of_a_key_history(tmp_path, "--filter=blob:none")
    result = scan(clone)
    assert new in secrets_of(result)  # checked out, so downloaded
    assert old not in secrets_of(result)  # never downloaded, and never fetched by the scan
    assert any("partial clone" in n for n in result.stats.notes)
    assert any(r == "missing object" and p.startswith("old.env") for p, r in result.stats.skipped)


def test_readers_sharing_one_chunk_source_read_every_object_once_and_claim_lazily(tmp_path: Path) -> None:
    """Two cat-file streams taking chunks from one counter (as the forked workers do): each object is
    read exactly once, both readers get work, and a reader claims a chunk only as it needs one."""
    import itertools

    repo = init_repo(tmp_path / "r")
    for i in range(12):
        commit_file(repo, f"f{i}.txt", f"content {i}\n")
    listing = StoreListing(Git(str(repo))).read()
    objects = listing.objects
    chunks = [objects[i : i + 3] for i in range(0, len(objects), 3)]
    counter = itertools.count()
    claimed: list[int] = []

    def claim() -> Iterator[Sequence[GitObject]]:
        while (index := next(counter)) < len(chunks):
            claimed.append(index)
            yield chunks[index]

    errors: list[tuple[GitObject, str]] = []
    first = each_object(stream_runs(Git(str(repo)), claim(), lambda o, r: errors.append((o, r)), lookahead=1))
    second = each_object(stream_runs(Git(str(repo)), claim(), lambda o, r: errors.append((o, r)), lookahead=1))
    seen: list[str] = []
    per_reader = [0, 0]
    obj, _ = next(first)
    seen.append(obj.sha)
    per_reader[0] += 1
    assert len(claimed) <= 2  # the first reader holds one chunk and may have asked for the next
    for a, b in itertools.zip_longest(first, second):
        for reader, item in enumerate((a, b)):
            if item is not None:
                seen.append(item[0].sha)
                per_reader[reader] += 1
    assert errors == []
    assert sorted(seen) == sorted(o.sha for o in objects)
    assert min(per_reader) >= 3, per_reader
    assert sorted(claimed) == list(range(len(chunks)))


def test_provenance_log_is_read_while_git_still_writes_it(tmp_path: Path) -> None:
    """The log is parsed from the moment the scan ends, following the file as git appends to it: a
    writer that pauses half-way (as git does on a big history) must lose nothing."""
    import io
    import sys

    from scanner.sources.git.log import Follow, _parse_log

    repo = init_repo(tmp_path / "r")
    key = v2_key()
    for i in range(30):
        commit_file(repo, f"f{i}.txt", f"line {i}\n" + (env_line(key) if i == 25 else ""))
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--raw", "--no-renames", "--no-abbrev", "--root", "-z",
         "--format=%x01%H%x1f%ct%x1f%P%x1f%aN <%aE>%x1f%aI"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    blob = git(repo, "rev-parse", "HEAD:f25.txt")
    expected = _parse_log(io.BytesIO(log), {blob}, None, {})
    target = tmp_path / "log.bin"
    target.write_bytes(b"")
    half = len(log) // 2
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; data = sys.stdin.buffer.read(); out = open(sys.argv[1], 'ab', buffering=0); "
         f"out.write(data[:{half}]); time.sleep(0.4); out.write(data[{half}:])", str(target)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    assert writer.stdin is not None
    writer.stdin.write(log)
    writer.stdin.close()
    graph: dict[str, str] = {}
    with open(target, "rb") as stream:
        found, metas, absent = _parse_log(Follow(stream, writer), {blob}, None, graph)
    assert writer.returncode == 0
    assert (found, metas, absent) == expected
    assert [intro.path for _, _, intro in found] == ["f25.txt"]
    assert len(graph) == 30


def test_a_walk_running_beside_two_workers_gives_the_provenance_of_a_one_worker_scan(tmp_path: Path) -> None:
    """The walk starts at the first finding, and the second worker stands aside while it runs (issue 18:
    the tree's memory): the same findings, places and refs as a scan in one process."""
    repo = init_repo(tmp_path / "r")
    key, other = v2_key(), v2_key()
    for i in range(9):
        commit_file(repo, f"f{i}.txt", f"line {i}\n" + (env_line(key) if i == 2 else "") + "x" * 600_000 + "\n")
    git(repo, "checkout", "-q", "-b", "side")
    commit_file(repo, "side.env", env_line(other))
    commit_file(repo, "copy.env", env_line(key), "copy the key")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "g.txt", "main moves on\n")
    git(repo, "merge", "-q", "--no-ff", "side", "-m", "merge side")
    # Thousands of refs: more revisions than a pipe holds, read by git from a file.
    tips = git(repo, "rev-list", "--all").split()
    updates = "".join(f"create refs/tags/t{i} {tips[i % len(tips)]}\n" for i in range(3000))
    subprocess.run(["git", "-C", str(repo), "update-ref", "--stdin"], input=updates.encode(), check=True)
    two = scan(repo, jobs=2)
    one = scan(repo, jobs=1)
    assert two.stats.jobs == 2
    assert [f.to_dict() for f in two.findings] == [f.to_dict() for f in one.findings]
    found = only(two, key)  # (which place is "first" among same-second commits is git's order's call)
    assert found.history.commit and {o.path for o in found.history.occurrences} == {"f2.txt", "copy.env"}
    assert "refs/tags/t0" in found.history.refs or any(r.startswith("refs/tags/") for r in found.history.refs)


def test_a_running_walk_ends_when_cancelled(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    for i in range(40):
        commit_file(repo, f"f{i}.txt", f"line {i}\n")
    log = HistoryLog(Git(str(repo)), [git(repo, "rev-parse", "HEAD").strip()], [])
    proc = log._proc
    log.cancel()
    assert proc.returncode is not None
    assert not log.running()


def test_a_walk_is_read_to_its_end(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    added = commit_file(repo, "a.env", env_line(key))
    for i in range(20):
        commit_file(repo, f"f{i}.txt", f"line {i}\n")
    blob = git(repo, "rev-parse", f"{added}:a.env").strip()
    log = HistoryLog(Git(str(repo)), [git(repo, "rev-parse", "HEAD").strip()], [])
    intros, _, _ = log.introductions({blob})
    assert [(i.commit, i.path) for i in intros] == [(added, "a.env")]


def test_a_clean_repository_starts_no_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing needs provenance: git never walks (a walk started with the listing and held through the
    scan kept its pack windows beside the scan's streams)."""
    started: list[HistoryLog] = []
    real = HistoryLog

    def spy(*args: object) -> HistoryLog:
        log = real(*args)  # type: ignore[arg-type]
        started.append(log)
        return log

    import scanner.app.provenance as provenance  # where the scan looks the walk up

    monkeypatch.setattr(provenance, "HistoryLog", spy)
    repo = init_repo(tmp_path / "r")
    for i in range(5):
        commit_file(repo, f"d{i}/f.txt", f"# {'x' * 100}\n" * 2000)
    result = scan(repo, jobs=2)
    assert result.findings == []
    assert started == []


def test_chunk_claims_give_each_chunk_once_front_and_back_runs() -> None:
    """Two workers read runs of neighbouring chunks from opposite ends and meet in between."""
    import multiprocessing

    from scanner.app.objectscan import _ChunkClaims

    for ctx in (None, multiprocessing.get_context("fork")):
        claims = _ChunkClaims(7, ctx)
        taken: dict[int, list[int]] = {0: [], 1: []}
        for worker in (0, 1, 1, 0, 1, 1, 0, 0, 1):
            index = claims.take(worker)
            if index is not None:
                taken[worker].append(index)
        assert taken == {0: [0, 1, 2], 1: [6, 5, 4, 3]}
        assert claims.take(0) is None and claims.take(1) is None
    assert list(_ChunkClaims(0).claimed([], 0)) == []


@pytest.mark.parametrize("seed", range(5))
def test_reaching_refs_matches_a_brute_force_walk_in_any_order(seed: int) -> None:
    """Refs reaching each target, on random histories listed newest first, shuffled (clock skew), with
    parents outside the walk, and with a cycle (only grafts make one): the same as walking every ref's
    ancestors."""
    import random

    rng = random.Random(seed)
    commits = [f"c{i:04d}" for i in range(300)]
    parents = {c: [commits[j] for j in rng.sample(range(i), min(i, rng.choice([0, 1, 1, 1, 2, 3])))]
               for i, c in enumerate(commits)}  # fmt: skip
    parents[commits[5]].append("outside")  # a parent the walk never listed
    order = list(reversed(commits))
    if seed % 2:
        rng.shuffle(order)
    graph = {c: " ".join(parents[c]) for c in order}
    refs = {f"refs/heads/b{i}": rng.choice(commits) for i in range(20)}
    refs.update({f"refs/pull/{i}/head": rng.choice(commits) for i in range(10)})
    targets = rng.sample(commits, 25)

    def ancestors(tip: str) -> set[str]:
        seen, stack = set(), [tip]
        while stack:
            c = stack.pop()
            if c in graph and c not in seen:
                seen.add(c)
                stack.extend(parents[c])
        return seen

    reach = {name: ancestors(tip) for name, tip in refs.items()}
    expected = {}
    for t in targets:
        named = {n for n in refs if n.startswith("refs/heads/") and t in reach[n]}
        expected[t] = named or {n for n in refs if t in reach[n]}
    assert reaching_refs(graph, refs, targets) == expected

    cyclic = dict(graph)
    cyclic[commits[0]] = commits[-1]  # the root now descends from the newest commit
    assert set(reaching_refs(cyclic, refs, targets)) == set(targets)  # ends, whatever it decides
