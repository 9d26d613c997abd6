"""The Dockerfile, linted: no docker engine runs here, so its properties are checked from its text.

Pinned base images, a non-root USER in the final stage, git installed, the `mindee-scan` entry point in
exec form, dependencies installed with the pinned constraints, and every COPY source present and not
dropped by .dockerignore (a missing one fails only at `docker build`). Where a docker engine answers,
the image is also built and run (marked slow).
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.testing import paths

ROOT = paths.ROOT


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, args = full.partition(" ")
        out.append((word.upper(), args.strip()))
    assert not pending, "a continuation line runs off the end of the Dockerfile"
    return out


def stages(steps: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for word, args in steps:
        if word == "FROM":
            found.append([])
        assert found, "the first instruction must be FROM"
        found[-1].append((word, args))
    return found


STEPS = instructions((ROOT / "Dockerfile").read_text())
STAGES = stages(STEPS)
FINAL = STAGES[-1]


def test_base_images_are_pinned() -> None:
    for word, args in STEPS:
        if word != "FROM":
            continue
        image = args.split()[0]
        if image in {s[0][1].split()[-1] for s in STAGES if " AS " in s[0][1].upper()}:
            continue  # FROM an earlier stage
        assert "@sha256:" in image or re.search(r":\d+\.\d+\.\d+[-\w.]*$", image), f"unpinned base image {image}"
        assert not image.endswith(":latest")


def test_final_stage_runs_as_a_non_root_user_with_git_and_the_entry_point() -> None:
    users = [args for word, args in FINAL if word == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    runs = " ".join(args for word, args in FINAL if word == "RUN")
    assert re.search(r"apt-get install [^&]*\bgit\b", runs), "git must be installed in the final image"
    assert "rm -rf /var/lib/apt/lists" in runs, "keep the image small: drop apt's lists"
    (entry,) = [args for word, args in FINAL if word == "ENTRYPOINT"]
    assert json.loads(entry) == ["mindee-scan"], "exec form, so signals reach the scanner and args append"
    assert not any(word == "RUN" and "pip install" in args for word, args in FINAL), "no build tools in the image"


def test_dependencies_are_installed_with_the_pinned_constraints() -> None:
    installs = [args for word, args in STEPS if word == "RUN" and "pip install" in args]
    assert installs and all("--constraint ci/constraints.txt" in a for a in installs)
    assert not any(re.search(r"pip install [^&]*\bmindee-scan\b", a) for a in installs), "never by name"


def test_every_copy_source_exists_and_is_not_docker_ignored() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for word, args in STEPS:
        if word != "COPY" or args.startswith("--from"):
            continue
        *sources, _dest = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            for pattern in ignored:
                assert not fnmatch.fnmatch(source, pattern) and not source.startswith(pattern.rstrip("/") + "/"), (
                    f"COPY {source} is excluded by .dockerignore ({pattern})"
                )
    assert ".git" in ignored and ".venv" in ignored, "keep the build context small"


def test_readme_shows_the_build_and_a_one_off_audit() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker build -t mindee-scan ." in readme
    assert re.search(r'docker run --rm [^`]*-v "\$PWD:/src:ro" mindee-scan git /src', readme)


def _engine() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.skipif(not _engine(), reason="no docker engine answers here; the Dockerfile is linted above")
def test_image_builds_and_scans(tmp_path: Path) -> None:
    build = subprocess.run(["docker", "build", "-q", "-t", "mindee-scan-test", str(ROOT)], capture_output=True)
    assert build.returncode == 0, build.stderr.decode()[-2000:]
    who = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", "mindee-scan-test", "-u"], capture_output=True)
    assert who.stdout.decode().strip() != "0"
    (tmp_path / "a.env").write_text("nothing here\n")
    scan = subprocess.run(
        ["docker", "run", "--rm", "-v", f"{tmp_path}:/src:ro", "mindee-scan-test", "dir", "/src"], capture_output=True
    )
    assert scan.returncode == 0, scan.stderr.decode()
