"""A new user's walk-through, in a fresh clone of this checkout: every install and CI snippet of the README
and docs/git.md run as pasted (only the repository URL becomes the local clone, and /tmp a test folder).

The README's first command (a user's install and a real scan), the pre-commit snippet through the real
framework (`rev: main`, then `pre-commit autoupdate --freeze` pins the sha), install-hook, the GitHub
Action's own install and scan steps, and the GitLab template's script. The Dockerfile is linted in
tests/integration/test_dockerfile.py (no docker engine here). Each step installs from the clone: slow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.testing import paths
from tests.testing.ci_repos import checkout, remote_and_dev
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git, init_repo, snapshot_of_checkout
from tests.testing.keys import v2_key

ROOT = paths.ROOT
URL = "https://github.com/mindee/mindee-scan"
README = (ROOT / "README.md").read_text()
GIT_DOC = (ROOT / "docs" / "git.md").read_text()

pytestmark = pytest.mark.timeout(900)
slow = pytest.mark.slow  # each step installs from a fresh clone; the checks on the text alone are quick


def blocks(markdown: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", markdown, flags=re.S)


def commands(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def sh(
    command: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """bash, as a user pastes it; hermetic git; python3 is the interpreter running the tests."""
    bin_dir = Path(sys.executable).parent
    full = {**os.environ, **HERMETIC_ENV, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    full.pop("VIRTUAL_ENV", None)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A fresh clone of this checkout as it is now (committed or not), and its commit."""
    root = tmp_path_factory.mktemp("walk")
    snap = root / "mindee-scan"
    snapshot_of_checkout(snap)
    fresh = root / "clone"
    git(root, "clone", "-q", str(snap), str(fresh))
    yield fresh, git(fresh, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def user_install(clone: tuple[Path, str]) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The README's first command, as pasted, in the fresh clone."""
    first = commands(blocks(README, "bash")[0])[0]
    proc = sh(first, clone[0])
    return clone[0] / ".venv", proc


@slow
def test_first_command_is_a_user_install_and_a_real_scan(
    user_install: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    first = commands(blocks(README, "bash")[0])[0]
    assert "pip install ." in first and "[test" not in first, "the user's install comes first, without extras"
    venv, proc = user_install
    # The repository passes its own scan, files and history (fixtures allowlisted, see .mindee-scan-ignore).
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "scanned" in proc.stdout + proc.stderr
    assert (venv / "bin" / "mindee-scan").exists()
    assert not (venv / "bin" / "pytest").exists(), "a user's install has no test tools"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    first_block = commands(blocks(README, "bash")[0])
    developer = first_block[1:]
    quick, full = ".venv/bin/pytest -q", ".venv/bin/pytest -q --all"
    assert developer == [".venv/bin/pip install -e '.[test,dev]'", quick, full], developer
    assert "what CI runs" in blocks(README, "bash")[0], "the first screen says which command is CI's full suite"
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    for line in (developer[0], full):
        assert line in ci, f".ci/run must run the README's `{line}` unchanged"
    assert quick not in ci, "CI runs the full suite, not the quick one"
    for lint in (".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"):
        assert lint in ci
    assert ci.index(full) > ci.index(".venv/bin/pip install -e '.[test,dev]'")


def test_no_snippet_names_a_tag_or_the_index_package() -> None:
    for name, text in (
        ("README.md", README),
        ("docs/git.md", GIT_DOC),
        ("action.yml", (ROOT / "action.yml").read_text()),
    ):
        for block in [
            *blocks(text, "yaml"),
            *blocks(text, "bash"),
            *blocks(text, "sh"),
            text if name == "action.yml" else "",
        ]:
            assert "v0.1.0" not in block, f"{name}: no such tag exists"
            assert not re.search(r"pip install (--\S+ )*mindee-scan\b", block), f"{name}: not our name on the index"
        assert not re.search(r"\|\| true", "".join(blocks(text, "yaml"))), f"{name}: `|| true` hides exit 2"


@slow
def test_pre_commit_snippet_through_the_real_framework(clone: tuple[Path, str], tmp_path: Path) -> None:
    fresh, sha = clone
    (snippet,) = [b for b in blocks(README, "yaml") if "mindee-scan-pre-push" in b]
    assert URL in snippet and "rev: main" in snippet
    repo = init_repo(tmp_path / "work")
    config = repo / ".pre-commit-config.yaml"
    config.write_text(snippet.replace(URL, str(fresh)))
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    assert sh("pre-commit install", repo, env).returncode == 0
    git(repo, "add", ".pre-commit-config.yaml")
    first = sh("git commit -q -m config", repo, env)
    assert first.returncode == 0, first.stdout + first.stderr

    key = v2_key()
    (repo / "settings.py").write_text(f"MINDEE_API_KEY = '{key}'\n")
    git(repo, "add", "settings.py")
    blocked = sh("git commit -m key", repo, env)
    assert blocked.returncode == 1 and "settings.py:1:" in blocked.stdout + blocked.stderr, blocked.stderr
    assert key not in blocked.stdout + blocked.stderr

    # "How to pin": autoupdate --freeze writes the commit sha as rev (there is no tag to find).
    frozen = sh("pre-commit autoupdate --freeze", repo, env)
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr
    assert yaml.safe_load(config.read_text())["repos"][0]["rev"] == sha
    (repo / "settings.py").write_text("MINDEE_API_KEY = os.environ['MINDEE_API_KEY']\n")
    git(repo, "add", "settings.py", ".pre-commit-config.yaml")
    clean = sh("git commit -q -m settings", repo, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr


@slow
def test_install_hook_from_the_user_install(
    user_install: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    venv, _ = user_install
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    assert sh(f"{venv}/bin/mindee-scan install-hook", repo).returncode == 0
    (repo / "k.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    git(repo, "add", "k.env")
    blocked = sh("git commit -m k", repo, {"PATH": "/usr/bin:/bin"})  # no mindee-scan on PATH: the hook finds it
    assert blocked.returncode == 1 and "k.env:1:" in blocked.stdout + blocked.stderr, blocked.stderr


@slow
def test_github_action_install_and_scan_steps(clone: tuple[Path, str], tmp_path: Path) -> None:
    fresh, _ = clone
    action = yaml.safe_load((fresh / "action.yml").read_text())
    install, scan = action["runs"]["steps"]
    assert "setup-python" not in json.dumps(action), "the caller's Python stays as it was"
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    github_env, step_output = tmp_path / "github-env", tmp_path / "install-output"
    env = {
        "MS_ACTION_PATH": str(fresh),
        "MS_PYTHON": "python3",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ENV": str(github_env),
        "GITHUB_PATH": str(tmp_path / "github-path"),
        "GITHUB_OUTPUT": str(step_output),
    }
    installed = sh(install["run"], tmp_path, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert not github_env.exists() and not (tmp_path / "github-path").exists(), "later steps see no change"
    venv = dict(line.split("=", 1) for line in step_output.read_text().splitlines())["venv"]
    assert venv.startswith(str(runner_temp)) and scan["env"]["MS_VENV"] == "${{ steps.install.outputs.venv }}"
    exported = {"MS_VENV": venv}
    frozen = sh(f'"{venv}/bin/python" -m pip list --format=freeze', tmp_path).stdout
    for pin in (ROOT / "ci" / "constraints.txt").read_text().splitlines():
        if pin and not pin.startswith("#"):
            assert pin.lower() in frozen.lower(), f"{pin} is pinned"

    remote, dev = remote_and_dev(tmp_path)
    base = commit_file(dev, "README", "hi\n")
    git(dev, "push", "-q", "origin", "main")
    tip = commit_file(dev, "k.env", f"MINDEE_API_KEY={v2_key()}\n")
    git(dev, "push", "-q", "origin", "main")
    co = checkout(remote, tmp_path / "co", "refs/heads/main", tip)
    (tmp_path / "event.json").write_text(json.dumps({"ref": "refs/heads/main", "before": base, "after": tip}))
    scan_env = {
        **exported,
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": tip,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "INPUT_SCAN": "changes",
        "INPUT_ARGS": "--format sarif\n--output mindee-scan.sarif\n",
    }
    ran = sh(scan["run"], co, scan_env)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "k.env:1:" in ran.stdout and (co / "mindee-scan.sarif").is_file()
    assert "objects-scanned=2" in (tmp_path / "out").read_text()


@slow
def test_gitlab_template_script(clone: tuple[Path, str], tmp_path: Path) -> None:
    fresh, sha = clone
    job = yaml.safe_load((fresh / "ci" / "gitlab" / "mindee-scan.gitlab-ci.yml").read_text())["mindee-scan"]
    variables = {k: str(v) for k, v in job["variables"].items()}
    assert variables["MINDEE_SCAN_REPO"].startswith(URL) and variables["GIT_DEPTH"] == "0"
    work = tmp_path / "t"
    work.mkdir()
    script = "set -e\n" + "\n".join(line.replace("/tmp/", f"{work}/") for line in job["script"])

    remote, dev = remote_and_dev(tmp_path)
    base = commit_file(dev, "README", "hi\n")
    git(dev, "push", "-q", "origin", "main")
    git(dev, "checkout", "-q", "-b", "feature")
    head = commit_file(dev, "mr.env", f"MINDEE_API_KEY={v2_key()}\n")
    git(dev, "push", "-q", "origin", "feature")
    co = checkout(remote, tmp_path / "co", "refs/heads/feature", head)
    env = {
        **variables,
        "MINDEE_SCAN_REPO": str(fresh),
        "MINDEE_SCAN_REF": sha,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_COMMIT_SHA": head,
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
    }
    ran = sh(script, co, env)
    assert ran.returncode == 1, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "mr.env:1:" in ran.stdout
    report = json.loads((co / job["artifacts"]["reports"]["secret_detection"]).read_text())
    schema = json.loads((ROOT / "tests" / "data" / "gitlab-secret-detection-report-format.json").read_text())
    jsonschema.Draft7Validator(schema).validate(report)
    assert [v["location"]["file"] for v in report["vulnerabilities"]] == ["mr.env"]


def test_docs_workflows_parse_and_pair_sarif_with_a_full_scan() -> None:
    workflows = [yaml.safe_load(b) for b in blocks(GIT_DOC, "yaml") if "runs-on" in b]
    assert len(workflows) >= 2
    sarif = next(w for w in workflows if "sarif" in json.dumps(w))
    assert sarif["permissions"]["security-events"] == "write"
    steps = next(iter(sarif["jobs"].values()))["steps"]
    scan = next(s for s in steps if str(s.get("uses", "")).startswith("mindee/mindee-scan@"))
    assert scan["with"]["scan"] == "full", "code scanning closes alerts missing from an upload: full scans only"
    upload = next(s for s in steps if "upload-sarif" in str(s.get("uses", "")))
    assert "always()" in upload["if"]
    triggers = sarif.get("on") or sarif.get(True)  # YAML 1.1 reads a bare `on` as True
    assert "schedule" in triggers
    for w in workflows:
        checkout_step = next(iter(w["jobs"].values()))["steps"][0]
        assert checkout_step["with"]["fetch-depth"] == 0


@slow
def test_pip_install_from_the_repository_url_pinned_to_a_commit(clone: tuple[Path, str], tmp_path: Path) -> None:
    """The README's install without a checkout (`git+URL@<commit sha>`, what pipx runs too)."""
    fresh, sha = clone
    pinned = re.search(r"`(git\+https://github\.com/mindee/mindee-scan)@<commit sha>`", README)
    assert pinned, "the README shows how to pin the URL install to a commit"
    spec = pinned.group(1).replace(f"git+{URL}", f"git+file://{fresh}") + f"@{sha}"
    venv = tmp_path / "venv"
    made = sh(f'python3 -m venv "{venv}" && "{venv}/bin/python" -m pip install -q "{spec}"', tmp_path)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    (tmp_path / "a.txt").write_text("nothing\n")
    scanned = sh(f'"{venv}/bin/mindee-scan" dir a.txt', tmp_path)
    assert scanned.returncode == 0 and "scanned 1 file" in scanned.stdout + scanned.stderr, scanned.stderr
