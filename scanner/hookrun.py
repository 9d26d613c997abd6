"""The pre-commit path, kept lean: `python -m scanner.hookrun pre-commit [FILES...]` and the console
script's `mindee-scan staged [FILES...]` skip click.

A commit hook runs on every commit, so its start-up is the product: this entry imports only the
detector, the staged source and the text renderer. With any option it hands over to the full CLI
(`mindee-scan staged`), which shares `run_staged` below.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the console script starts here: `mindee-scan --help` should not load the scanner
    from scanner.config import Config
    from scanner.model import ScanResult

HOOK_MARKER = "# installed by mindee-scan install-hook"


def run_staged(
    files: Sequence[str],
    config_path: str | None,
    all_lines: bool,
    max_file_size: str | None,
    finish: Callable[[ScanResult, str, Config], int],
    exclude: tuple[str, ...] = (),
    ignore_repo_config: bool = False,
) -> int:
    """Scan the index (restricted to FILES when given); FILES with nothing staged are scanned whole.

    `ignore_repo_config`: read none of the repository's own files (scanner.trust)."""
    from scanner.config import load_config, parse_size
    from scanner.record import replace
    from scanner.scan_staged import StagedOptions, scan_staged
    from scanner.sources.staged import repo_info, staged_git

    git = staged_git(".")
    info = repo_info(git)
    config = load_config(config_path, None if ignore_repo_config else info.top)
    if exclude:
        config = replace(config, exclude=config.exclude + exclude)
    max_size = parse_size(max_file_size)
    result = scan_staged(git, info, StagedOptions(config=config, all_lines=all_lines, max_file_size=max_size))
    staged_paths = result.stats.extra.pop("staged_paths", [])
    if files:
        result = _restrict(result, files, set(staged_paths), info.top, config, max_size)
    return finish(result, info.top, config)


def _restrict(
    result: ScanResult, files: Sequence[str], staged_paths: set[str], top: str, config: Config, max_size: int | None
) -> ScanResult:
    """Keep findings in FILES; scan whole any FILE that has nothing staged (`pre-commit run --all-files`)."""
    from scanner.scan_dir import DirOptions, scan_paths

    wanted = {_rel(f, top) for f in files}
    result.findings = [f for f in result.findings if f.path in wanted]
    rest = sorted(p for p in wanted - staged_paths if os.path.isfile(os.path.join(top, p)))
    if not rest:
        return result
    cwd = os.getcwd()
    os.chdir(top)
    try:
        whole = scan_paths(DirOptions(paths=tuple(rest), config=config, max_file_size=max_size, named_by_user=False))
    finally:
        os.chdir(cwd)
    result.findings.extend(whole.findings)
    result.stats.merge(whole.stats)
    result.stats.notes.append(f"{len(rest)} file(s) with nothing staged were scanned whole (working tree)")
    result.sort()
    return result


def _rel(path: str, top: str) -> str:
    full = os.path.abspath(path)
    rel = os.path.relpath(full, top)
    return rel.replace(os.sep, "/")


