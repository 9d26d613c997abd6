"""HTML report: self-contained, escaped, redacted; loaded in real headless Chromium (sort, filter, no network)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Occurrence, ScanResult, ScanStats, Verification
from scanner.report import RenderOptions
from scanner.report.html import render
from tests.testing.chromium import Chromium, chromium_path
from tests.testing.cli import invoke
from tests.testing.findings import make_finding
from tests.testing.keys import v1_key, v2_key, v2_long_key

# Names a hostile repository can give its files (no "/" on Linux), and a line of markup around a key.
HOSTILE_NAME = '"><img src=x onerror=window.__pwned=1>.py'
HOSTILE_LINE = "<script>window.__pwned=2</script><b onmouseover=alert(1)>"


def _history_result() -> tuple[ScanResult, list[str]]:
    verdicts = ["live", "revoked", "unknown", "not-checked", "revoked", "live"]
    keys = [v2_key(), v2_long_key(), v1_key(), v2_key(), v2_key(), v2_long_key()]
    findings = []
    for i, (key, verdict) in enumerate(zip(keys, verdicts, strict=True)):
        findings.append(
            make_finding(
                rule_id="mindee-legacy-api-key" if len(key) == 32 else "mindee-api-key",
                description="Mindee API key",
                severity="critical",
                path=HOSTILE_NAME if i == 2 else f"svc{i}/settings.py",
                line=3 + i,
                column=18,
                secret=key,
                line_text=f'{HOSTILE_LINE} KEY = "{key}"',
                commit=f"{i}" * 40,
                author=f"Dev {i} <d{i}@example.com>",
                date=f"20{18 + i}-0{1 + i}-15T12:00:00+00:00",
                present_at_head=i % 2 == 0,
                refs=("refs/heads/main",),
                occurrences=tuple(Occurrence(f"svc{i}/old{j}.py", j + 1, "f" * 40) for j in range(i)),
                repo=f"acme/repo-{i % 2}",
                verification=Verification(verdict, model_count=2 if verdict == "live" else None),
            )
        )
    stats = ScanStats(files_scanned=40, bytes_scanned=123456)
    stats.notes.append("acme/repo-1: shallow clone, history incomplete")
    return ScanResult(findings, stats, target="acme", source="git"), keys


def test_page_is_self_contained_with_a_strict_csp() -> None:
    result, _ = _history_result()
    page = render(result, RenderOptions())
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy and "'unsafe-inline'" not in policy
    # No reference that a browser would fetch: no src=, no stylesheet link, no url(), no @import.
    assert not re.search(r"\ssrc=|<link\b|url\(|@import", page.replace(_escaped(HOSTILE_NAME), ""))
    # The only outbound links are Mindee's pages the user must go to (the md_ key dashboard, Insights for
    # a live md_ key's usage); they are never loaded on their own.
    assert set(re.findall(r'href="([^"]+)"', page)) <= {
        "https://app.mindee.com/settings?tab=api-keys",
        "https://app.mindee.com/insights",
        "https://platform.mindee.com",
    }
    assert "https://app.mindee.com/settings?tab=api-keys" in re.findall(r'href="([^"]+)"', page)


def _escaped(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def test_everything_from_the_scan_is_escaped_and_redacted() -> None:
    result, keys = _history_result()
    page = render(result, RenderOptions())
    for key in keys:
        assert key not in page
    assert HOSTILE_NAME not in page and _escaped(HOSTILE_NAME) in page
    assert "<script>window" not in page and "<b onmouseover" not in page
    assert page.count("<script") == 1
    shown = render(result, RenderOptions(show_secrets=True))
    assert all(key in shown for key in keys) and "shows keys in full" in shown


def test_summary_counts_and_charts() -> None:
    result, _ = _history_result()
    page = render(result, RenderOptions())
    cards = dict(
        (label, n) for n, label in re.findall(r'<div class="n">([^<]+)</div><div class="l">([^<]+)</div>', page)
    )
    assert cards["keys found"] == "6" and cards["live"] == "2" and cards["revoked"] == "2"
    assert cards["unknown / not checked"] == "2" and cards["repositories"] == "2"
    assert cards["Mindee keys"] == "6"
    assert any(label.startswith("oldest exposure") and n == "2018-01-15" for label, n in cards.items())
    assert page.count("<svg") == 3
    assert 'aria-label="Keys exposed over time"' in page
    assert "<title>2018: 1 key(s) exposed, 1 live</title>" in page  # 6 years span: one bar per year


def test_directory_scan_has_no_timeline_but_says_why() -> None:
    f = make_finding(
        rule_id="mindee-api-key", description="d", severity="critical", path="a.py", line=1, column=1, secret=v2_key()
    )
    page = render(ScanResult([f], ScanStats(files_scanned=1), target=".", source="dir"), RenderOptions())
    assert "No commit dates" in page
    assert page.count("<svg") == 2


# ---------------------------------------------------------------- in a real browser

needs_chromium = pytest.mark.skipif(
    chromium_path() is None, reason="chromium is not installed (apt-get install -y chromium; .ci/run does it)"
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    b = Chromium(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


def _visible_rows(b: Chromium) -> Any:
    return b.evaluate("Array.from(document.querySelectorAll('tr.finding')).filter(r => !r.hidden).length")


def _set(b: Chromium, selector: str, value: str) -> None:
    b.evaluate(
        f"(() => {{ const el = document.querySelector({selector!r}); el.value = {value!r};"
        " el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


def _assert_clean_load(b: Chromium, url: str) -> None:
    assert b.console_errors() == []
    assert b.dialogs() == []
    assert b.requests() == [url]  # the page itself, nothing else
    assert b.evaluate("window.__pwned === undefined && document.images.length === 0")
    assert b.evaluate("document.scripts.length") == 1


@needs_chromium
def test_history_report_in_chromium_sorts_and_filters(tmp_path: Path, browser: Chromium) -> None:
    result, _ = _history_result()
    page = tmp_path / "report.html"
    page.write_text(render(result, RenderOptions()))
    url = page.as_uri()
    browser.open(url)
    _assert_clean_load(browser, url)
    assert _visible_rows(browser) == 6
    # Styles applied (a CSP hash mismatch would leave the page unstyled).
    assert browser.evaluate("getComputedStyle(document.querySelector('.badge.v-live')).color") == "rgb(255, 255, 255)"
    # Most urgent first.
    assert browser.evaluate("document.querySelector('tr.finding').dataset.verdict") == "live"

    _set(browser, "#f-verdict", "revoked")
    assert _visible_rows(browser) == 2
    assert browser.evaluate("document.getElementById('shown').textContent") == "2"
    _set(browser, "#f-verdict", "")
    _set(browser, "#q", "SVC3/")  # free text, case-insensitive
    assert _visible_rows(browser) == 1
    _set(browser, "#q", "nothing-matches-this")
    assert _visible_rows(browser) == 0
    assert browser.evaluate("document.getElementById('no-match').hidden") is False
    _set(browser, "#q", "")
    _set(browser, "#f-rule", "mindee-legacy-api-key")
    assert _visible_rows(browser) == 1
    _set(browser, "#f-rule", "")
    assert _visible_rows(browser) == 6

    # Sort by "Introduced" (commit date): ascending, then descending.
    dates = "Array.from(document.querySelectorAll('tr.finding')).map(r => r.cells[5].dataset.sort)"
    browser.evaluate("document.querySelector('th.c-introduced button').click()")
    ascending = browser.evaluate(dates)
    assert ascending == sorted(ascending) and len(ascending) == 6
    browser.evaluate("document.querySelector('th.c-introduced button').click()")
    assert browser.evaluate(dates) == sorted(ascending, reverse=True)
    assert browser.evaluate("document.querySelector('th.c-introduced').getAttribute('aria-sort')") == "descending"
    assert browser.console_errors() == [] and browser.requests() == [url]


@needs_chromium
def test_report_of_a_real_scan_in_chromium(tmp_path: Path, browser: Chromium) -> None:
    """End to end: the CLI scans files with hostile names and markup, writes the report 0600, Chromium loads it."""
    tree = tmp_path / "tree"
    tree.mkdir()
    keys = [v2_key() for _ in range(3)]
    (tree / HOSTILE_NAME).write_text(f'{HOSTILE_LINE}\nMINDEE_API_KEY = "{keys[0]}"\n')
    (tree / "app.py").write_text(f'client = Client(api_key="{keys[1]}")\n# {HOSTILE_LINE}\n')
    (tree / "deploy.env").write_text(f"MINDEE_API_KEY={keys[2]}\nMINDEE_V2_API_KEY={keys[0]}\n")
    out = tmp_path / "report.html"
    proc = invoke("dir", str(tree), "--format", "html", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text()
    assert not any(k in text for k in keys)
    url = out.as_uri()
    browser.open(url)
    _assert_clean_load(browser, url)
    assert _visible_rows(browser) == 4
    _set(browser, "#q", "deploy.env")
    assert _visible_rows(browser) == 2
    assert browser.evaluate("document.querySelector('td.path').textContent").count("onerror") <= 1


@needs_chromium
def test_empty_report_in_chromium(tmp_path: Path, browser: Chromium) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "ok.py").write_text("print('hello')\n")
    out = tmp_path / "report.html"
    proc = invoke("dir", str(tmp_path / "tree"), "--format", "html", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    browser.open(out.as_uri())
    _assert_clean_load(browser, out.as_uri())
    assert _visible_rows(browser) == 0
    assert "No secrets found" in browser.evaluate("document.getElementById('no-match').textContent")


@needs_chromium
def test_harness_sees_blocked_scripts_and_requests(tmp_path: Path, browser: Chromium) -> None:
    """The checks above can fail: a tampered script and an external image are caught."""
    result, _ = _history_result()
    page = render(result, RenderOptions())
    page = page.replace('"use strict";', '"use strict"; // tampered', 1)
    page = page.replace("<main>", '<main><img src="http://127.0.0.1:9/pixel.png" alt="">', 1)
    out = tmp_path / "tampered.html"
    out.write_text(page)
    browser.open(out.as_uri())
    errors = " ".join(browser.console_errors())
    assert "Content Security Policy" in errors
    assert "script" in errors and "img-src" in errors
    assert browser.evaluate("document.getElementById('shown').textContent") == "6"  # script never ran
    _set(browser, "#f-verdict", "revoked")
    assert _visible_rows(browser) == 6  # so filtering does nothing
