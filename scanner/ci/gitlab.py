"""The GitLab CI job's logic: `python -m scanner.ci.gitlab`, with the variables GitLab sets.

Reads CI_PIPELINE_SOURCE, CI_COMMIT_SHA, CI_COMMIT_BEFORE_SHA, CI_COMMIT_BRANCH, CI_COMMIT_TAG and
CI_MERGE_REQUEST_DIFF_BASE_SHA, plus MINDEE_SCAN (`changes` or `full`) and MINDEE_SCAN_ARGS. A merge
request scans diff-base..head, a push what it adds, a new branch or tag what no other ref has, and a
schedule (or any pipeline without a base) the whole history. The template
(ci/gitlab/mindee-scan.gitlab-ci.yml) passes `--format gitlab --output gl-secret-detection-report.json`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from scanner.ci.changes import Event, plan
from scanner.ci.run import scan, split_args
from scanner.errors import ExitCode, ScanError
from scanner.sources.git.gitio import NULL_SHA


def event_of(env: Mapping[str, str], scan_input: str) -> Event:
    """The Event for GitLab's predefined variables; pipelines without a base scan the whole history."""
    source = env.get("CI_PIPELINE_SOURCE", "")
    if scan_input == "full":
        return Event("full", why="MINDEE_SCAN=full")
    if scan_input != "changes":
        raise ScanError(f"MINDEE_SCAN is `changes` or `full`, not {scan_input!r}")
    sha = env.get("CI_COMMIT_SHA", "")
    if source in ("merge_request_event", "external_pull_request_event"):
        base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or env.get("CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA", "")
        return Event("range", tip=sha, base=base, why=f"{source}: the merge request's diff base..head")
    if source == "push":
        if env.get("CI_COMMIT_TAG"):
            return Event("push", tip=sha, base=NULL_SHA, ref=f"refs/tags/{env['CI_COMMIT_TAG']}")
        branch = env.get("CI_COMMIT_BRANCH", "")
        return Event("push", tip=sha, base=env.get("CI_COMMIT_BEFORE_SHA", ""), ref=f"refs/heads/{branch}")
    return Event("full", why=f"a {source or 'pipeline'} pipeline has no base to compare with")


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        args = split_args(env.get("MINDEE_SCAN_ARGS", ""))
        chosen = plan(".", event_of(env, (env.get("MINDEE_SCAN") or "changes").strip()))
    except ScanError as exc:
        from scanner.redact import error_message

        print(f"mindee-scan: error: {error_message(exc)}", file=sys.stderr, flush=True)
        return int(ExitCode.ERROR)
    if chosen.empty:
        print(f"mindee-scan: nothing to scan: {chosen.what}", flush=True)
        return int(ExitCode.CLEAN)
    return scan(".", chosen, args).code


if __name__ == "__main__":
    raise SystemExit(main())
