"""The hook's fast path gives exactly the full path's answer, or leaves the commit to it.

Each case stages a change in a real repository and runs the console entry twice in process: once as it
ships (the fast path first), once with the fast path switched off. Exit code, stdout (the summary's
duration aside) and stderr must be the same; the cases a clean commit is made of must be decided by the
fast path itself (else these tests would pass with a fast path that never answers).
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest

import scanner.app.quickstaged as quickstaged
import scanner.hookrun as hookrun
from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.gitutil import stage_file as stage
from tests.testing.gitutil import write_file as write
from tests.testing.keys import v1_key, v2_key


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEE_SCAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "quickstaged-cache"))
    monkeypatch.delenv("MINDEE_SCAN_NO_CACHE", raising=False)


def _scrub(text: str) -> str:
    return re.sub(r" in \d+\.\d\ds", " in Ns", text)


def both(repo: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, subprocess.CompletedProcess[str]]:
    """(did the fast path decide, the result); asserts that it equals the full path's."""
    answers: list[int | None] = []
    real = quickstaged.clean_commit

    def spy(files: list[str], quiet: bool) -> int | None:
        answers.append(real(files, quiet))
        return answers[-1]

    with monkeypatch.context() as m:
        m.setattr(quickstaged, "clean_commit", spy)
        fast = invoke(*args, cwd=repo)
    with monkeypatch.context() as m:
        m.setattr(hookrun, "_clean_commit", lambda files, quiet: None)
        full = invoke(*args, cwd=repo)
    assert (fast.returncode, _scrub(fast.stdout), fast.stderr) == (full.returncode, _scrub(full.stdout), full.stderr)
    return answers == [0], full


def check(repo: Path, monkeypatch: pytest.MonkeyPatch, files: tuple[str, ...] = ()) -> tuple[bool, int]:
    """Both hook entries (`staged` prints a summary, `pre-commit` is silent when clean) agree; returns
    (the fast path decided both, exit code)."""
    decided_staged, staged = both(repo, "staged", *files, monkeypatch=monkeypatch)
    decided_hook, hook = both(repo, "pre-commit", *files, monkeypatch=monkeypatch)
    assert decided_staged == decided_hook
    assert staged.returncode == hook.returncode
    return decided_hook, hook.returncode


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "src/app.py", "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(40)))
    commit_file(repo, "README.md", "# project\n\nSome words.\n")
    return repo


# -- the clean commits the fast path decides -----------------------------------------------------------


@pytest.mark.timeout(120)
def test_clean_new_and_modified_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage(repo, "src/feature.py", "".join(f"def feature_{i}(x):\n    return x * {i}\n" for i in range(10)))
    old = (repo / "src/app.py").read_text().splitlines(keepends=True)
    stage(repo, "src/app.py", "".join([*old[:30], "# a comment in the middle\n", *old[30:]]))
    assert check(repo, monkeypatch) == (True, 0)
    assert check(repo, monkeypatch, ("src/feature.py", "src/app.py")) == (True, 0)


@pytest.mark.timeout(120)
def test_nothing_staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check(repo, monkeypatch) == (True, 0)


@pytest.mark.timeout(120)
def test_first_commit_of_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "new")
    stage(repo, "a.txt", "hello\n")
    assert check(repo, monkeypatch) == (True, 0)


@pytest.mark.timeout(120)
def test_renames_deletions_modes_and_empty_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "mv", "README.md", "docs.md")  # a pure rename: nothing to scan
    git(repo, "rm", "-q", "src/app.py")
    stage(repo, "empty.txt", "")
    commit_file(repo, "tool.sh", "echo hi\n")
    git(repo, "update-index", "--chmod=+x", "tool.sh")
    assert check(repo, monkeypatch) == (True, 0)
    git(repo, "commit", "-q", "-m", "moves")
    git(repo, "mv", "docs.md", "guide.md")
    stage(repo, "guide.md", "# project\n\nSome words.\nAnd more words.\n")  # a rename with an edit
    stage(repo, "empty.txt", "now something\n")
    assert check(repo, monkeypatch) == (True, 0)


