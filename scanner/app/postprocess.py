"""After detection, the same steps for every command: suppress -> verify -> redact.

The command line, the lean pre-commit hook and the audit each did these on their own (and drifted);
rendering and writing stay with the caller, which knows where the report goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.record import record, replace

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.model import ScanResult
    from scanner.verify import Verifier


@record(frozen=True)
class PostOptions:
    """`config` is the scan's: which of the scanned repository's own files may suppress (scanner.trust).
    `suppress=False`: keep every finding (the audit records all; triage is its suppression)."""

    config: Config | None = None
    baseline: str | None = None
    ignore_file: str | None = None
    suppress: bool = True
    verify: bool = False
    v2_url: str | None = None
    v1_url: str | None = None
    redact: int | None = None  # percentage of each key hidden in output; None: prefix and tail shown


def postprocess(result: ScanResult, options: PostOptions, verifier: Verifier | None = None) -> ScanResult:
    """`result` suppressed, verified and redacted as `options` say. Pass one `verifier` to several calls
    to share its cache and rate limit (an audit sends a key found in ten repositories once)."""
    if options.suppress:
        from scanner.suppress.apply import suppress_and_annotate

        result = suppress_and_annotate(result, options.config, options.baseline, options.ignore_file)
    if options.verify:
        from scanner.verify import verify_result

        result = verify_result(result, v2_url=options.v2_url, v1_url=options.v1_url, verifier=verifier)
    if options.redact is not None:
        percent = options.redact
        result = replace(result, findings=[f.redacting(percent) for f in result.findings])
    return result
