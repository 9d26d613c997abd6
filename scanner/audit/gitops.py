"""The few git calls an audit needs around a scan: mirror clones, ref tips, object checks.

Repositories under audit are untrusted: git runs with no user/system config, no hooks, no prompts,
and only plain transports (never `ext::`, which runs a program).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from typing import TYPE_CHECKING

from scanner.errors import SourceError
from scanner.sources.git.gitio import Git

if TYPE_CHECKING:
    from scanner.audit.orgs import CloneAuth

# Clones are the one place an audit talks to a remote: plain transports only (never `ext::`, which runs
# a program), ssh as the user's own ssh, and nothing else from gitio's lock-down relaxed.
_CLONE_PROTOCOLS = "file:git:http:https:ssh"
_CLONE_CONFIG = ("-c", "core.sshCommand=ssh", "-c", "protocol.allow=always")


# scheme://user:password@host...: git's own messages drop this part (`transport_anonymize_url`); so do we.
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@")


def without_credentials(text: str) -> str:
    """`text` with the `user:token@` of every URL in it removed: what may be printed, logged or stored.

    The full URL is used only to talk to the remote; the store, the mirror's config, the cache folder
    name, reports and messages all get this form."""
    return _USERINFO_RE.sub(r"\1", text)


def _remote_git(cwd: str) -> Git:
    git = Git(cwd)
    git.env["GIT_ALLOW_PROTOCOL"] = _CLONE_PROTOCOLS
    return git


def git_cause(message: str, keep_prefix: bool = True) -> str:
    """git's own reason in one line: its first `fatal:`/`error:` line (what follows is advice)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in lines:
        for marker in ("fatal:", "error:"):
            if marker in line:
                return line if keep_prefix else line[line.index(marker) :]
    return lines[0] if lines else message


def resolve_git_dir(path: str) -> str | None:
    """The git directory of a work tree or bare repository at `path`, or None if it is not one."""
    if os.path.isdir(os.path.join(path, ".git")) or os.path.isfile(os.path.join(path, ".git")):
        return os.path.join(path, ".git")
    if os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects")):
        return path
    return None


def refs_at(git_dir: str) -> dict[str, str]:
    """The refs of the repository at `git_dir` as stored, and never of one around it (what decides whether a
    repository moved)."""
    from scanner.sources.git.refs import read_refs

    git = Git(git_dir)
    # A broken repository inside another one must fail, not silently report the enclosing repository's refs.
    git.env["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.abspath(git_dir))
    return read_refs(git).stored


def existing_commits(git_dir: str, revs: list[str]) -> tuple[str, ...]:
    """The commits `revs` point at (tags peeled) that are still present, sorted; one batch call for all."""
    if not revs:
        return ()
    query = "".join(f"{rev}^{{commit}}\n" for rev in revs).encode()
    proc = Git(git_dir).run("cat-file", "--batch-check=%(objectname) %(objecttype)", input=query)
    found = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, _, kind = line.partition(" ")
        if kind == "commit":
            found.add(sha)
    return tuple(sorted(found))


def cache_path(url: str, cache_dir: str) -> str:
    """A stable, readable folder name per clone URL (the hash keeps two `repo.git` apart)."""
    url = without_credentials(url)  # one mirror per repository, whichever token reached it
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rstrip("/").rsplit("/", 1)[-1])[:60] or "repo"
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return os.path.join(cache_dir, f"{tail}-{digest}")


def default_cache_dir() -> str:
    """$XDG_CACHE_HOME/mindee-scan/mirrors (~/.cache/... when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mindee-scan", "mirrors")


def _authorised(git: Git, url: str, auth: CloneAuth | None) -> Git:
    """A forge token reaches git as an HTTP header scoped to the forge's origin, through git's environment
    (GIT_CONFIG_COUNT): never on its command line (`ps`), in the URL, or in the mirror's config."""
    if auth is None or not url.startswith(auth.origin):
        return git
    header = auth.header(os.environ)
    if header is not None:
        git.env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"http.{auth.origin}.extraHeader",
                "GIT_CONFIG_VALUE_0": header,
            }
        )
    return git


def mirror(url: str, cache_dir: str | None, auth: CloneAuth | None = None) -> str:
    """Mirror-clone `url` (bare, every ref) into the cache, or fetch it if already there; return its path."""
    # Resolved where the clone happens: a Dask worker's home is not the client's.
    cache_dir = cache_dir or default_cache_dir()
    os.makedirs(cache_dir, mode=0o700, exist_ok=True)
    target = cache_path(url, cache_dir)
    shown = without_credentials(url)
    if os.path.isdir(target):
        try:
            # The URL (with its credentials) on the command line, never in the mirror's config on disk.
            _authorised(_remote_git(target), url, auth).run(
                *_CLONE_CONFIG, "fetch", "--prune", "--quiet", "--", url, "+refs/*:refs/*"
            )
            _forget_credentials(target, shown)
        except SourceError as exc:
            cause = git_cause(without_credentials(str(exc)), keep_prefix=False)
            raise SourceError(f"cannot fetch {shown}: {cause}") from None
        return target
    # Clone into a temporary sibling and rename: a killed clone never leaves a half mirror in the cache.
    tmp = tempfile.mkdtemp(prefix=".clone-", dir=cache_dir)
    try:
        _authorised(_remote_git(cache_dir), url, auth).run(
            *_CLONE_CONFIG, "clone", "--mirror", "--quiet", "--no-hardlinks", "--", url, tmp
        )
        _forget_credentials(tmp, shown)
        os.replace(tmp, target)
    except SourceError as exc:
        cause = git_cause(without_credentials(str(exc)), keep_prefix=False)
        raise SourceError(f"cannot clone {shown}: {cause}") from None
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _forget_credentials(git_dir: str, shown: str) -> None:
    """`git clone` writes the URL it was given, token included, into the mirror's config: keep the bare one."""
    Git(git_dir).run("config", "remote.origin.url", shown)


def read_blob(git_dir: str, commit: str, path: str) -> bytes:
    """The content of `path` at `commit` (to re-read a key whose clear text the store does not keep)."""
    return Git(git_dir).run("cat-file", "blob", f"{commit}:{path}").stdout


def commit_message(git_dir: str, commit: str) -> bytes:
    return Git(git_dir).run("cat-file", "commit", commit).stdout