@pytest.mark.timeout(120)
def test_newlines_at_the_end_and_carriage_returns(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage(repo, "README.md", "# project\n\nSome words.")  # loses its last newline
    stage(repo, "crlf.txt", "one\r\ntwo\r\nthree")
    stage(repo, "lone.txt", "a\rb\n\n\n")
    assert check(repo, monkeypatch) == (True, 0)
    git(repo, "commit", "-q", "-m", "x")
    stage(repo, "README.md", "# project\n\nSome words.\nmore\n")  # gains it back, with a line
    stage(repo, "crlf.txt", "one\r\ntwo\r\nthree\r\n")
    assert check(repo, monkeypatch) == (True, 0)


@pytest.mark.timeout(120)
def test_diff_lookalike_lines_and_bare_blank_lines(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "config", "diff.suppressBlankEmpty", "true")
    text = "diff --git a/x b/x\n+++ b/x\n--- a/x\n@@ -1 +1 @@\n\\ No newline at end of file\n\n\n* Unmerged path y\n"
    stage(repo, "notes.txt", text)
    old = (repo / "src/app.py").read_text()
    stage(repo, "src/app.py", old.replace("return x + 5\n", "return x + 5\n\n\n"))
    assert check(repo, monkeypatch) == (True, 0)


@pytest.mark.timeout(120)
def test_files_that_are_all_staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage(repo, "src/new.py", "x = 1\n")
    (repo / "sub").mkdir()
    assert check(repo, monkeypatch, ("src/new.py", "gone.py", "sub")) == (True, 0)


# -- what it leaves to the full path ---------------------------------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda: f"MINDEE_API_KEY = '{v2_key()}'\n", id="v2-key"),
        pytest.param(lambda: "MINDEE_API_KEY = 'md_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n", id="placeholder"),
        pytest.param(lambda: f"MINDEE_API_KEY={v1_key()}\n", id="legacy-key"),
        pytest.param(
            lambda: f"data:\n  MINDEE_V2_API_KEY: {base64.b64encode(v2_key().encode()).decode()}\n",
            id="base64-key",
        ),
        pytest.param(lambda: f"token = '{v2_key()}'  # mindee-scan: allow\n", id="inline-allow"),
    ],
)
def test_anything_that_hits_goes_to_the_full_path(repo: Path, monkeypatch: pytest.MonkeyPatch, content: object) -> None:
    assert callable(content)
    stage(repo, "settings.py", content())
    decided, _ = check(repo, monkeypatch)
    assert not decided


