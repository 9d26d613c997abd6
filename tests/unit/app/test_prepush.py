"""`app.prepush`: what a push sends, read from git's pre-push input or the pre-commit framework's variables."""

from __future__ import annotations

import io

from scanner.app.prepush import push_updates
from scanner.sources.git.gitio import NULL_SHA


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_git_pre_push_lines_give_local_and_remote_shas() -> None:
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    stdin = _Pipe(f"refs/heads/main {a} refs/heads/main {b}\nrefs/heads/new {c} refs/heads/new {NULL_SHA}\nnoise\n")
    assert push_updates({}, stdin) == [(a, b), (c, NULL_SHA)]


def test_the_frameworks_variables_win_and_stdin_is_not_read() -> None:
    stdin = _Pipe("refs/heads/main x refs/heads/main y\n")
    env = {"PRE_COMMIT_TO_REF": "t" * 40, "PRE_COMMIT_FROM_REF": ""}
    assert push_updates(env, stdin) == [("t" * 40, NULL_SHA)]
    assert stdin.tell() == 0


def test_a_terminal_or_no_stdin_pushes_nothing() -> None:
    class _Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert push_updates({}, None) == []
    assert push_updates({}, _Tty("refs/heads/main a refs/heads/main b\n")) == []
