"""`mindee-scan git`, `staged`, `pre-push` and `install-hook`: click wrappers over scanner.app (parse, scan, finish)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.common import (
    OutputOptions,
    config_option,
    finish,
    jobs_option,
    make_output_options,
    output_options,
    repo_config_option,
    with_config_defaults,
    with_excludes,
)

if TYPE_CHECKING:
    from scanner.model import ScanResult


@click.command("git")
@click.argument("repo", default=".", type=click.Path(file_okay=False))
@config_option
@click.option(
    "--since",
    metavar="REV|DATE",
    help="Only what the commits after REV, or committed after DATE (2024-05-01, '2 weeks ago'), introduce.",
)
@click.option("--range", "rev_range", metavar="A..B", help="Only what the commits in A..B introduce.")
@click.option("--branch", metavar="NAME", help="Only the history of this branch (or any revision).")
@click.option(
    "--exclude-rev",
    "exclude_revs",
    multiple=True,
    metavar="REV",
    help="Skip what REV and its ancestors hold (already scanned); repeatable.",
)
@jobs_option
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
@click.option("--max-file-size", metavar="SIZE", help="Skip blobs larger than SIZE (default 1GiB); they are listed.")
@click.option("--no-messages", is_flag=True, help="Do not scan commit messages.")
@repo_config_option
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when stderr is a TTY).")
@click.option("--no-hyperscan", is_flag=True, hidden=True)
@output_options
def git_command(repo: str, config_path: str | None, **kwargs: Any) -> int:
    """Scan every blob and commit message reachable from any ref (branches, tags, remotes, stash).

    Each unique blob is read once; each finding says which commit introduced it, who and when,
    every other place it appears, whether it is still at HEAD and which refs reach it.
    """
    return finish(*scan_git(repo, config_path, **kwargs))


def scan_git(repo: str, config_path: str | None, **kwargs: Any) -> tuple[ScanResult, OutputOptions]:
    """The parsed `git` command line, scanned: the result and how to finish it (also `baseline create`)."""
    from scanner.app.detector import repository_top
    from scanner.app.request import GitScanOptions
    from scanner.app.run import run
    from scanner.config import load_config, parse_size

    opts = make_output_options(kwargs)
    top = repository_top(repo)
    root = None if kwargs["ignore_repo_config"] else top
    config = with_excludes(load_config(config_path, root), kwargs["exclude"])
    opts = with_config_defaults(opts, config)
    max_size = parse_size(kwargs["max_file_size"])
    result = run(
        GitScanOptions(
            repo=top,
            config=config,
            since=kwargs["since"],
            range=kwargs["rev_range"],
            branch=kwargs["branch"],
            exclude_revs=tuple(kwargs["exclude_revs"]),
            jobs=kwargs["jobs"],
            max_file_size=max_size,
            use_hyperscan=not kwargs["no_hyperscan"],
            scan_messages=not kwargs["no_messages"],
            on_progress=_progress_line(kwargs["progress"]),
        )
    )
    return result, opts


def _progress_line(wanted: bool | None) -> Any:
    """`--progress/--no-progress`; by default the line is drawn only when stderr is a terminal."""
    from scanner.cli.progress import ProgressLine, stderr_tty

    return ProgressLine() if (wanted if wanted is not None else stderr_tty()) else None


@click.command("staged")
@click.argument("files", nargs=-1, type=click.Path())
@config_option
@click.option("--all-lines", is_flag=True, help="Report every key in a staged file, not only on added lines.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
@click.option("--max-file-size", metavar="SIZE", help="Skip files larger than SIZE (default 1GiB).")
@repo_config_option
@output_options
def staged_command(files: tuple[str, ...], config_path: str | None, **kwargs: Any) -> int:
    """Scan what is staged for the next commit (the index, or $GIT_INDEX_FILE).

    Only keys on lines the commit adds are reported. FILES (as the pre-commit framework passes them)
    limit the scan; a FILE with nothing staged, as in `pre-commit run --all-files`, is scanned whole.
    """
    return finish(*scan_staged_files(files, config_path, **kwargs))


def scan_staged_files(
    files: tuple[str, ...], config_path: str | None, **kwargs: Any
) -> tuple[ScanResult, OutputOptions]:
    """The parsed `staged` command line, scanned: the result and how to finish it (also `baseline create`)."""
    from scanner.app.staged import run_staged

    opts = make_output_options(kwargs, hook="pre-commit")
    result, config = run_staged(
        files,
        config_path,
        kwargs["all_lines"],
        kwargs["max_file_size"],
        exclude=tuple(kwargs["exclude"]),
        ignore_repo_config=kwargs["ignore_repo_config"],
    )
    return result, with_config_defaults(opts, config)


@click.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@config_option
@repo_config_option
@output_options
def pre_push_command(remote: str | None, url: str | None, config_path: str | None, **kwargs: Any) -> int:
    """Scan the commits about to be pushed (git's pre-push stdin, or PRE_COMMIT_FROM_REF/TO_REF).

    A new branch is scanned only for commits that no remote-tracking ref already has.
    """
    import sys

    from scanner.app.detector import repository_top
    from scanner.app.prepush import push_updates
    from scanner.app.request import PushRequest
    from scanner.app.run import run
    from scanner.config import load_config

    opts = make_output_options(kwargs, hook="pre-push")
    top = repository_top(".")
    updates = push_updates(os.environ, sys.stdin)
    config = load_config(config_path, None if kwargs["ignore_repo_config"] else top)
    opts = with_config_defaults(opts, config)
    return finish(run(PushRequest(top, config, tuple(updates), remote)), opts, root=top)


@click.command("install-hook")
@click.option(
    "--hook",
    "hook_type",
    type=click.Choice(["pre-commit", "pre-push"]),
    default="pre-commit",
    show_default=True,
    help="Which git hook to install.",
)
@click.option("--force", is_flag=True, help="Replace an existing hook that mindee-scan did not write.")
@click.argument("repo", default=".", type=click.Path(file_okay=False))
def install_hook_command(hook_type: str, force: bool, repo: str) -> int:
    """Install mindee-scan as a plain git hook (for users without the pre-commit framework)."""
    from scanner.app.hooks import install_hook

    path = install_hook(repo, hook_type, force)
    click.echo(f"installed {hook_type} hook: {path}")
    return 0
