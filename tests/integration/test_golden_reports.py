"""Golden files for every report format: a change to what users read shows up as a diff in review.

Two small deterministic scans run in-process (`main(argv)`): `dir` over tests/data/golden/tree and
`git` over a repository built from it with fixed dates (so fixed commit ids). Only what changes from
run to run is normalised: durations, the generation time and the tool version. The HTML page's inlined
stylesheet and script are checked to be scanner/report/html_assets.py's, verbatim, and stand in its
golden file as markers (their CSP hashes stay in it, so a changed stylesheet or script still shows in
the diff). After an intended change, regenerate with
`pytest tests/integration/test_golden_reports.py --update-golden` and review the diff of tests/golden/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner import __version__
from scanner.cli.main import main
from scanner.report.html_assets import CSS, JS
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.paths import DATA, ROOT

GOLDEN = ROOT / "tests" / "golden"
FIXTURE = DATA / "golden"
FORMATS = {
    "text": "txt",
    "json": "json",
    "jsonl": "jsonl",
    "sarif": "sarif.json",
    "html": "html",
    "junit": "xml",
    "csv": "csv",
    "gitlab": "gitlab.json",
}

# (pattern, replacement): each names the one run-dependent value it hides.
_VOLATILE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r'("duration_s": )[0-9.e-]+'), r"\g<1>0.0"),  # json, jsonl
    (re.compile(r"( in )[0-9.]+s\b"), r"\g<1><DURATION>s"),  # text summary, html header
    (re.compile(r'( time=")[0-9.]+(")'), r"\g<1><DURATION>\g<2>"),  # junit
    (re.compile(r"(generated )\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), r"\g<1><NOW>"),  # html
    (re.compile(r"\((?:\d+ y \d+ mo|\d+ days) ago\)"), "(<AGE> ago)"),  # html: the oldest commit's age today
    (re.compile(r'("(?:start|end)_time": ")[0-9T:-]+(")'), r"\g<1><NOW>\g<2>"),  # gitlab
    (re.compile(rf"(?<![\w.]){re.escape(__version__)}(?![\w.])"), "<VERSION>"),  # every format
]


def normalise(text: str, tmp: Path | None = None) -> str:
    if tmp is not None:  # the history scan's target is the repository's absolute path
        text = text.replace(str(tmp), "<TMP>")
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


# Each inlined asset's block, and the marker that stands for it in a golden page.
_ASSETS = {
    "<style>" + CSS + "</style>": "<style><!-- html_assets.CSS --></style>",
    "<script>" + JS + "</script>": "<script><!-- html_assets.JS --></script>",
}


def without_assets(page: str) -> str:
    """The page with its stylesheet and script replaced by markers, once each is checked to be html_assets'
    own, embedded once and verbatim."""
    for block, marker in _ASSETS.items():
        assert page.count(block) == 1, f"the page must embed {marker} verbatim, once"
        page = page.replace(block, marker)
    return page


def _dir_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], int]:
    monkeypatch.chdir(FIXTURE)
    return lambda extra: main(["dir", "-j", "1", "tree", *extra])


def _git_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], int]:
    repo = init_repo(tmp_path / "repo")
    shutil.copytree(FIXTURE / "tree", repo, dirs_exist_ok=True)
    git(repo, "add", "-A")
    day1 = {"GIT_AUTHOR_DATE": "2024-01-01T10:00:00+00:00", "GIT_COMMITTER_DATE": "2024-01-01T10:00:00+00:00"}
    git(repo, "commit", "-q", "-m", "add the application", env=day1)
    commit_file(
        repo, "removed.env", (FIXTURE / "removed.env").read_text(), "add a local env", "2024-02-01T10:00:00+00:00"
    )
    git(repo, "rm", "-q", "removed.env")
    day3 = {"GIT_AUTHOR_DATE": "2024-03-01T10:00:00+00:00", "GIT_COMMITTER_DATE": "2024-03-01T10:00:00+00:00"}
    git(repo, "commit", "-q", "-m", "remove the local env", env=day3)
    monkeypatch.chdir(tmp_path)
    return lambda extra: main(["git", "-j", "1", "--no-progress", "repo", *extra])


SCANS = {"dir": _dir_scan, "git": _git_scan}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("scan", sorted(SCANS))
def test_every_format_matches_its_golden_file(
    scan: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    run = SCANS[scan](tmp_path, monkeypatch)
    update = bool(request.config.getoption("--update-golden"))
    stale: list[str] = []
    for fmt, ext in FORMATS.items():
        out = tmp_path / f"report.{ext}"
        assert run(["-f", fmt, "--no-color", "-o", str(out)]) == 1  # findings: exit 1
        got = out.read_text(encoding="utf-8")
        got = normalise(without_assets(got) if fmt == "html" else got, tmp_path)
        golden = GOLDEN / f"{scan}.{ext}"
        if update:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(got, encoding="utf-8")
        elif not golden.exists() or golden.read_text(encoding="utf-8") != got:
            stale.append(golden.relative_to(ROOT).as_posix())
    assert not stale, f"reports differ from {stale}: if intended, rerun with --update-golden and review the diff"


def test_without_assets_refuses_a_page_whose_stylesheet_or_script_is_not_html_assets() -> None:
    page = f"<head><style>{CSS}</style></head><body><script>{JS}</script></body>"
    assert without_assets(page) == (
        "<head><style><!-- html_assets.CSS --></style></head><body><script><!-- html_assets.JS --></script></body>"
    )
    for broken in (
        page.replace(CSS, CSS.replace("--accent:#2f5bea", "--accent:#000")),
        page.replace(JS, JS[:-2]),
        page.replace("</body>", f"<style>{CSS}</style></body>"),
        page.replace(f"<script>{JS}</script>", ""),
    ):
        with pytest.raises(AssertionError):
            without_assets(broken)


def test_normalise_hides_only_run_dependent_values() -> None:
    """The golden files must still catch a changed finding: normalising leaves everything else alone."""
    text = f'scanned 4 file(s), 0.0 MiB in 0.25s\n"duration_s": 0.2421, "line": 4, mindee-scan {__version__}'
    assert (
        normalise(text)
        == 'scanned 4 file(s), 0.0 MiB in <DURATION>s\n"duration_s": 0.0, "line": 4, mindee-scan <VERSION>'
    )
    assert normalise('"date": "2024-01-01T10:00:00+00:00"') == '"date": "2024-01-01T10:00:00+00:00"'
    assert (
        normalise("2024-01-01 (2 y 11 mo ago) at /tmp/x/repo", Path("/tmp/x")) == "2024-01-01 (<AGE> ago) at <TMP>/repo"
    )
