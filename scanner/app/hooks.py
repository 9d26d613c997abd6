"""`mindee-scan install-hook`: a plain git hook that runs this installation, with fallbacks if it moves."""

from __future__ import annotations

import os
import sys

HOOK_MARKER = "# installed by mindee-scan install-hook"

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
    from scanner.sources.git.gitio import Git

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
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # scanner/, which holds hookrun.py
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