def _lean_finish(result: ScanResult, root: str, config: Config, quiet: bool) -> int:
    """Suppress, render text with the hook's advice, exit code: `common.finish` without click."""
    from scanner.report import RenderOptions, render
    from scanner.trust import suppress_and_annotate

    baseline, ignore_file = config.suppression_files()
    result = suppress_and_annotate(result, config, baseline, ignore_file)
    color = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    text = render(result, "text", RenderOptions(color=color, quiet=quiet, hook="pre-commit"))
    if text:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            from scanner.cli.main import quiet_broken_pipe

            quiet_broken_pipe()
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m scanner.hookrun pre-commit [FILES...]`, as install-hook's git hook runs it."""
    return console(argv)


def console(argv: Sequence[str] | None = None) -> int:
    """The `mindee-scan` console script: `pre-commit [FILES...]` (the framework's hook) and a plain
    `staged [FILES...]` run here, everything else goes to click."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["pre-commit"]:
        # Silent unless it finds something: the hook runs on every commit.
        return _staged(["staged", *args[1:]], quiet=True)
    return _staged(args, quiet=False)


def _staged(args: list[str], quiet: bool) -> int:
    if args[:1] != ["staged"] or any(a.startswith("-") for a in args[1:]):
        from scanner.cli.main import main as cli_main

        return cli_main(args)
    from scanner.errors import ScanError

    try:
        return run_staged(
            args[1:], None, False, None, lambda result, root, config: _lean_finish(result, root, config, quiet)
        )
    except ScanError as exc:
        from scanner.trust import error_message

        sys.stderr.write(f"mindee-scan: error: {error_message(exc)}\n")  # as the full command line says it
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("mindee-scan: interrupted\n")
        return 130
    except Exception as exc:  # a bug: as the full command line reports it (exit 2, masked)
        from scanner.cli.main import report_internal_error

        report_internal_error(exc)
        return 2


# --- install-hook -------------------------------------------------------------------------------

_SCRIPT = """#!/bin/sh
{marker}
# Remove this file (or run `mindee-scan install-hook --force` again) to change it.
# Runs mindee-scan from the Python it was installed with; if that one moved or was removed, from
# `mindee-scan` on PATH, then from a python3 that can import it; otherwise it says what to do.
recorded={python}
py=$recorded
if [ -x "$py" ] && [ -f {package}/hookrun.py ]; then
  exec "$py" -m {module}
fi
if command -v mindee-scan >/dev/null 2>&1; then
  exec mindee-scan {command}
fi
for py in python3 python; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import scanner.hookrun' >/dev/null 2>&1; then
    exec "$py" -m {module}
  fi
done
echo "mindee-scan: cannot run the {hook} hook: $recorded is gone (its virtual environment moved or was removed)," >&2
echo "mindee-scan: no mindee-scan is on PATH and no python3 here can import it." >&2
echo "mindee-scan: install mindee-scan again and run 'mindee-scan install-hook --hook {hook} --force'," >&2
echo "mindee-scan: or remove $0; '{skip}' skips the hook once." >&2
exit 1
"""


def install_hook(repo: str, hook_type: str, force: bool) -> str:
    """Write a plain git hook that runs this installation of mindee-scan, with fallbacks if it moves;
    never clobber a foreign hook."""
    import shlex

    from scanner.errors import UsageError
    from scanner.gitio import Git

    git = Git(repo)
    common = git.out("rev-parse", "--path-format=absolute", "--git-common-dir").strip()
    custom = git.run("config", "--local", "--get", "core.hooksPath", check=False).stdout.decode().strip()
    top = git.out("rev-parse", "--show-toplevel", check=False).strip() or repo
    hooks = os.path.join(top, os.path.expanduser(custom)) if custom else os.path.join(common, "hooks")
    os.makedirs(hooks, exist_ok=True)
    path = os.path.join(hooks, hook_type)
    if os.path.exists(path) and not force:
        with open(path, encoding="utf-8", errors="replace") as fh:
            if HOOK_MARKER not in fh.read():
                raise UsageError(
                    f"{path} already exists and was not written by mindee-scan; "
                    "use --force to replace it (or call mindee-scan from it)"
                )
    python = os.path.abspath(sys.executable)
    package = os.path.dirname(os.path.abspath(__file__))
    if hook_type == "pre-commit":
        module, command, skip = "scanner.hookrun pre-commit", "pre-commit", "git commit --no-verify"
    else:
        module, command, skip = 'scanner pre-push "$@"', 'pre-push "$@"', "git push --no-verify"
    text = _SCRIPT.format(
        marker=HOOK_MARKER,
        python=shlex.quote(python),
        package=shlex.quote(package),
        module=module,
        command=command,
        hook=hook_type,
        skip=skip,
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o755)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
