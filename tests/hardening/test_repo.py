"""Hostile repositories: included configs, `.git` files, corrupt packs, dangling refs, huge ref and
tree counts. Errors are reported per object and the scan goes on; nothing the repository names runs.

(tests/hardening/test_git_untrusted.py covers the direct config keys, attributes and hooks; these are the
indirect routes and the damaged or oversized repositories.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.testing.cli import cli_path, hold_env, run, wait_held
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(240)


def _scan(repo: Path | str, *extra: str, cwd: Path | None = None, timeout: float = 120) -> tuple[int, dict[str, Any]]:
    proc = run("git", str(repo), *extra, "--format", "json", "--show-secrets", cwd=cwd, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, doc


def _secrets(doc: dict[str, Any]) -> set[str]:
    return {f["secret"] for f in doc.get("findings", [])}


def _skipped(doc: dict[str, Any]) -> list[str]:
    stats = doc.get("stats", {})
    return [f"{s['path']}: {s['reason']}" for s in stats.get("skipped", [])] + list(stats.get("errors", []))


def _evil(tmp_path: Path) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil.sh"
    evil.write_text(f'#!/bin/sh\ntouch "{markers}/fired-$1-$$"\nexit 0\n')
    evil.chmod(0o755)
    return evil, markers


def test_included_and_conditional_configs_run_nothing(tmp_path: Path) -> None:
    """include.path / includeIf pull in fsmonitor, filters and textconv from files the repository ships."""
    evil, markers = _evil(tmp_path)
    repo = init_repo(tmp_path / "repo")
    key = v2_key()
    commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={key}\n")
    payload = tmp_path / "payload.cfg"
    payload.write_text(
        f"[core]\n\tfsmonitor = {evil} fsmonitor\n\tsshCommand = {evil} ssh\n"
        f'[filter "x"]\n\tclean = {evil} clean\n\tsmudge = {evil} smudge\n\tprocess = {evil} process\n'
        f'[diff "x"]\n\ttextconv = {evil} textconv\n[diff]\n\texternal = {evil} external\n'
    )
    git(repo, "config", "include.path", str(payload))
    git(repo, "config", f"includeIf.gitdir:{repo}/.git.path", str(payload))
    git(repo, "config", "includeIf.onbranch:main.path", str(payload))
    (repo / ".gitattributes").write_text("* filter=x diff=x\n")
    # the trap fires for plain git, so it is armed:
    subprocess.run(["git", "-C", str(repo), "status"], capture_output=True, check=False)
    assert os.listdir(markers), "control: plain git should have run the included fsmonitor"
    for m in os.listdir(markers):
        os.unlink(markers / m)
    rc, doc = _scan(repo)
    assert rc == 1 and key in _secrets(doc)
    rc, doc = _scan(repo, "--since", "HEAD~0")
    assert os.listdir(markers) == []


def test_worktree_and_submodule_dot_git_files(tmp_path: Path) -> None:
    """`.git` as a file (linked worktree, absorbed submodule) is followed by git, skipped by `dir`."""
    repo = init_repo(tmp_path / "repo")
    key, other = v2_key(), v2_key()
    commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={key}\n")
    git(repo, "branch", "side")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "side")
    assert (wt / ".git").is_file()
    commit_file(wt, "b.env", f"MINDEE_V2_API_KEY={other}\n")
    rc, doc = _scan(wt)
    assert rc == 1 and {key, other} <= _secrets(doc)
    # a `.git` file pointing at a missing or hostile gitdir is an error, not a crash
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / ".git").write_text(f"gitdir: {tmp_path / 'nowhere'}\n")
    proc = run("git", str(fake), timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    # dir scans never read `.git`, file or folder
    proc = run("dir", str(wt), "--format", "json", "--show-secrets", timeout=60)
    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert paths == {"a.env", "b.env"}


def test_corrupt_pack_is_reported_and_loose_objects_still_scanned(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    for i in range(30):
        commit_file(repo, f"f{i}.txt", f"filler {i}\n" * 200)
    git(repo, "gc", "-q", "--aggressive")
    packs = list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    assert packs
    pack = packs[0]
    data = bytearray(pack.read_bytes())
    for offset in range(len(data) // 3, len(data) - 40, 97):  # trash object bodies, keep the header
        data[offset] ^= 0xFF
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))
    key = v2_key()
    # loose objects written after the damage, on a branch of its own (plumbing reads nothing packed)
    blob = git(repo, "hash-object", "-w", "--stdin", input=f"MINDEE_V2_API_KEY={key}\n".encode())
    tree = git(repo, "mktree", input=f"100644 blob {blob}\tlate.env\n".encode())
    commit = git(repo, "commit-tree", tree, "-m", "late")
    git(repo, "update-ref", "refs/heads/late", commit)
    rc, doc = _scan(repo)
    if rc == 2:  # the damage reached what git needs to list objects: a clear error, never "clean"
        return
    assert key in _secrets(doc)
    assert _skipped(doc), "damaged objects must be reported"


def test_ref_to_a_missing_object(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    key = v2_key()
    commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={key}\n")
    (repo / ".git" / "refs" / "heads" / "ghost").write_text("1234567890abcdef1234567890abcdef12345678\n")
    (repo / ".git" / "refs" / "tags").mkdir(exist_ok=True)
    (repo / ".git" / "refs" / "tags" / "garbage").write_text("not a sha at all\n")
    rc, doc = _scan(repo)
    assert rc == 2, doc  # a damaged repository is an error (issue 13), its findings still reported
    assert key in _secrets(doc)
    assert "refs/heads/ghost (1234567890ab): broken ref: points to a missing or damaged object" in _skipped(doc)


def test_100000_refs(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    key = v2_key()
    head = commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={key}\n")
    lines = ["# pack-refs with: peeled fully-peeled sorted "]
    lines += [f"{head} refs/tags/t{i:06d}" for i in range(100_000)]
    (repo / ".git" / "packed-refs").write_text("\n".join(lines) + "\n")
    rc, doc = _scan(repo)
    assert rc == 1 and key in _secrets(doc)


def test_commit_with_10000_files(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    key = v2_key()
    common = git(repo, "hash-object", "-w", "--stdin", input=b"just a file\n")
    leaky = git(repo, "hash-object", "-w", "--stdin", input=f"MINDEE_V2_API_KEY={key}\n".encode())
    index = "".join(f"100644 {common}\tdir{i % 100}/file{i:05d}.txt\n" for i in range(10_000))
    index += f"100644 {leaky}\tdir42/secret.env\n"
    git(repo, "update-index", "--index-info", input=index.encode())
    git(repo, "commit", "-q", "-m", "ten thousand files")
    rc, doc = _scan(repo)
    assert rc == 1
    finding = next(f for f in doc["findings"] if f["secret"] == key)
    assert finding["path"] == "dir42/secret.env"


def test_ctrl_c_during_a_git_scan(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    for i in range(4):
        commit_file(repo, f"f{i}.env", f"KEY={v2_key()}\n")
    # Held where it starts reading objects (it used to sleep 2 s and skip if a fast machine had finished).
    env, marker = hold_env(tmp_path, "subprocess.Popen", "cat-file")
    proc = subprocess.Popen(
        [*cli_path(), "git", str(repo), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
        start_new_session=True,
    )
    wait_held(proc, marker)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err, err.decode()


def test_1gb_blob_is_skipped_by_size_without_inflating(tmp_path: Path) -> None:
    """A 1 GB blob (zeros, ~1 MB compressed): slow like all of tests/hardening/, so CI runs it."""
    repo = init_repo(tmp_path / "repo")
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(1024**3 + 1)  # one byte over the default cap (1 GiB): a blob of exactly the cap is scanned
    blob = git(repo, "-c", "core.compression=1", "hash-object", "-w", str(big))
    big.unlink()
    key = v2_key()
    leaky = git(repo, "hash-object", "-w", "--stdin", input=f"MINDEE_V2_API_KEY={key}\n".encode())
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},big.bin")
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{leaky},k.env")
    git(repo, "commit", "-q", "-m", "huge")
    rc, doc = _scan(repo, timeout=300)
    assert rc == 1 and key in _secrets(doc)
    assert any("big.bin" in s and "too large" in s for s in _skipped(doc)), _skipped(doc)
