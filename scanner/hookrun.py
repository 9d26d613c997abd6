"""The pre-commit path, kept lean: `python -m scanner.hookrun pre-commit [FILES...]` and the console
script's `mindee-scan staged [FILES...]` skip click.

A commit hook runs on every commit, so its start-up is the product: this entry imports only the
detector, the staged source and the text renderer. With any option it hands over to the full CLI
(`mindee-scan staged`), which shares `scanner.app.staged.run_staged`.

It stays at this path: the `mindee-scan` console script and every git hook that `install-hook` has
written (`python -m scanner.hookrun pre-commit`) start here.
"""

from __future__ import annotations

import os
import sys

# Not `typing.TYPE_CHECKING`: importing `typing` (and the `re` and `enum` it brings) is a third of a
# bare interpreter's start-up, and a clean commit needs none of them (scanner/app/quickstaged.py).
TYPE_CHECKING = False
if TYPE_CHECKING:  # the console script starts here: `mindee-scan --help` should not load the scanner
    from collections.abc import Sequence

    from scanner.config import Config
    from scanner.model import ScanResult


def _lean_finish(result: ScanResult, config: Config, quiet: bool) -> int:
    """Post-process, render text with the hook's advice, exit code: the command line's steps without click."""
    from scanner.app.postprocess import PostOptions, postprocess
    from scanner.report import RenderOptions, render

    baseline, ignore_file = config.suppression_files()
    result = postprocess(result, PostOptions(config=config, baseline=baseline, ignore_file=ignore_file))
    color = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    text = render(result, "text", RenderOptions(color=color, quiet=quiet, hook="pre-commit"))
    if text:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            from scanner.report.writer import quiet_broken_pipe

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


def _clean_commit(files: list[str], quiet: bool) -> int | None:
    """The fast path for a clean commit (scanner.app.quickstaged); None: the full path decides."""
    try:
        from scanner.app.quickstaged import clean_commit

        return clean_commit(files, quiet)
    except KeyboardInterrupt:
        raise
    except Exception:  # an optimisation must never fail a commit: the full path decides, and reports
        return None


def _staged(args: list[str], quiet: bool) -> int:
    if args[:1] != ["staged"] or any(a.startswith("-") for a in args[1:]):
        from scanner.cli.main import main as cli_main

        return cli_main(args)
    code = _clean_commit(args[1:], quiet)
    if code is not None:
        return code
    from scanner.errors import ScanError

    try:
        from scanner.app.staged import run_staged

        result, config = run_staged(args[1:])
        return _lean_finish(result, config, quiet)
    except ScanError as exc:
        from scanner.redact import error_message

        sys.stderr.write(f"mindee-scan: error: {error_message(exc)}\n")  # as the full command line says it
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("mindee-scan: interrupted\n")
        return 130
    except Exception as exc:  # a bug: as the full command line reports it (exit 2, masked)
        from scanner.errors import report_internal_error

        report_internal_error(exc)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
