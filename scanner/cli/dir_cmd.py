"""`mindee-scan dir [PATH...]`: scan files and folders."""

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
    require,
    with_config_defaults,
    with_excludes,
)

if TYPE_CHECKING:
    from scanner.model import ScanResult


@click.command("dir")
@click.argument("paths", nargs=-1, type=click.Path())
@config_option
@jobs_option
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
@click.option("--max-file-size", metavar="SIZE", help="Skip files larger than SIZE (default 1GiB).")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@repo_config_option
@click.option("--no-hyperscan", is_flag=True, hidden=True, help="Use the pure-Python prefilter.")
@output_options
def dir_command(paths: tuple[str, ...], config_path: str | None, **kwargs: Any) -> int:
    """Scan files and folders (default: the current folder), skipping .git/; `-` reads standard input."""
    return finish(*scan_dir(paths, config_path, **kwargs))


def scan_dir(paths: tuple[str, ...], config_path: str | None, **kwargs: Any) -> tuple[ScanResult, OutputOptions]:
    """The parsed `dir` command line, scanned: the result and how to finish it (also `baseline create`)."""
    from scanner.app.request import DirOptions
    from scanner.app.run import run
    from scanner.config import load_config, parse_size
    from scanner.record import replace

    opts = make_output_options(kwargs)
    if "-" in paths:
        return _stdin(paths, config_path, opts, kwargs)
    paths = paths or (".",)
    root = paths[0] if len(paths) == 1 and os.path.isdir(paths[0]) else None
    config = load_config(config_path, None if kwargs["ignore_repo_config"] else root)
    opts = with_config_defaults(opts, config)
    config = with_excludes(config, kwargs["exclude"])
    if kwargs["follow_symlinks"]:
        config = replace(config, follow_symlinks=True)
    max_size = parse_size(kwargs["max_file_size"])
    result = run(
        DirOptions(
            paths=paths,
            config=config,
            jobs=kwargs["jobs"],
            max_file_size=max_size,
            use_hyperscan=not kwargs["no_hyperscan"],
        )
    )
    return result, opts


def _stdin(
    paths: tuple[str, ...], config_path: str | None, opts: OutputOptions, kwargs: dict[str, Any]
) -> tuple[ScanResult, OutputOptions]:
    """`dir -`: the piped text, named `<stdin>` in reports (no config is read unless -c names one)."""
    import sys

    from scanner.app.request import StdinRequest
    from scanner.app.run import run
    from scanner.config import load_config, parse_size

    require(paths == ("-",), "`-` (standard input) cannot be combined with other paths")
    config = load_config(config_path, None)
    opts = with_config_defaults(opts, config)
    result = run(
        StdinRequest(
            sys.stdin.buffer, config, parse_size(kwargs["max_file_size"]), use_hyperscan=not kwargs["no_hyperscan"]
        )
    )
    return result, opts
