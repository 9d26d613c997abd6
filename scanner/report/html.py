"""One self-contained HTML page a security lead can read in a minute: summary, charts, findings table.

No external script, font, image or request (a CSP meta tag forbids them): it is opened on air-gapped
laptops. Everything from the scan (paths, snippets, authors) is attacker-controlled and escaped here;
charts are inline SVG drawn on the server side, the small script only sorts and filters rows.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from datetime import UTC, datetime
from html import escape

from scanner import __version__
from scanner.model import Finding, ScanResult
from scanner.redact import SnippetRedactor
from scanner.report import RenderOptions
from scanner.report.html_assets import CSS, JS
from scanner.report.remediation import INSIGHTS_URL, dashboard_for, key_kind, one_line_advice, remediation_text
from scanner.report.triage import CLOSED_RANK
from scanner.report.triage import label as triage_label
from scanner.report.triage import status as triage_status

VERDICTS = ("live", "unknown", "not-checked", "revoked")
_VERDICT_COLORS = {"live": "#c62828", "revoked": "#2e7d32", "unknown": "#b26a00", "not-checked": "#607d8b"}
_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
_BAR = "#2f5bea"
_MAX_OCCURRENCES_LISTED = 25


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _unique_keys(findings: list[Finding]) -> dict[str, Finding]:
    keys: dict[str, Finding] = {}
    for f in findings:
        keys.setdefault(f.secret.hash, f)
    return keys


# ---------------------------------------------------------------- summary


def _card(value: object, label: str, cls: str = "", title: str = "") -> str:
    t = f' title="{_e(title)}"' if title else ""
    return f'<div class="card {cls}"{t}><div class="n">{_e(value)}</div><div class="l">{_e(label)}</div></div>'


def _dashboard_links(findings: list[Finding]) -> str:
    """One link per kind of key among `findings`: md_ keys and legacy keys live on different dashboards."""
    kinds = sorted({k for k in map(key_kind, findings) if k is not None}, key=lambda k: k != "v2") or ["v2"]
    names = {"v2": "Mindee dashboard (md_ keys)", "v1": "legacy Mindee platform (legacy keys, API keys menu)"}
    return " and the ".join(
        f'<a href="{_e(dashboard_for(k))}" rel="noreferrer noopener">{_e(names[k])}</a>' for k in kinds
    )


def _summary(result: ScanResult) -> str:
    findings = result.findings
    keys = _unique_keys(findings)
    # What a reader acts on: a key a human triaged revoked counts as revoked, whatever was last verified.
    verdicts = Counter(triage_status(f) for f in keys.values())
    repos = {f.where.repo for f in findings if f.where.repo} or ({result.target} if result.target else set())
    dates = [d for d in (_parse_date(f.history.date) for f in findings) if d is not None]
    oldest = min(dates) if dates else None
    if oldest:
        days = (datetime.now(UTC) - oldest).days
        age = f"{days // 365} y {days % 365 // 30} mo ago" if days >= 365 else f"{days} days ago"
        oldest_card = _card(oldest.date().isoformat(), f"oldest exposure ({age})")
    else:
        oldest_card = _card("n/a", "oldest exposure", title="No commit dates: this was not a history scan.")
    cards = [
        _card(len(keys), "keys found", title=f"{len(findings)} finding(s) for {len(keys)} distinct secret(s)"),
        _card(sum(1 for f in keys.values() if f.rule.is_mindee), "Mindee keys"),
        _card(verdicts.get("live", 0), "live", "live" if verdicts.get("live") else ""),
        _card(verdicts.get("revoked", 0), "revoked"),
        _card(verdicts.get("unknown", 0) + verdicts.get("not-checked", 0), "unknown / not checked"),
        *(
            [_card(closed, "false positive / accepted risk", title="triaged in the audit store")]
            if (closed := verdicts.get("false-positive", 0) + verdicts.get("accepted-risk", 0))
            else []
        ),
        _card(len(repos), "repositories" if len(repos) != 1 else "repository", title=", ".join(sorted(repos))),
        oldest_card,
    ]
    return '<section class="cards" aria-label="Summary">' + "".join(cards) + "</section>"


# ---------------------------------------------------------------- charts


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _hbar_chart(counts: list[tuple[str, int]], label: str, colors: dict[str, str] | None = None) -> str:
    if not counts:
        return '<p class="empty">Nothing to chart.</p>'
    width, row, left = 320, 24, 130
    top = max(n for _, n in counts) or 1
    parts = []
    for i, (name, n) in enumerate(counts):
        y = 6 + i * row
        w = max(2, round((width - left - 40) * n / top))
        color = (colors or {}).get(name, _BAR)
        short = name if len(name) <= 20 else name[:19] + "…"
        parts.append(
            f"<g><title>{_e(name)}: {n}</title>"
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_e(short)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w}" height="{row - 8}" rx="3" fill="{color}"></rect>'
            f'<text x="{left + w + 5}" y="{y + 14}">{n}</text></g>'
        )
    return _svg(width, 12 + len(counts) * row, label, "".join(parts))


def _timeline(findings: list[Finding]) -> str:
    """Keys exposed per month (per year for long histories), by the date of the introducing commit."""
    dated = [(d, f) for f in _unique_keys(findings).values() if (d := _parse_date(f.history.date)) is not None]
    if not dated:
        return '<p class="empty">No commit dates: run a history scan (mindee-scan git) to see exposures over time.</p>'
    first, last = min(d for d, _ in dated), max(d for d, _ in dated)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    by_year = months > 48

    def bucket(d: datetime) -> str:
        return f"{d.year}" if by_year else f"{d.year}-{d.month:02d}"

    labels: list[str] = []
    y, m = first.year, first.month
    while True:
        labels.append(f"{y}" if by_year else f"{y}-{m:02d}")
        if by_year:
            if y >= last.year:
                break
            y += 1
        else:
            if (y, m) >= (last.year, last.month):
                break
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    total: Counter[str] = Counter(bucket(d) for d, _ in dated)
    live: Counter[str] = Counter(bucket(d) for d, f in dated if f.decisions.verification.verdict == "live")
    width, height, left, bottom = 640, 200, 30, 36
    plot_w, plot_h = width - left - 10, height - bottom - 12
    top = max(total.values())
    step = plot_w / len(labels)
    bar_w = max(2.0, min(40.0, step * 0.7))
    every = max(1, round(len(labels) / 12))
    parts = [
        f'<line class="axis" x1="{left}" y1="{12 + plot_h}" x2="{width - 10}" y2="{12 + plot_h}"></line>',
        f'<text x="{left - 4}" y="{16}" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{12 + plot_h}" text-anchor="end">0</text>',
    ]
    for i, name in enumerate(labels):
        x = left + i * step + (step - bar_w) / 2
        n, n_live = total.get(name, 0), live.get(name, 0)
        if n:
            h = plot_h * n / top
            h_live = plot_h * n_live / top
            parts.append(
                f"<g><title>{_e(name)}: {n} key(s) exposed" + (f", {n_live} live" if n_live else "") + "</title>"
                f'<rect x="{x:.1f}" y="{12 + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{_BAR}"></rect>'
                + (
                    f'<rect x="{x:.1f}" y="{12 + plot_h - h_live:.1f}" width="{bar_w:.1f}" height="{h_live:.1f}" '
                    f'fill="{_VERDICT_COLORS["live"]}"></rect>'
                    if n_live
                    else ""
                )
                + "</g>"
            )
        if i % every == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 18}" text-anchor="middle">{_e(name)}</text>')
    parts.append(
        f'<text x="{left}" y="{height - 3}">keys by month of the commit that introduced them'
        + (" (per year)" if by_year else "")
        + " · red: live</text>"
    )
    return _svg(width, height, "Keys exposed over time", "".join(parts))


def _charts(result: ScanResult) -> str:
    findings = result.findings
    by_rule = Counter(f.rule.id for f in findings).most_common()
    verdict_counts = Counter(f.decisions.verification.verdict for f in findings)
    by_verdict = [(v, verdict_counts[v]) for v in VERDICTS if verdict_counts.get(v)]
    by_verdict += [(v, n) for v, n in verdict_counts.items() if v not in VERDICTS]
    return (
        '<section class="charts">'
        f"<figure><figcaption>Exposures over time</figcaption>{_timeline(findings)}</figure>"
        f"<figure><figcaption>Findings by rule</figcaption>{_hbar_chart(by_rule, 'Findings by rule')}</figure>"
        "<figure><figcaption>Findings by verdict</figcaption>"
        f"{_hbar_chart(by_verdict, 'Findings by verdict', _VERDICT_COLORS)}</figure>"
        "</section>"
    )


# ---------------------------------------------------------------- table


def _snippet(f: Finding, show: bool, redactor: SnippetRedactor) -> str:
    """Redacted line; none when the key sits there encoded (the encoded form would be the key)."""
    if not f.context.text or (f.context.encoding and not show):
        return ""
    text = redactor.snippet(f, show_secrets=show)
    if not show and f.secret.occurs_in(text):
        return ""
    return f'<code class="snip">{_e(text)}</code>'


def _row(f: Finding, show: bool, redactor: SnippetRedactor) -> str:
    history, verification = f.history, f.decisions.verification
    rule = f.rule
    verdict = verification.verdict
    status = triage_status(f)
    decided = triage_label(f)
    triage = f'<br><span class="small triage" title="{_e(decided)}">triage: {_e(decided)}</span>' if decided else ""
    secret = f.secret.reveal() if show else f.redacted
    where = f"{f.where.path}:{f.where.line}:{f.where.column}"
    repo = f'<span class="small">{_e(f.where.repo)}</span><br>' if f.where.repo else ""
    enc = (
        f'<br><span class="small">inside a {_e(f.context.encoding)}-encoded value</span>' if f.context.encoding else ""
    )
    if history.commit:
        introduced = (
            f"<code>{_e(history.commit[:12])}</code><br>{_e(history.author or '?')}<br>"
            f'<span class="small" title="{_e(history.date or "")}">{_e((history.date or "?")[:10])}</span>'
        )
        if history.present_at_head is not None:
            introduced += (
                f'<br><span class="small">{"still at HEAD" if history.present_at_head else "not at HEAD"}</span>'
            )
    else:
        introduced = '<span class="small">working tree</span>'
    occ = len(history.occurrences)
    if occ:
        items = "".join(
            f"<li>{_e(o.path)}:{o.line}" + (f" <code>{_e(o.commit[:12])}</code>" if o.commit else "") + "</li>"
            for o in history.occurrences[:_MAX_OCCURRENCES_LISTED]
        )
        more = f"<li>… {occ - _MAX_OCCURRENCES_LISTED} more</li>" if occ > _MAX_OCCURRENCES_LISTED else ""
        refs = f'<div class="small">refs: {_e(", ".join(history.refs))}</div>' if history.refs else ""
        occurrences = f"<details><summary>{occ}</summary><ul>{items}{more}</ul>{refs}</details>"
    else:
        occurrences = "1"
    detail = _e(verification.detail) if verification.detail else ""
    loc_key = f"{f.where.repo or ''} {f.where.path} {f.where.line:09d}"
    blast = ""
    if verification.model_count is not None:
        blast = f'<br><span class="small">{verification.model_count} model(s) reachable</span>'
    return (
        f'<tr class="finding" data-rule="{_e(rule.id)}" data-verdict="{_e(verdict)}" data-triage="{_e(status)}">'
        f'<td data-sort="{_urgency(f)}"><span class="badge v-{_e(verdict)}" title="{detail}">'
        f"{_e(verdict)}</span>{blast}{triage}</td>"
        f'<td data-sort="{5 - _SEVERITY_RANK.get(rule.severity, 0)}"><span class="sev">{_e(rule.severity)}</span></td>'
        f'<td class="rule" data-sort="{_e(rule.id)}"><code>{_e(rule.id)}</code><br>'
        f'<span class="small">{_e(rule.description)}</span>{_confidence(f)}</td>'
        f'<td data-sort="{_e(loc_key)}" class="path">{repo}{_e(where)}'
        f"{enc}{_snippet(f, show, redactor)}</td>"
        f'<td class="key" data-sort="{_e(secret)}"><code>{_e(secret)}</code><br>'
        f'<span class="small">{_e(f.fingerprint)}</span></td>'
        f'<td data-sort="{_e(history.date or "")}">{introduced}</td>'
        f'<td data-sort="{occ or 1}">{occurrences}</td>'
        f'<td class="fix"><details><summary title="{_e(one_line_advice(f))}">{_e(_action(f))}</summary>'
        f"<pre>{_e(remediation_text(f))}</pre></details></td>"
        "</tr>"
    )


_VERDICT_ORDER = {v: i for i, v in enumerate(VERDICTS)}


def _urgency(f: Finding) -> int:
    """Live first, then unknown, not checked, revoked; what a human closed in triage comes last."""
    closed = f.triaged
    if closed == "revoked":
        return _VERDICT_ORDER["revoked"]
    if closed is not None:
        return len(VERDICTS) + CLOSED_RANK.get(closed, 0)
    return _VERDICT_ORDER.get(f.decisions.verification.verdict, 9)


def _action(f: Finding) -> str:
    """The short label of what to do; the full steps open below it."""
    closed = f.triaged
    if closed == "false-positive":
        return "Triaged: false positive"
    if closed == "accepted-risk":
        return "Triaged: risk accepted" + (
            f" until {f.decisions.triage.expires}" if f.decisions.triage and f.decisions.triage.expires else ""
        )
    if closed == "revoked":
        return "Revoked: remove from code"
    if not f.rule.is_mindee:
        return "Rotate with its provider"
    verdict = f.decisions.verification.verdict
    if verdict == "live":
        return "Revoke now"
    if verdict == "revoked":
        return "Revoked: remove from code"
    return "Rotate (treat as compromised)"


def _options(values: list[str], all_label: str) -> str:
    return f'<option value="">{_e(all_label)}</option>' + "".join(
        f'<option value="{_e(v)}">{_e(v)}</option>' for v in values
    )


def _confidence(f: Finding) -> str:
    """Confidence below high and the note (an unusual length, another vendor) under the rule name."""
    rule = f.rule
    if rule.confidence == "high" and not rule.note:
        return ""
    if rule.confidence == "high":
        return f'<br><span class="small conf">{_e(rule.note)}</span>'
    note = f": {_e(rule.note)}" if rule.note else ""
    return f'<br><span class="small conf">confidence {_e(rule.confidence)}{note}</span>'


def _table(result: ScanResult, show: bool) -> str:
    findings = result.findings
    rules = sorted({f.rule.id for f in findings})
    verdicts = sorted({f.decisions.verification.verdict for f in findings}, key=lambda v: _VERDICT_ORDER.get(v, 9))
    controls = (
        '<div class="controls">'
        '<input id="q" type="search" placeholder="Filter: path, rule, author, commit, key…" '
        'aria-label="Filter findings">'
        f'<select id="f-rule" aria-label="Rule">{_options(rules, "all rules")}</select>'
        f'<select id="f-verdict" aria-label="Verdict">{_options(verdicts, "all verdicts")}</select>'
        f'<span class="small">showing <strong id="shown">{len(findings)}</strong> of {len(findings)}</span>'
        "</div>"
    )
    head = "".join(
        f'<th scope="col" class="c-{name.lower()}" data-type="{kind}"><button type="button">{_e(name)}</button></th>'
        for name, kind in (
            ("Verdict", "number"),
            ("Severity", "number"),
            ("Rule", "text"),
            ("Location", "text"),
            ("Key", "text"),
            ("Introduced", "text"),
            ("Occurrences", "number"),
        )
    )
    head += '<th scope="col">Remediation</th>'
    # Most urgent first: live keys, then unknown, then by severity and oldest exposure; closed triage last.
    ordered = sorted(
        findings,
        key=lambda f: (
            _urgency(f),
            -_SEVERITY_RANK.get(f.rule.severity, 0),
            f.history.date or "9999",
        ),
    )
    redactor = SnippetRedactor(result)
    rows = "".join(_row(f, show, redactor) for f in ordered)
    empty = "No finding matches the filter." if findings else "No secrets found."
    rows += f'<tr id="no-match"{"" if not findings else " hidden"}><td colspan="8" class="empty">{empty}</td></tr>'
    return (
        f'{controls}<div class="scroll"><table id="findings"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _notes(result: ScanResult) -> str:
    stats = result.stats
    items = [f'<li class="err">error: {_e(e)}</li>' for e in stats.errors]
    items += [f"<li>{_e(n)}</li>" for n in stats.notes]
    by_reason = stats.skipped_by_reason()
    if by_reason:
        items.append("<li>skipped: " + _e(", ".join(f"{n} {r}" for r, n in by_reason.items())) + "</li>")
    if result.suppressed:
        items.append(f"<li>{len(result.suppressed)} finding(s) suppressed by baseline or ignore file</li>")
    if not items:
        return ""
    return "<h2>Scan notes</h2><ul>" + "".join(items) + "</ul>"


def render(result: ScanResult, options: RenderOptions) -> str:
    show = options.show_secrets
    stats = result.stats
    csp = (
        f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(JS)}; img-src 'none'; "
        "font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
        "form-action 'none'; base-uri 'none'"
    )
    generated = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    mb = stats.bytes_scanned / (1024 * 1024)
    scanned = (
        f"{stats.history.objects_scanned} object(s)" if stats.history is not None else f"{stats.files_scanned} file(s)"
    )
    warn = (
        '<p class="warn" role="alert">This report shows keys in full (--show-secrets). Treat the file as a '
        "secret: do not attach it to tickets or chats, delete it when done.</p>"
        if show
        else ""
    )
    live_keys = [f for f in _unique_keys(result.findings).values() if triage_status(f) == "live"]
    live = len(live_keys)
    urgent = (
        f'<p class="warn" role="alert"><strong>{live} live key(s).</strong> Revoke them now in the '
        + _dashboard_links(live_keys)
        + ": create a new key, deploy it, delete the leaked one."
        + (
            f' For md_ keys, check their usage in <a href="{_e(INSIGHTS_URL)}" rel="noreferrer noopener">'
            "Insights</a> (filter by API key) before and after the rotation."
            if any(key_kind(f) == "v2" for f in live_keys)
            else ""
        )
        + "</p>"
        if live
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>mindee-scan report: {_e(result.target or result.source)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>mindee-scan report</h1>"
        f'<div class="meta">{_e(result.source)} scan of <strong>{_e(result.target or "?")}</strong> · '
        f"{_e(scanned)}, {mb:.1f} MiB in {stats.duration_s:.2f}s · generated {_e(generated)} · "
        f"mindee-scan {_e(__version__)} · keys are {'shown in full' if show else 'redacted'}</div>"
        f"{warn}{urgent}{_summary(result)}</header>"
        f"<main>{_charts(result)}<h2>Findings</h2>{_table(result, show)}{_notes(result)}</main>"
        "<footer>Mindee API keys never expire: a leaked key stays usable until it is deleted in the dashboard "
        f"(md_ keys: {_e(dashboard_for('v2'))}; legacy keys: {_e(dashboard_for('v1'))}, API keys in the left menu). "
        "Deleting it from the code or history does not revoke it.</footer>"
        f"<script>{JS}</script></body></html>\n"
    )