@pytest.mark.timeout(120)
def test_legacy_key_whose_context_is_on_an_unchanged_line(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commit_file(repo, "client.py", "URL = 'https://api.mindee.net/v1/products'\nheaders = {}\n")
    added = f"headers = {{'Authorization': 'Token {v1_key()}'}}\n"
    stage(repo, "client.py", f"URL = 'https://api.mindee.net/v1/products'\n{added}")
    assert check(repo, monkeypatch) == (False, 1)


@pytest.mark.timeout(120)
def test_a_key_already_committed_in_a_modified_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = v2_key()
    commit_file(repo, "settings.py", f"MINDEE_API_KEY = '{key}'\n")
    stage(repo, "settings.py", f"MINDEE_API_KEY = '{key}'\nDEBUG = True\n")
    assert check(repo, monkeypatch) == (False, 0)  # not added by this commit: the full path says so


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", quickstaged.REPO_FILES)
def test_repository_files_that_change_detection(repo: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    key = v2_key()
    text = {".mindee-scan.yaml": "allowlist:\n  paths: ['settings.py']\n"}.get(name, "")
    commit_file(repo, name, text)
    stage(repo, "settings.py", f"MINDEE_API_KEY = '{key}'\n")
    stage(repo, "clean.py", "x = 1\n")
    decided, _ = check(repo, monkeypatch, ("clean.py",))
    assert not decided
    git(repo, "rm", "-q", "--cached", "settings.py")
    assert not check(repo, monkeypatch)[0]


@pytest.mark.timeout(120)
def test_repository_file_names_are_the_full_paths(tmp_path: Path) -> None:
    from scanner.config import CONFIG_NAME
    from scanner.suppress.ignorefile import root_ignore_files

    for name in quickstaged.REPO_FILES:  # root_ignore_files lists the ones that exist
        (tmp_path / name).write_text("")
    names = {Path(p).name for p in root_ignore_files(str(tmp_path))}
    assert {CONFIG_NAME, *names} == set(quickstaged.REPO_FILES)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), id="binary"),
        pytest.param("x = 1\n".encode("utf-16"), id="utf-16"),
        pytest.param(b"\xef\xbb\xbfx = 1\n", id="utf-8-bom"),
        # git looks for NUL in the first 8,000 bytes, the detector in the first 8,192
        pytest.param(b"x = 1\n" * 1350 + b"\x00y\n", id="nul-git-misses"),
    ],
)
def test_files_the_detector_prepares_go_to_the_full_path(
    repo: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    stage(repo, "blob.bin", content)
    assert check(repo, monkeypatch) == (False, 0)


@pytest.mark.timeout(120)
def test_nul_past_both_sniffs_is_plain_text(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage(repo, "data.txt", b"x = 1\n" * 2000 + b"\x00y\n")
    assert check(repo, monkeypatch) == (True, 0)


@pytest.mark.timeout(120)
def test_file_with_nothing_staged_is_scanned_whole_by_the_full_path(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage(repo, "src/new.py", "x = 1\n")
    write(repo, "local.py", f"MINDEE_API_KEY = '{v2_key()}'\n")  # not staged, named
    assert check(repo, monkeypatch, ("src/new.py", "local.py")) == (False, 1)
    assert check(repo, monkeypatch, ("src/new.py", "README.md")) == (False, 0)


@pytest.mark.timeout(120)
def test_merge_in_progress(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    commit_file(repo, "README.md", "# project\n\nOther words.\n")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "README.md", "# project\n\nMain words.\n")
    subprocess.run(["git", "-C", str(repo), "merge", "-q", "other"], capture_output=True)  # conflicts
    assert check(repo, monkeypatch)[0] is False
    stage(repo, "README.md", "# project\n\nBoth words.\n")  # resolved, merge still in progress
    assert check(repo, monkeypatch)[0] is False


@pytest.mark.timeout(120)
def test_submodules_added_moved_and_deleted(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The full path lists an added or moved submodule as skipped ("skipped 1 submodule" in `staged`'s
    summary) and passes a deleted one over: a Mindee client's commit that bumps its test-data
    submodule is decided by the fast path with the same summary (a fifth of the clients' commits)."""
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{first},vendor/lib")
    assert check(repo, monkeypatch) == (True, 0)
    assert "; skipped 1 submodule\n" in invoke("staged", cwd=repo).stdout
    stage(repo, "src/feature.py", "def feature(x):\n    return x\n")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{first},vendor/other")
    assert check(repo, monkeypatch) == (True, 0)
    assert check(repo, monkeypatch, ("src/feature.py", "vendor/lib")) == (True, 0)
    git(repo, "commit", "-q", "-m", "submodules")
    second = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--cacheinfo", f"160000,{second},vendor/lib")  # the pinned commit moves
    git(repo, "update-index", "--force-remove", "vendor/other")  # a deleted one: nothing to list
    assert check(repo, monkeypatch) == (True, 0)
    assert "; skipped 1 submodule\n" in invoke("staged", cwd=repo).stdout
    git(repo, "update-index", "--force-remove", "vendor/lib")
    assert check(repo, monkeypatch) == (True, 0)
    assert "skipped" not in invoke("staged", cwd=repo).stdout


@pytest.mark.timeout(120)
def test_a_deleted_binary_file_is_decided(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The full path scans nothing of a deleted file, binary or not."""
    commit_file(repo, "logo.png", b"\x89PNG\x00\x01binary")
    assert check(repo, monkeypatch) == (True, 0)
    git(repo, "rm", "-q", "logo.png")
    assert check(repo, monkeypatch) == (True, 0)
    stage(repo, "icon.png", b"\x89PNG\x00\x02binary")  # a binary staged: the full path scans it
    assert check(repo, monkeypatch) == (False, 0)


@pytest.mark.timeout(120)
def test_without_cache_or_git_dir_it_stays_out(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage(repo, "a.py", "x = 1\n")
    monkeypatch.setenv("MINDEE_SCAN_NO_CACHE", "1")
    assert check(repo, monkeypatch) == (False, 0)
    monkeypatch.delenv("MINDEE_SCAN_NO_CACHE")
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert check(repo, monkeypatch) == (False, 0)


@pytest.mark.timeout(120)
def test_a_partial_commit_index(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`git commit FILE` runs the hook with GIT_INDEX_FILE naming a temporary index: that one is read."""
    stage(repo, "a.py", "x = 1\n")
    index = repo / ".git" / "other-index"
    env = {"GIT_INDEX_FILE": str(index)}
    git(repo, "read-tree", "HEAD", env=env)
    write(repo, "b.py", f"MINDEE_API_KEY = '{v2_key()}'\n")
    git(repo, "add", "b.py", env=env)
    monkeypatch.setenv("GIT_INDEX_FILE", str(index))
    assert check(repo, monkeypatch) == (False, 1)
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert check(repo, monkeypatch) == (True, 0)


# -- Mindee's clients: the word `mindee` in every file ------------------------------------------------------

CLIENT_PY = (
    "from mindee import Client, product\n\n"
    "# Init a new mindee client\n"
    'mindee_client = Client(api_key="my-api-key")\n\n'
    + "".join(f"def parse_{i}(path):\n    return mindee_client.parse(product.InvoiceV4, path)\n\n" for i in range(20))
)
CLIENT_YAML = "mindee:\n  endpoint: https://api.example.com/v1\n  region: eu\n\n  # the key, below\n"


@pytest.fixture()
def client_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "client")
    commit_file(repo, "mindee/client.py", CLIENT_PY)
    commit_file(repo, "config/mindee.yaml", CLIENT_YAML)
    commit_file(repo, "docs/mindee.md", "# Mindee client\n\nThe mindee library parses documents.\n")
    return repo


@pytest.mark.timeout(120)
def test_clean_commit_of_a_mindee_client_is_decided(client_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage(client_repo, "mindee/client.py", CLIENT_PY + "def mindee_version():\n    return 'mindee 4.1'\n")
    stage(client_repo, "docs/mindee.md", "# Mindee client\n\nThe mindee library parses documents.\nNew: mindee v4.\n")
    stage(
        client_repo, "mindee/extra.js", "const mindee = require('mindee');\nconst mindeeClient = new mindee.Client();\n"
    )
    assert check(client_repo, monkeypatch) == (True, 0)
    assert check(client_repo, monkeypatch, ("mindee/client.py", "docs/mindee.md")) == (True, 0)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Lines added to a Mindee client, each found (if at all) only through the wide rule's hit or a decoder.
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("added", "found"),
    [
        pytest.param(lambda k: f"  tokenLegacy: {k}\n", 1, id="key-under-section-context-above"),
        pytest.param(lambda k: f"  api_key: {k}\n", 1, id="api-key-under-section"),
        pytest.param(lambda k: f'  tok"+"en: "{k[:15]}"+"{k[15:]}"\n', 1, id="key-concatenated"),
        pytest.param(
            lambda k: f'mindee_config = {{"tok" "en": "{k[:15]}"\n    "{k[15:]}"}}\n', 1, id="key-split-over-lines"
        ),
        pytest.param(lambda k: f'mindee_config = "{_b64("token: " + k)}"\n', 1, id="key-in-base64"),
        pytest.param(
            lambda k: f'mindee_config = "t\\u006fken: {k[:15]}\\u00{ord(k[15]):02x}{k[16:]}"\n', 1, id="json-escaped"
        ),
        pytest.param(lambda k: f"  checksum_md5: {k.upper()}\n", 0, id="hex-not-a-key"),
        pytest.param(lambda k: "mindee_name = 'Mindee' + 'Client'\n", 0, id="join-without-key"),
        pytest.param(lambda k: f"mindee_logo = '{_b64('a plain text picture of a logo')}'\n", 0, id="base64-text"),
    ],
)
def test_mindee_client_keys_go_to_the_full_path(
    client_repo: Path, monkeypatch: pytest.MonkeyPatch, added: object, found: int
) -> None:
    assert callable(added)
    stage(client_repo, "config/mindee.yaml", CLIENT_YAML + added(v1_key()))
    assert check(client_repo, monkeypatch) == (False, found)


@pytest.mark.timeout(120)
def test_key_on_an_unchanged_line_of_a_mindee_client(client_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key is the file's already (not reported: not added), the commit adds a line below it; then
    the commit replaces it (reported: the new key's line is added, its section's lines are not)."""
    commit_file(client_repo, "config/mindee.yaml", f"{CLIENT_YAML}  tokenLegacy: {v1_key()}\n")
    stage(client_repo, "config/mindee.yaml", (client_repo / "config/mindee.yaml").read_text() + "  retries: 3\n")
    assert check(client_repo, monkeypatch) == (False, 0)
    stage(client_repo, "config/mindee.yaml", f"{CLIENT_YAML}  tokenLegacy: {v1_key()}\n  retries: 3\n")
    assert check(client_repo, monkeypatch) == (False, 1)
