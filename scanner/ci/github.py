"""The GitHub Action's logic: `python -m scanner.ci.github`, with the variables GitHub sets.

Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH (the event's JSON), GITHUB_REF and GITHUB_SHA, plus the
action's inputs INPUT_SCAN (`changes` or `full`) and INPUT_ARGS. A push scans what it adds to its
branch; a new branch, tag or forced push what no other ref has; a pull request base..head; every
other event (schedule, workflow_dispatch...) has no base, so it scans the whole history. Writes the
findings to the log, `::error` annotations (never a key), the job summary and the step outputs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from scanner.ci.changes import Event, Plan, plan
from scanner.ci.run import Outcome, scan, split_args
from scanner.errors import ExitCode, ScanError

PULL_EVENTS = ("pull_request", "pull_request_target")
MAX_ANNOTATIONS = 50


def event_of(env: Mapping[str, str], scan_input: str) -> Event:
    """The Event for GitHub's variables; `scan: full`, and any event without a base, is the whole history."""
    name = env.get("GITHUB_EVENT_NAME", "")
    payload = _payload(env)
    if scan_input == "full":
        return Event("full", why="scan: full")
    if scan_input != "changes":
        raise ScanError(f"the action's `scan` input is `changes` or `full`, not {scan_input!r}")
    if name in PULL_EVENTS:
        pr = payload.get("pull_request") or {}
        return Event(
            "range",
            tip=str((pr.get("head") or {}).get("sha") or ""),
            base=str((pr.get("base") or {}).get("sha") or ""),
            why=f"{name}: the pull request's base..head",
        )
    if name == "merge_group":
        group = payload.get("merge_group") or {}
        return Event("range", tip=str(group.get("head_sha", "")), base=str(group.get("base_sha", "")), why=name)
    if name == "push":
        ref = str(payload.get("ref") or env.get("GITHUB_REF", ""))
        return Event(
            "push",
            tip=str(payload.get("after") or env.get("GITHUB_SHA", "")),
            base=str(payload.get("before") or ""),
            ref=ref,
            deleted=bool(payload.get("deleted")),
        )
    return Event("full", why=f"{name or 'this event'} has no base to compare with, so the whole history is scanned")


def _payload(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ScanError(f"cannot read the event payload GITHUB_EVENT_PATH={path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    repo = env.get("INPUT_PATH") or "."
    try:
        args = split_args(env.get("INPUT_ARGS", ""))
        chosen = plan(repo, event_of(env, (env.get("INPUT_SCAN") or "changes").strip()))
    except ScanError as exc:
        from scanner.redact import error_message

        message = error_message(exc)
        print(f"::error title=mindee-scan::{_data(message)}", flush=True)
        print(f"mindee-scan: error: {message}", file=sys.stderr, flush=True)
        _outputs(env, {"findings": "0", "live": "0", "report": "", "objects-scanned": "0", "exit-code": "2"})
        _summary(env, f"## mindee-scan: error\n\n{message}\n")
        return int(ExitCode.ERROR)
    if chosen.empty:
        print(f"mindee-scan: nothing to scan: {chosen.what}", flush=True)
        _outputs(env, {"findings": "0", "live": "0", "report": "", "objects-scanned": "0", "exit-code": "0"})
        _summary(env, f"## mindee-scan: nothing to scan\n\n{chosen.what}; the change set is empty.\n")
        return int(ExitCode.CLEAN)
    outcome = scan(repo, chosen, args)
    _annotate(outcome)
    _summary(env, summary(chosen, outcome))
    _outputs(
        env,
        {
            "findings": str(len(outcome.result.findings) if outcome.result else 0),
            "live": str(outcome.live),
            "report": outcome.output or "",
            "objects-scanned": str(outcome.objects),
            "exit-code": str(outcome.code),
        },
    )
    return outcome.code


def _annotate(outcome: Outcome) -> None:
    """`::error` on each finding's file and line; the message names the rule and commit, never the key."""
    if outcome.result is None:
        return
    if outcome.problem:
        print(f"::error title=mindee-scan scanned nothing::{_data(outcome.problem)}")
    for finding in outcome.result.findings[:MAX_ANNOTATIONS]:
        where = f" in commit {finding.history.commit[:12]}" if finding.history.commit else ""
        verdict = finding.decisions.verification.verdict
        state = f" (verified: {verdict})" if verdict != "not-checked" else ""
        message = (
            f"{finding.rule.description}{state}{where}. Fingerprint {finding.fingerprint}. "
            "Remove it; if it was ever pushed, revoke and rotate it."
        )
        props = {"title": f"mindee-scan: {finding.rule.id}"}
        if not finding.where.path.startswith("<"):  # `<commit message>` is not a file
            props = {"file": finding.where.path, "line": str(finding.where.line), **props}
        prop_text = ",".join(f"{k}={_prop(v)}" for k, v in props.items())
        print(f"::error {prop_text}::{_data(message)}")
    hidden = len(outcome.result.findings) - MAX_ANNOTATIONS
    if hidden > 0:
        print(f"::warning title=mindee-scan::{hidden} more finding(s) are in the log and the report")
    sys.stdout.flush()


def summary(chosen: Plan, outcome: Outcome) -> str:
    """The job summary in Markdown: what was scanned, the verdict, a table of findings (redacted)."""
    lines = ["## mindee-scan", "", f"Scanned {chosen.what}: {outcome.objects} object(s)."]
    result = outcome.result
    if result is None:
        lines += ["", f"**The scan failed (exit {outcome.code})**: see the log."]
        return "\n".join(lines) + "\n"
    if outcome.problem:
        lines += ["", f"**Failed**: {outcome.problem}."]
    elif not result.findings:
        lines += ["", "No key found."]
    else:
        lines += ["", f"**{len(result.findings)} finding(s)**, {outcome.live} verified live.", ""]
        lines += ["| rule | where | commit | key (redacted) | verified |", "|---|---|---|---|---|"]
        for f in result.findings[:200]:
            commit = f.history.commit[:12] if f.history.commit else ""
            cells = [
                f.rule.id,
                f"{f.where.path}:{f.where.line}",
                commit,
                f"`{f.redacted}`",
                f.decisions.verification.verdict,
            ]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    if outcome.output:
        lines += ["", f"Report: `{outcome.output}` ({outcome.fmt})."]
    return "\n".join(lines) + "\n"


def _data(text: str) -> str:
    """Escape a workflow command's message (GitHub's rules: %, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """Escape a workflow command's property value (also `:` and `,`)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _summary(env: Mapping[str, str], text: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)


def _outputs(env: Mapping[str, str], values: dict[str, str]) -> None:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            fh.write(f"{name}={value.replace(chr(10), ' ')}\n")


if __name__ == "__main__":
    raise SystemExit(main())
