"""Every repository of a GitHub organisation (or user) or a GitLab group, listed through the forge's API.

The token comes from the environment (GITHUB_TOKEN or GH_TOKEN, GITLAB_TOKEN), never from argv: it is
sent only to the API origin the user chose (HTTPS; plain HTTP only to loopback, for tests), never
across a redirect, and never printed. Clones do not carry it in their URL either: a target names the
variable that holds it (`CloneAuth`), and the clone reads it there and hands it to git as an HTTP
header scoped to the forge's origin, through git's environment (see gitops.mirror).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from scanner.errors import ScanError, UsageError
from scanner.record import record

GITHUB_API = "https://api.github.com"
GITLAB_URL = "https://gitlab.com"
GITHUB_TOKEN_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
GITLAB_TOKEN_VARS = ("GITLAB_TOKEN",)
_PER_PAGE = 100
_MAX_PAGES = 2000  # 200,000 repositories: a forge that keeps answering "next" is not followed forever
_TIMEOUT = 30.0
_MAX_BODY = 32 * 1024 * 1024


@record(frozen=True)
class CloneAuth:
    """How a clone authenticates, without the secret: the origin it applies to, the variable holding the
    token, and the user name the forge expects with a token over HTTP basic auth."""

    origin: str  # e.g. "https://github.com/"
    token_env: str
    username: str

    def header(self, env: Mapping[str, str]) -> str | None:
        """The `Authorization:` header git sends to `origin`, or None when the variable is unset."""
        import base64

        token = env.get(self.token_env, "")
        if not token:
            return None
        basic = base64.b64encode(f"{self.username}:{token}".encode()).decode("ascii")
        return f"Authorization: Basic {basic}"


@record(frozen=True)
class ForgeRepo:
    """One repository the API listed."""

    name: str  # owner/name, group/subgroup/name
    clone_url: str
    archived: bool = False
    fork: bool = False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1].lower()}"


def _check_base(url: str, what: str) -> str:
    from scanner.verify.policy import is_loopback

    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise UsageError(f"{what} must be an https:// URL without credentials")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(f"{what} must use https:// (plain http only to loopback, for tests)")
    return url.rstrip("/")


def token_from(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(variable name, token) of the first set variable among `names`."""
    for name in names:
        if env.get(name):
            return name, env[name]
    return None, None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could carry the token to another host: refused, the user gives the final API URL."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise ScanError(f"the API redirected ({code}) to {_origin(newurl)}: give that URL instead")


