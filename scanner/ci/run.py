"""Run `mindee-scan git` for a CI plan, in-process, and keep the result the report was rendered from.

The user's arguments (`--format sarif --output x.sarif`, `--verify`...) go to the real command line, so
the report, the exit code and the errors are exactly the CLI's. The CI wrappers then print the findings
to the job log (redacted, even when the report went to a file) and fail a scan that read nothing.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, Any

from scanner.ci.changes import Plan
from scanner.errors import ExitCode, ScanError

if TYPE_CHECKING:
    from scanner.model import ScanResult


class Outcome:
    """What `finish` rendered (the result after suppression and verification) and the exit code."""

    def __init__(self) -> None:
        self.result: ScanResult | None = None
        self.fmt = "text"
        self.output: str | None = None
        self.code = 0
        self.problem = ""  # why a run that exits 0 or 1 must still fail (it scanned nothing)

    def finished(self, result: ScanResult, opts: Any) -> None:
        self.result, self.fmt, self.output = result, opts.fmt, opts.output

    @property
    def objects(self) -> int:
        return self.result.stats.history.objects_scanned if self.result and self.result.stats.history else 0

    @property
    def live(self) -> int:
        return sum(1 for f in self.result.findings if f.decisions.verification.verdict == "live") if self.result else 0


def split_args(text: str) -> list[str]:
    """A CI input as arguments: several lines, shell quoting and `#` comments, as a user writes them in YAML."""
    try:
        return shlex.split(text or "", comments=True)
    except ValueError as exc:
        raise ScanError(f"cannot read the scan arguments {text!r}: {exc} (quote as in a shell)") from None


def scan(repo: str, plan: Plan, args: list[str]) -> Outcome:
    """Scan what `plan` selects with the user's `args`; the log always gets the findings as text."""
    from scanner.cli.main import main

    outcome = Outcome()
    argv = ["git", repo, *plan.args, *args]
    print(f"mindee-scan: scanning {plan.what}", flush=True)
    print("$ mindee-scan " + " ".join(shlex.quote(a) for a in _short(argv)), flush=True)
    outcome.code = main(argv, obj=outcome)
    sys.stdout.flush()
    if outcome.result is None:
        return outcome  # an error before any result: the CLI said why on stderr (exit 2)
    if outcome.output or outcome.fmt != "text":
        _log_findings(outcome.result)
    if outcome.code in (ExitCode.CLEAN, ExitCode.FINDINGS) and outcome.objects == 0:
        outcome.problem = (
            f"mindee-scan scanned 0 objects although {plan.what} holds {plan.commits} commit(s): "
            "nothing was checked, so this run fails"
        )
        print(f"mindee-scan: error: {outcome.problem}", file=sys.stderr, flush=True)
        outcome.code = int(ExitCode.ERROR)
    return outcome


def _short(argv: list[str]) -> list[str]:
    """The command line for the log; a long exclude list is summarised, not printed."""
    excludes = argv.count("--exclude-rev")
    if excludes <= 6:
        return argv
    kept = [a for i, a in enumerate(argv) if a != "--exclude-rev" and (i == 0 or argv[i - 1] != "--exclude-rev")]
    return [*kept, f"(--exclude-rev x {excludes})"]


def _log_findings(result: ScanResult) -> None:
    """The report went to a file or is for machines: the log still shows each finding, redacted."""
    from scanner.report import RenderOptions, render

    text = render(result, "text", RenderOptions(show_secrets=False, color=False))
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
