"""A fake GitHub and GitLab on a loopback port (real HTTP server, real sockets): their repository listing APIs,
paginated as each forge does (GitHub: Link rel="next"; GitLab: X-Next-Page), and the listed repositories
served to `git clone` over git's dumb HTTP protocol. Every request must carry the right token."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.testing.gitutil import git

PAGE = 2  # small pages, so two repositories already paginate


@dataclass
class Forge:
    token: str
    github: dict[str, list[str]] = field(default_factory=dict)  # org -> repository names
    gitlab: dict[str, list[str]] = field(default_factory=dict)  # group -> project paths (may hold '/')
    bare: dict[str, Path] = field(default_factory=dict)  # "owner/name" -> bare repository
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    foreign_clone_url: bool = False
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_repo(self, owner: str, name: str, work: Path) -> None:
        """Serve the work tree `work` as owner/name (a bare copy, ready for dumb HTTP)."""
        bare = work.parent / f"{work.name}-served.git"
        if bare.exists():  # served already: publish its new commits, as a push would
            git(bare, "fetch", "-q", str(work), "+refs/heads/*:refs/heads/*")
        else:
            git(work.parent, "clone", "-q", "--bare", str(work), str(bare))
        git(bare, "update-server-info")
        self.bare[f"{owner}/{name}"] = bare

    def __enter__(self) -> Forge:
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                forge.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                forge.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    # -- routing --------------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segments = parts.path.strip("/").split("/")
        if segments[0] == "git":
            return self._git(h, "/".join(segments[1:]))
        if segments[:1] == ["orgs"] and segments[2:] == ["repos"]:
            if h.headers.get("Authorization") != f"Bearer {self.token}":
                return _send(h, 401, {"message": "Bad credentials"})
            names = self.github.get(segments[1])
            if names is None:
                return _send(h, 404, {"message": "Not Found"})
            return self._page(h, names, query, segments[1], github=True)
        if segments[:3] == ["api", "v4", "groups"] and segments[-1] == "projects":
            if h.headers.get("PRIVATE-TOKEN") != self.token:
                return _send(h, 401, {"message": "401 Unauthorized"})
            group = "/".join(segments[3:-1]).replace("%2F", "/")
            paths = self.gitlab.get(group)
            if paths is None:
                return _send(h, 404, {"message": "404 Group Not Found"})
            return self._page(h, paths, query, group, github=False)
        return _send(h, 404, {"message": "Not Found"})

    def _page(
        self, h: BaseHTTPRequestHandler, names: list[str], query: dict[str, str], owner: str, github: bool
    ) -> None:
        page = int(query.get("page", "1"))
        chunk = names[(page - 1) * PAGE : page * PAGE]
        more = page * PAGE < len(names)
        base = self.url if not self.foreign_clone_url else "http://127.0.0.2:9"
        if github:
            body = [{"full_name": f"{owner}/{n}", "clone_url": f"{base}/git/{owner}/{n}.git", "fork": False,
                     "archived": n.endswith("-archived")} for n in chunk]  # fmt: skip
            headers = {}
            if more:
                nxt = f"{self.url}/orgs/{owner}/repos?per_page=100&type=all&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next", <{self.url}/orgs/{owner}/repos?page=99>; rel="last"'
        else:
            body = [{"path_with_namespace": f"{owner}/{n}", "http_url_to_repo": f"{base}/git/{owner}/{n}.git",
                     "archived": False} for n in chunk]  # fmt: skip
            headers = {"X-Next-Page": str(page + 1) if more else "", "X-Page": str(page)}
        _send(h, 200, body, headers)

    def _git(self, h: BaseHTTPRequestHandler, rest: str) -> None:
        expected = {
            "Basic " + base64.b64encode(f"x-access-token:{self.token}".encode()).decode(),
            "Basic " + base64.b64encode(f"oauth2:{self.token}".encode()).decode(),
        }
        if h.headers.get("Authorization") not in expected:
            h.send_response(401)
            h.send_header("WWW-Authenticate", 'Basic realm="git"')
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        repo, _, inner = rest.partition(".git/")
        bare = self.bare.get(repo)
        target = (bare / inner).resolve() if bare else None
        if bare is None or target is None or not str(target).startswith(str(bare.resolve())) or not target.is_file():
            return _send(h, 404, {"message": "Not Found"})
        data = target.read_bytes()
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def _send(h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def files_containing(root: Path, needle: bytes) -> list[str]:
    """Every file under `root` whose bytes hold `needle` (the token must be in none)."""
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                if needle in path.read_bytes():
                    out.append(str(path))
            except OSError:
                continue
    return out
