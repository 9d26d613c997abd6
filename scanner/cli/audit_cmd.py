"""`mindee-scan audit` (many repositories into a findings store) and `mindee-scan findings` (triage it)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.model import TRIAGE_STATES, Triage
from scanner.redact import printable, printable_lines
from scanner.report import FORMATS

if TYPE_CHECKING:
    from scanner.model import Finding

F = TypeVar("F", bound=Callable[..., Any])


def _db_option(f: F) -> F:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        envvar="MINDEE_SCAN_DB",
        help="Findings store (default: $XDG_DATA_HOME/mindee-scan/findings.db).",
    )(f)


def _url_options(f: F) -> F:
    f = click.option("--mindee-v1-url", envvar="MINDEE_SCAN_V1_URL", help="Mindee v1 API base URL (proxies/tests).")(f)
    f = click.option("--mindee-v2-url", envvar="MINDEE_SCAN_V2_URL", help="Mindee v2 API base URL (proxies/tests).")(f)
    return f


def _db(db_path: str | None) -> str:
    from scanner.audit.store import default_db_path

    return db_path or default_db_path()


@click.command("audit")
@click.argument("targets", nargs=-1)
@_db_option
@click.option(
    "--github-org",
    "github_orgs",
    multiple=True,
    metavar="ORG",
    help="Every repository of this GitHub organisation (or user); token from $GITHUB_TOKEN or $GH_TOKEN.",
)
@click.option(
    "--gitlab-group",
    "gitlab_groups",
    multiple=True,
    metavar="GROUP",
    help="Every project of this GitLab group and its subgroups; token from $GITLAB_TOKEN.",
)
@click.option(
    "--github-api",
    default="https://api.github.com",
    show_default=True,
    metavar="URL",
    help="GitHub API (GitHub Enterprise: https://HOST/api/v3).",
)
@click.option("--gitlab-url", default="https://gitlab.com", show_default=True, metavar="URL", help="GitLab instance.")
@click.option("--no-forks", is_flag=True, help="Skip forks among the listed repositories.")
@click.option("--no-archived", is_flag=True, help="Skip archived repositories among the listed ones.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(0, 256),
    default=0,
    show_default=True,
    help="Local worker processes (0: one per CPU, 1: serial).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run each repository scan on this Dask scheduler (e.g. tcp://scheduler:8786).",
)
@click.option(
    "--dask-timeout",
    type=click.FloatRange(0.1, 3600),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the Dask scheduler to answer.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Where clone URLs are mirrored (default: $XDG_CACHE_HOME/mindee-scan/mirrors).",
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config applied to every repository (configs inside audited repositories are ignored).",
)
@click.option("--full", is_flag=True, help="Rescan whole histories, even of repositories whose refs did not move.")
@click.option("--store-secrets", is_flag=True, help="Keep keys in clear in the store (default: hashes only).")
@click.option("--verify", is_flag=True, help="Ask Mindee whether each found key is live (sends the key to Mindee).")
@_url_options
@click.option(
    "--progress/--no-progress",
    "progress",
    default=None,
    help="Status line on a terminal (default), plain log lines otherwise.",
)
@click.option("-q", "--quiet", is_flag=True, help="Report only failures and the final summary.")
def audit_command(targets: tuple[str, ...], db_path: str | None, **kwargs: Any) -> int:
    """Audit many repositories into a findings store.

    TARGETS are repositories (work trees or bare), folders of repositories, files listing paths and
    clone URLs (one a line, `#` comments), or clone URLs (mirrored into the cache); --github-org and
    --gitlab-group add every repository the forge's API lists (the token is read from the environment,
    never from the command line, and reaches git only as a header). Re-runs are
    incremental: unchanged repositories are skipped, moved ones scanned for new objects only.
    Exit: 0 no open findings, 1 open findings in the audited repositories, 2 any repository could not
    be scanned (listed; what the others found is in the store).
    """
    from scanner.audit.orgs import OrgQuery
    from scanner.audit.progress import Progress
    from scanner.audit.runner import AuditOptions, run_audit
    from scanner.audit.store import Store
    from scanner.audit.targets import from_forges, resolve
    from scanner.cli.common import require
    from scanner.errors import ExitCode

    require(
        bool(targets or kwargs["github_orgs"] or kwargs["gitlab_groups"]),
        "name TARGETS, --github-org ORG or --gitlab-group GROUP",
    )
    resolved = resolve(targets)
    if kwargs["github_orgs"] or kwargs["gitlab_groups"]:
        query = OrgQuery(
            github_orgs=tuple(kwargs["github_orgs"]),
            gitlab_groups=tuple(kwargs["gitlab_groups"]),
            github_api=kwargs["github_api"],
            gitlab_url=kwargs["gitlab_url"],
            forks=not kwargs["no_forks"],
            archived=not kwargs["no_archived"],
        )
        named = len(resolved)
        resolved = from_forges(query, resolved)
        listed = len(resolved) - named
        click.echo(f"mindee-scan audit: {listed} repositories listed by the forge API(s)", err=True)
    options = AuditOptions(
        targets=tuple(resolved),
        cache_dir=kwargs["cache_dir"],
        config_path=kwargs["config_path"],
        jobs=kwargs["jobs"],
        dask_address=kwargs["dask_address"],
        dask_timeout=kwargs["dask_timeout"],
        full=kwargs["full"],
        store_secrets=kwargs["store_secrets"],
        verify=kwargs["verify"],
        v2_url=kwargs["mindee_v2_url"],
        v1_url=kwargs["mindee_v1_url"],
    )
    tty = kwargs["progress"] if kwargs["progress"] is not None else _stderr_tty()
    progress = Progress(sys.stderr, tty=tty, quiet=kwargs["quiet"])
    store = Store.open(_db(db_path))
    try:
        summary = run_audit(options, store, on_start=progress.start, on_outcome=progress.update)
        progress.finish()
        open_count = store.open_secrets_in([t.key for t in resolved])
    finally:
        store.close()
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.by_status.items()))
    click.echo(
        f"audited {summary.total} repositories in {summary.duration_s:.1f}s on {summary.executor} ({counts}); "
        f"{summary.objects_scanned} objects scanned; {open_count} open secrets; store: {store.path}",
        err=True,
    )
    if summary.errors:
        # Any repository not scanned makes the audit incomplete: exit 2 (never 0 or 1, which read as a
        # complete answer), with the list, even when the others have findings (those are in the store).
        click.echo(f"{len(summary.errors)} of {summary.total} repositories could not be scanned:", err=True)
    for key, error in summary.errors:
        click.echo(printable(f"  failed: {key}: {error}"), err=True)
    if summary.errors:
        return int(ExitCode.ERROR)
    return int(ExitCode.FINDINGS if open_count else ExitCode.CLEAN)


def _stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@click.group("findings")
def findings_group() -> None:
    """List, show, triage and report the findings of an audit store."""


def _filter_options(f: F) -> F:
    f = click.option("--state", type=click.Choice(TRIAGE_STATES), help="Only findings in this triage state.")(f)
    f = click.option(
        "--verdict",
        type=click.Choice(["live", "revoked", "unknown", "not-checked"]),
        help="Only findings whose latest verification verdict is this.",
    )(f)
    f = click.option("--rule", help="Only findings of this rule id.")(f)
    f = click.option("--repo", help="Only findings in repositories whose key (path or URL) contains this.")(f)
    return f


def _listing(default_fmt: str) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        f = click.option(
            "-c",
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="Config with extra rules, used to re-read keys for --verify.",
        )(f)
        f = _url_options(f)
        f = click.option(
            "--verify",
            is_flag=True,
            help="First re-check open keys with Mindee and record live -> revoked transitions.",
        )(f)
        f = click.option("--show-secrets", is_flag=True, help="Print keys in full (only if stored with them).")(f)
        f = click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (mode 0600).")(f)
        f = click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(list(FORMATS)),
            default=default_fmt,
            show_default=True,
            help="Output format (text: one line per finding).",
        )(f)
        return _db_option(_filter_options(f))

    return decorate


@findings_group.command("list")
@_listing("text")
def list_command(**kwargs: Any) -> int:
    """One line per secret: fingerprint, state, verdict, rule, where first seen, how many places."""
    return _render_store(kwargs, compact=True)


@findings_group.command("report")
@_listing("html")
def report_command(**kwargs: Any) -> int:
    """A full report of the store (JSON, SARIF, HTML...) for the whole audit or a filtered part."""
    return _render_store(kwargs, compact=False)


def _render_store(kwargs: dict[str, Any], compact: bool) -> int:
    from scanner.audit.findings import Filters, store_result
    from scanner.audit.store import Store
    from scanner.report import RenderOptions, render
    from scanner.report.writer import write_private

    filters = Filters(repo=kwargs["repo"], rule=kwargs["rule"], verdict=kwargs["verdict"], state=kwargs["state"])
    store = Store.open(_db(kwargs["db_path"]), create=False)
    try:
        if kwargs["verify"]:
            _recheck(store, kwargs, filters)
        result = store_result(store, filters)
    finally:
        store.close()
    fmt = kwargs["fmt"]
    if fmt == "text" and compact:
        text = _text_table(result.findings, kwargs["show_secrets"])
    else:
        text = render(result, fmt, RenderOptions(show_secrets=kwargs["show_secrets"]))
    if kwargs["output"]:
        write_private(kwargs["output"], text)
    elif text:
        click.echo(text, nl=False)
    return 0


def _recheck(store: Any, kwargs: dict[str, Any], filters: Any) -> None:
    from scanner.audit.recheck import recheck_open

    checks, missing = recheck_open(
        store, kwargs["mindee_v2_url"], kwargs["mindee_v1_url"], kwargs["config_path"], filters
    )
    for check in checks:
        moved = f"{check.previous} -> {check.verdict}" if check.previous != check.verdict else check.verdict
        click.echo(f"verified {check.fingerprint}: {moved}", err=True)
    for fingerprint in missing:
        click.echo(
            f"cannot re-check {fingerprint}: the key is no longer readable at any recorded location "
            "(audit with --store-secrets to keep keys for re-checks)",
            err=True,
        )


def _text_table(findings: list[Finding], show_secrets: bool) -> str:
    """A header and columns as wide as their widest cell; the last column (where) is left ragged."""
    header = ("FINGERPRINT", "STATE", "VERDICT", "KEY", "REPOS", "PLACES", "FIRST SEEN")
    rows: list[tuple[str, ...]] = []
    for f in findings:
        at, origin = f.where, f.history
        repos = len({o.repo for o in origin.occurrences} | {at.repo})
        shown = f.secret.reveal() if show_secrets and f.secret.known else f.redacted
        where = f"{at.repo}: {at.path}:{at.line}" + (f" @ {origin.commit[:10]}" if origin.commit else "")
        places = str(len(origin.occurrences))
        state = (f.decisions.triage or Triage()).effective_state()
        row = (f.fingerprint, state, f.decisions.verification.verdict, shown, str(repos), places, where)
        rows.append(tuple(printable(str(c)) for c in row))
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    numeric = {4, 5}
    lines = []
    for r in (header, *rows):
        cells = [(r[i].rjust(w) if i in numeric and r is not header else r[i].ljust(w)) for i, w in enumerate(widths)]
        lines.append("  ".join([*cells, r[-1]]).rstrip())
    lines.append(f"{len(findings)} secret(s)")
    return "\n".join(lines) + "\n"


@findings_group.command("show")
@click.argument("fingerprint")
@_db_option
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show_command(fingerprint: str, db_path: str | None, fmt: str) -> int:
    """Everything known about one secret: provenance, every occurrence, verification and triage history."""
    import json

    from scanner.audit.findings import Filters, history, load_findings
    from scanner.audit.store import Store

    store = Store.open(_db(db_path), create=False)
    try:
        full = store.resolve_fingerprint(fingerprint)
        (finding,) = load_findings(store, Filters(fingerprint=full))
        past = history(store, full)
    finally:
        store.close()
    data = finding.to_dict()
    data["history"] = past
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    triage = finding.decisions.triage or Triage()
    verification, where, origin = finding.decisions.verification, finding.where, finding.history
    out = [
        f"{finding.fingerprint}  {finding.rule.id}  {finding.redacted}",
        f"  state: {finding.state}"
        + (f" ({triage.note})" if triage.note else "")
        + (f" until {triage.expires}" if triage.expires else "")
        + f" by {triage.who} at {triage.at}",
        f"  verdict: {verification.verdict}" + (f" at {verification.checked_at}" if verification.checked_at else ""),
        f"  introduced: {where.repo}: {where.path}:{where.line} in {origin.commit or '-'} "
        f"by {origin.author or '?'} on {origin.date or '?'}",
        f"  present at HEAD: {origin.present_at_head}; refs: {', '.join(origin.refs) or '-'}",
        f"  occurrences ({len(finding.history.occurrences)}):",
        *(f"    {o.repo}: {o.path}:{o.line} @ {(o.commit or '-')[:12]}" for o in finding.history.occurrences),
        "  verification history:",
        *(f"    {v['checked_at']} {v['verdict']} ({v['context']}) {v['detail']}" for v in past["verifications"]),
        "  triage history:",
        *(f"    {t['at']} {t['state']} by {t['who']}: {t['note']}" for t in past["triage"]),
    ]
    # names, paths, refs and triage notes come from scanned repositories and their users: inert here
    click.echo(printable_lines(out))
    return 0


@findings_group.command("triage")
@click.argument("fingerprints", nargs=-1)
@_db_option
@click.option("--state", type=click.Choice(TRIAGE_STATES), required=True, help="The new triage state.")
@click.option("--note", default="", help="Why (ticket, who revoked it, why it is a false positive...).")
@click.option(
    "--expires",
    metavar="YYYY-MM-DD",
    help="Until when an accepted risk holds (required with accepted-risk); the day after, it is open again.",
)
@click.option("--who", help="Who decided (default: the current user).")
@click.option("--rule", help="Every secret of this rule id (instead of, or narrowing, FINGERPRINTS).")
@click.option("--repo", help="Every secret in repositories whose key (path or URL) contains this.")
@click.option(
    "--verdict",
    type=click.Choice(["live", "revoked", "unknown", "not-checked"]),
    help="Every secret whose latest verification verdict is this.",
)
@click.option("--from-state", type=click.Choice(TRIAGE_STATES), help="Every secret currently in this triage state.")
def triage_command(fingerprints: tuple[str, ...], db_path: str | None, **kwargs: Any) -> int:
    """Set the triage state of secrets: FINGERPRINTS (unique prefixes are enough) and/or every secret a filter
    selects, all in one transaction; who and when are recorded.

    accepted-risk needs --note and --expires.
    """
    import getpass

    from scanner.audit.findings import Filters, load_findings
    from scanner.audit.store import Store, check_triage
    from scanner.cli.common import require

    state, note, expires = kwargs["state"], kwargs["note"], kwargs["expires"]
    check_triage(state, note, expires)
    filters = Filters(repo=kwargs["repo"], rule=kwargs["rule"], verdict=kwargs["verdict"], state=kwargs["from_state"])
    filtered = any(v is not None for v in (filters.repo, filters.rule, filters.verdict, filters.state))
    require(bool(fingerprints) or filtered, "name FINGERPRINTS or a filter (--rule, --repo, --verdict, --from-state)")
    store = Store.open(_db(db_path), create=False)
    try:
        chosen = [store.resolve_fingerprint(fp) for fp in fingerprints]
        if filtered:
            selected = {f.fingerprint for f in load_findings(store, filters)}
            chosen = [fp for fp in chosen if fp in selected] if chosen else sorted(selected)
        chosen = list(dict.fromkeys(chosen))
        if chosen:
            store.triage(chosen, state, note, kwargs["who"] or getpass.getuser(), expires)
    finally:
        store.close()
    for fp in chosen:
        click.echo(f"{fp}: {state}" + (f" until {expires}" if expires else ""), err=True)
    click.echo(f"{len(chosen)} secret(s) set to {state}", err=True)
    return 0


@findings_group.command("repos")
@_db_option
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def repos_command(db_path: str | None, fmt: str) -> int:
    """Every audited repository: its last scan (status, when, objects, error) and its open secrets."""
    import json

    from scanner.audit.store import Store

    store = Store.open(_db(db_path), create=False)
    try:
        rows = store.repository_rows()
    finally:
        store.close()
    keys = ("repo", "last_status", "last_scan_at", "objects_scanned", "error", "open_secrets")
    repos = [dict(zip(keys, row, strict=True)) for row in rows]
    if fmt == "json":
        click.echo(json.dumps({"repositories": repos}, indent=2))
        return 0
    for r in repos:
        tail = f"  {r['error']}" if r["error"] else ""
        click.echo(
            printable(f"{r['last_status']:<11} {r['last_scan_at']}  {r['open_secrets']:>3} open  {r['repo']}{tail}")
        )
    failed = sum(1 for r in repos if r["last_status"] == "error")
    click.echo(f"{len(repos)} repositories, {failed} failed at their last scan")
    return 0
