"""How every git process is started: its scrubbed environment and the `-c` overrides on its command line.

Split from gitio (which runs git through `subprocess`) so the pre-commit fast path
(scanner/app/quickstaged.py) can start the same git, the same way, without importing `subprocess`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

# `-c` overrides: command-line config has the highest precedence, so the scanned repo cannot undo them.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.gitProxy", "false"),
    ("core.askPass", "false"),
    ("core.alternateRefsCommand", "false"),
    ("core.untrackedCache", "false"),
    ("core.quotePath", "false"),
    ("core.splitIndex", "false"),
    ("diff.external", "false"),
    ("diff.relative", "false"),
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.renames", "true"),
    ("diff.ignoreSubmodules", "none"),
    ("log.showSignature", "false"),
    ("log.showRoot", "true"),
    ("gpg.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("color.ui", "false"),
    ("i18n.logOutputEncoding", "UTF-8"),
    ("protocol.allow", "never"),
    ("credential.helper", ""),
    ("uploadpack.packObjectsHook", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("fetch.prune", "false"),
    ("submodule.recurse", "false"),
)

# Flags for every diff/log call that could otherwise consult attributes or config for a program.
DIFF_SAFE: tuple[str, ...] = ("--no-ext-diff", "--no-textconv", "--no-color")
LOG_SAFE: tuple[str, ...] = (*DIFF_SAFE, "--no-show-signature", "--encoding=UTF-8")

# Variables a hook legitimately receives from git and that describe *this* repository.
HOOK_ENV: tuple[str, ...] = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_QUARANTINE_PATH",
)
_PATH_VARS = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"}

# git's all-zero object id: "no object" (a ref being created or deleted, a file added or removed).
NULL_SHA = "0" * 40


def scrubbed_env(keep: Iterable[str] = ()) -> dict[str, str]:
    """os.environ without GIT_* (except `keep`, made absolute), plus settings that stop git running programs."""
    keep_set = set(keep)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep_set}
    for name in _PATH_VARS & keep_set:
        # A hook may get a relative GIT_INDEX_FILE; we run git with -C, so pin it to the caller's cwd.
        if env.get(name) and not os.path.isabs(env[name]):
            env[name] = os.path.abspath(env[name])
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "false",
            "SSH_ASKPASS": "false",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_EDITOR": "false",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_ALLOW_PROTOCOL": "",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "LC_ALL": "C",
            "LANG": "C",
        }
    )
    env.pop("GIT_EXTERNAL_DIFF", None)
    env.pop("GIT_SSH", None)
    env.pop("GIT_SSH_COMMAND", None)
    return env


def git_argv(repo: str, args: Sequence[str], config: Sequence[tuple[str, str]] = ()) -> list[str]:
    """git's command line: no pager, no replace objects, in `repo`, with SAFE_CONFIG and `config` last."""
    out = ["git", "--no-pager", "--no-replace-objects", "-C", repo]
    for key, value in (*SAFE_CONFIG, *config):
        out += ["-c", f"{key}={value}"]
    out.extend(args)
    return out