def _get(url: str, headers: dict[str, str], what: str) -> tuple[Any, Any]:
    """JSON body and headers of one GET; errors say what failed and what to do, never the token."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"User-Agent": "mindee-scan", **headers})
    try:
        with opener.open(request, timeout=_TIMEOUT) as response:
            body = response.read(_MAX_BODY + 1)
            response_headers = response.headers
    except urllib.error.HTTPError as exc:
        hint = {
            401: "the token is missing, wrong or expired",
            403: "the token lacks access, or the API rate limit was hit",
            404: "no such organisation or group, or the token cannot see it",
        }.get(exc.code, "the API refused the request")
        raise ScanError(f"listing {what}: HTTP {exc.code} ({hint})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ScanError(f"listing {what}: cannot reach {_origin(url)}: {reason}") from None
    if len(body) > _MAX_BODY:
        raise ScanError(f"listing {what}: an answer larger than {_MAX_BODY} bytes")
    try:
        return json.loads(body), response_headers
    except ValueError:
        raise ScanError(f"listing {what}: the API did not answer JSON") from None


def _next_link(link: str | None) -> str | None:
    """The `rel="next"` URL of an RFC 8288 Link header (GitHub's pagination)."""
    for part in (link or "").split(","):
        target, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", "") and target.strip().startswith("<"):
            return target.strip()[1:-1]
    return None


def _pages(first: str, headers: dict[str, str], what: str, next_url: Any) -> Iterator[list[Any]]:
    """Every page, following `next_url(headers, url)`; each next URL must stay on the API's origin."""
    url: str | None = first
    origin = _origin(first)
    seen: set[str] = set()
    for _ in range(_MAX_PAGES):
        if url is None:
            return
        if _origin(url) != origin:
            raise ScanError(f"listing {what}: the API's next page is on another host ({_origin(url)}); not followed")
        if url in seen:
            raise ScanError(f"listing {what}: the API sent the same page twice; stopped")
        seen.add(url)
        body, response_headers = _get(url, headers, what)
        if not isinstance(body, list):
            raise ScanError(f"listing {what}: the API did not answer a list")
        yield body
        url = next_url(response_headers, url)
    raise ScanError(f"listing {what}: more than {_MAX_PAGES} pages; stopped")


def _clone_url(value: Any, origin: str, what: str) -> str:
    """A clone URL the API gave: it must be on the forge's origin (a token is never sent elsewhere)."""
    if not isinstance(value, str) or _origin(value) != origin or urlsplit(value).username:
        raise ScanError(f"listing {what}: a clone URL is not on {origin}; refused")
    return value


def github_repos(org: str, api: str = GITHUB_API, env: Mapping[str, str] | None = None) -> list[ForgeRepo]:
    """Every repository of a GitHub organisation (or, when no organisation has that name, user)."""
    env = os.environ if env is None else env
    api = _check_base(api, "--github-api")
    _, token = token_from(env, GITHUB_TOKEN_VARS)
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    git_origin = _github_git_origin(api)
    query = urlencode({"per_page": _PER_PAGE, "type": "all"})
    what = f"the repositories of GitHub organisation {org!r}"
    pages: Iterator[list[Any]] = _pages(
        f"{api}/orgs/{quote(org, safe='')}/repos?{query}", headers, what, lambda h, _: _next_link(h.get("Link"))
    )
    try:
        first = next(pages)
    except ScanError as exc:
        if "HTTP 404" not in str(exc):
            raise
        what = f"the repositories of GitHub user {org!r}"
        query = urlencode({"per_page": _PER_PAGE, "type": "owner"})
        pages = _pages(
            f"{api}/users/{quote(org, safe='')}/repos?{query}", headers, what, lambda h, _: _next_link(h.get("Link"))
        )
        first = next(pages)
    return _forge_repos(
        (first, *pages), "full_name", "clone_url", git_origin, what, lambda repo: bool(repo.get("fork"))
    )


def _github_git_origin(api: str) -> str:
    """github.com's API lives on api.github.com; GitHub Enterprise serves both from one host."""
    origin = _origin(api)
    return "https://github.com" if origin == "https://api.github.com" else origin


def gitlab_projects(group: str, base: str = GITLAB_URL, env: Mapping[str, str] | None = None) -> list[ForgeRepo]:
    """Every project of a GitLab group, its subgroups included."""
    env = os.environ if env is None else env
    base = _check_base(base, "--gitlab-url")
    _, token = token_from(env, GITLAB_TOKEN_VARS)
    headers = {"Accept": "application/json"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    what = f"the projects of GitLab group {group!r}"
    first = f"{base}/api/v4/groups/{quote(group, safe='')}/projects"
    params = {"per_page": str(_PER_PAGE), "include_subgroups": "true", "order_by": "id", "sort": "asc"}

    def next_url(response_headers: Any, _: str) -> str | None:
        page = (response_headers.get("X-Next-Page") or "").strip()
        if not page:
            return None
        if not page.isdigit():
            raise ScanError(f"listing {what}: X-Next-Page is not a page number")
        return f"{first}?{urlencode({**params, 'page': page})}"

    pages = _pages(f"{first}?{urlencode({**params, 'page': '1'})}", headers, what, next_url)
    return _forge_repos(
        pages, "path_with_namespace", "http_url_to_repo", _origin(base), what, lambda p: "forked_from_project" in p
    )


def _forge_repos(
    pages: Iterable[list[Any]],
    name_key: str,
    url_key: str,
    origin: str,
    what: str,
    is_fork: Callable[[dict[str, Any]], bool],
) -> list[ForgeRepo]:
    """The repositories of every page, read by the forge's own field names; entries that are not objects are
    passed over."""
    return [
        ForgeRepo(
            name=str(entry.get(name_key, "")),
            clone_url=_clone_url(entry.get(url_key), origin, what),
            archived=bool(entry.get("archived")),
            fork=is_fork(entry),
        )
        for page in pages
        for entry in page
        if isinstance(entry, dict)
    ]


@record(frozen=True)
class OrgQuery:
    """What `mindee-scan audit --github-org/--gitlab-group` asked for."""

    github_orgs: tuple[str, ...] = ()
    gitlab_groups: tuple[str, ...] = ()
    github_api: str = GITHUB_API
    gitlab_url: str = GITLAB_URL
    forks: bool = True
    archived: bool = True


def org_targets(query: OrgQuery, env: Mapping[str, str] | None = None) -> list[tuple[str, CloneAuth | None]]:
    """(clone URL, how to authenticate its clone) for every listed repository, in the API's order."""
    env = os.environ if env is None else env
    out: list[tuple[str, CloneAuth | None]] = []
    github_var, _ = token_from(env, GITHUB_TOKEN_VARS)
    for org in query.github_orgs:
        repos = github_repos(org, query.github_api, env)
        origin = _github_git_origin(_check_base(query.github_api, "--github-api")) + "/"
        auth = CloneAuth(origin, github_var, "x-access-token") if github_var else None
        out.extend((r.clone_url, auth) for r in _kept(repos, query))
    gitlab_var, _ = token_from(env, GITLAB_TOKEN_VARS)
    for group in query.gitlab_groups:
        projects = gitlab_projects(group, query.gitlab_url, env)
        auth = CloneAuth(_origin(query.gitlab_url) + "/", gitlab_var, "oauth2") if gitlab_var else None
        out.extend((p.clone_url, auth) for p in _kept(projects, query))
    return out


def _kept(repos: list[ForgeRepo], query: OrgQuery) -> list[ForgeRepo]:
    return [r for r in repos if (query.forks or not r.fork) and (query.archived or not r.archived)]
