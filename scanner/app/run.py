"""One way in for every command: `run(request) -> ScanResult` builds the detector and drives the source
the request names. (`app.staged.run_staged` first resolves the repository a hook runs in and its config.)
"""

from __future__ import annotations

from scanner.app.request import DirOptions, GitScanOptions, PushRequest, ScanRequest, StagedRequest, StdinRequest
from scanner.model import ScanResult


def run(request: ScanRequest) -> ScanResult:
    """Scan what `request` names; each source's module is imported only when its request comes."""
    if isinstance(request, DirOptions):
        from scanner.app.dir import scan_paths

        return scan_paths(request)
    if isinstance(request, GitScanOptions):
        from scanner.app.history import scan_repository

        return scan_repository(request)
    if isinstance(request, StdinRequest):
        from scanner.app.stdin import scan_stdin

        return scan_stdin(request.stream, request.config, request.max_size, use_hyperscan=request.use_hyperscan)
    if isinstance(request, PushRequest):
        from scanner.app.prepush import scan_push

        return scan_push(request.top, request.config, list(request.updates), request.remote)
    if isinstance(request, StagedRequest):
        from scanner.app.staged import scan_staged_request

        return scan_staged_request(request)
    raise TypeError(f"not a scan request: {type(request).__name__}")
