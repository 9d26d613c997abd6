"""`mindee-scan git`, `staged`, `pre-push` and `install-hook`: thin wrappers over scanner.app.history."""

from __future__ import annotations

import os
from typing import Any

import click

from scanner.cli.common import (
    config_option,
    finish,
    jobs_option,
    make_output_options,
    output_options,
    repo_config_option,
    with_config_defaults,
    with_excludes,
)


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
    from scanner.app.history import GitScanOptions, scan_repository
    from scanner.config import load_config, parse_size
    from scanner.sources.git.gitio import repo_toplevel

    opts = make_output_options(kwargs)
    top, _ = repo_toplevel(repo)
    root = None if kwargs["ignore_repo_config"] else top
    config = with_excludes(load_config(config_path, root), kwargs["exclude"])
    opts = with_config_defaults(opts, config)
    max_size = parse_size(kwargs["max_file_size"])
    result = scan_repository(
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
            progress=kwargs["progress"],
        )
    )
    return finish(result, opts, root=root)


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
    return finish(result, with_config_defaults(opts, config))


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

    from scanner.app.history import GitScanOptions, scan_repository
    from scanner.config import load_config
    from scanner.sources.git.gitio import NULL_SHA, Git, repo_toplevel

    opts = make_output_options(kwargs, hook="pre-push")
    top, _ = repo_toplevel(".")
    git = Git(top)
    updates = _push_updates(os.environ, None if _env_refs(os.environ) else sys.stdin)
    config = load_config(config_path, None if kwargs["ignore_repo_config"] else top)
    opts = with_config_defaults(opts, config)
    include: list[str] = []
    exclude: list[str] = []
    remotes: list[str] | None = None
    for local_sha, remote_sha in updates:
        if local_sha == NULL_SHA:
            continue  # a deletion pushes no content
        include.append(local_sha)
        if remote_sha != NULL_SHA and git.ok("cat-file", "-e", f"{remote_sha}^{{commit}}"):
            exclude.append(remote_sha)
        else:
            if remotes is None:
                remotes = _remote_tips(git, remote)
            exclude.extend(remotes)
    from scanner.model import ScanResult, ScanStats

    if not include:
        return finish(ScanResult(findings=[], stats=ScanStats(), target=top, source="pre-push"), opts, top)
    result = scan_repository(
        GitScanOptions(
            repo=top, config=config, revs=tuple(dict.fromkeys(include)), exclude_revs=tuple(dict.fromkeys(exclude))
        )
    )
    return finish(result, opts, root=top)


def _env_refs(env: Any) -> bool:
    return bool(env.get("PRE_COMMIT_TO_REF"))


def _push_updates(env: Any, stdin: Any) -> list[tuple[str, str]]:
    """(local sha, remote sha) pairs from pre-commit's variables or git's pre-push stdin lines."""
    from scanner.sources.git.gitio import NULL_SHA

    if _env_refs(env):
        return [(env["PRE_COMMIT_TO_REF"], env.get("PRE_COMMIT_FROM_REF") or NULL_SHA)]
    out: list[tuple[str, str]] = []
    if stdin is None or stdin.isatty():
        return out
    for line in stdin.read().splitlines():
        parts = line.split()
        if len(parts) == 4:
            out.append((parts[1], parts[3]))
    return out


def _remote_tips(git: Any, remote: str | None) -> list[str]:
    """Every remote-tracking tip (of `remote` when known): a new branch excludes what they have."""
    pattern = f"refs/remotes/{remote}/" if remote and "/" not in remote and ":" not in remote else "refs/remotes/"
    out = git.out("for-each-ref", "--format=%(objectname)", pattern)
    tips = out.split()
    if not tips and pattern != "refs/remotes/":
        tips = git.out("for-each-ref", "--format=%(objectname)", "refs/remotes/").split()
    return tips


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
