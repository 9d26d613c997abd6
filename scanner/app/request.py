"""What a scan is asked to do, one typed request per source; `app.run` takes any of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from scanner.config import Config
from scanner.record import field, record

if TYPE_CHECKING:  # an annotation only: the hook imports this module, and never reports progress
    from scanner.app.progress import OnProgress
    from scanner.sources.git.gitio import Git
    from scanner.sources.git.staged import RepoInfo


@record(frozen=True)
class DirOptions:
    """`mindee-scan dir PATH...`: files and folders."""

    paths: tuple[str, ...]
    config: Config
    jobs: int = 0  # 0: automatic
    max_file_size: int | None = None
    use_hyperscan: bool = True
    # The user named `paths` (the `dir` command): one that could not be scanned is an error. False when
    # a tool names them (pre-commit --all-files): skipped files stay skips there, as in a staged scan.
    named_by_user: bool = True


@record(frozen=True)
class GitScanOptions:
    """What to scan. `exclude_revs`: commits whose ancestry was already scanned (incremental re-scans)."""

    repo: str
    config: Config = field(default_factory=Config)
    since: str | None = None
    range: str | None = None  # "A..B"
    branch: str | None = None
    exclude_revs: tuple[str, ...] = ()
    revs: tuple[str, ...] = ()  # explicit tips (pre-push); default: every ref and stash entry
    jobs: int = 0  # 0: automatic
    max_file_size: int | None = None
    use_hyperscan: bool = True
    scan_messages: bool = True
    on_progress: OnProgress | None = None  # called about every 0.25 s while objects are scanned


@record(frozen=True)
class StdinRequest:
    """`mindee-scan dir -`: the text piped on standard input, named `<stdin>`."""

    stream: BinaryIO
    config: Config
    max_size: int | None = None
    use_hyperscan: bool = True


@record(frozen=True)
class PushRequest:
    """`mindee-scan pre-push`: what `updates` ((local sha, remote sha) pairs) add to `remote`."""

    top: str
    config: Config
    updates: tuple[tuple[str, str], ...] = ()
    remote: str | None = None


@record(frozen=True)
class StagedRequest:
    """What the next commit would add, in the repository a hook runs in (`git`, `info` from
    sources.git.staged). `files`: the FILES a pre-commit framework named: findings are kept in them,
    and those with nothing staged are scanned whole."""

    git: Git
    info: RepoInfo
    config: Config
    all_lines: bool = False
    max_file_size: int | None = None
    files: tuple[str, ...] = ()


ScanRequest = DirOptions | GitScanOptions | StdinRequest | PushRequest | StagedRequest
