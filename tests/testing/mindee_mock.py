"""A fake Mindee API on a loopback port (real HTTP server, real sockets), playing v1 and v2 for the tests.

It checks every request's method, path and Authorization form; anything else is recorded as a violation.
Each key answers from a script of replies (the last one repeats); unknown keys get 401 like Mindee.
The bodies are Mindee's own, as its public SDK test data holds them (mindee/client-lib-test-data:
v1/errors/*.json, v2/errors/*.json, v2/search/models.json); docs/verification.md cites each one.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

V2_PATH = "/v2/search/models"
V1_QUEUE = "/v1/products/mindee/invoices/v4/documents/queue/"
_V1_PROBE = re.compile(
    re.escape(V1_QUEUE) + r"(?P<job>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"
)


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list -> JSON, bytes as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None  # sent as is instead of a well-formed HTTP answer


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    at: float
    server: str

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def route(self) -> str:
        """The path without its query; a v1 probe's random job id as `<job>`."""
        path = self.path.split("?", 1)[0]
        return V1_QUEUE + "<job>" if _V1_PROBE.fullmatch(path) else path

    @property
    def query(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.path.split("?", 1)[1])) if "?" in self.path else {}


def model(name: str, model_type: str = "extraction") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "model_type": model_type, "webhooks": []}


def models_body(names: list[str], page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Mindee's v2 search answer (shape of client-lib-test-data v2/search/models.json): one page of models."""
    models = [model(n) for n in names]
    return models_page(models, page, per_page)


def models_page(models: list[dict[str, Any]], page: int = 1, per_page: int = 50) -> dict[str, Any]:
    pages = max(1, -(-len(models) // per_page))
    pagination = {
        "per_page": per_page,
        "page": page,
        "total_items": len(models),
        "total_pages": pages,
        "total_items_unfiltered": None,
    }
    return {"models": models[(page - 1) * per_page : page * per_page], "pagination": pagination}


def v2_problem(status: int, code: str, title: str, detail: str) -> dict[str, Any]:
    """Mindee v2's error body (RFC 9457), as in client-lib-test-data v2/errors/error_401_invalid_api_key.json."""
    return {"status": status, "detail": detail, "title": title, "code": code, "errors": []}


def v1_error(status: int, code: str, message: str, details: str, url: str = "") -> dict[str, Any]:
    """Mindee v1's error envelope, as in client-lib-test-data v1/errors/error_401_invalid_token.json."""
    return {
        "api_request": {
            "error": {"code": code, "details": details, "message": message},
            "resources": [],
            "status": "failure",
            "status_code": status,
            "url": url,
        }
    }


UNAUTHORIZED = Reply(401, v2_problem(401, "401-001", "Invalid API key", "The provided API key is invalid."))
V1_UNAUTHORIZED = Reply(401, v1_error(401, "Unauthorized", "Authorization required", "Invalid token provided"))
V1_NOT_FOUND = Reply(404, v1_error(404, "NotFound", "Job not found", "No job matches this id"))


class MindeeMock:
    """Start with `with MindeeMock() as m:`; point the scanner at m.v2_url / m.v1_url."""

    def __init__(self, host: str = "127.0.0.1", name: str = "mindee", tls: tuple[str, str] | None = None) -> None:
        self.host = host
        self.name = name
        self.tls = tls  # (certfile, keyfile): serve HTTPS
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.max_inflight = 0
        self._inflight = 0
        self._lock = threading.Lock()
        self._scripts: dict[tuple[str, str], list[Reply]] = {}
        self._catalogues: dict[str, list[dict[str, Any]]] = {}
        self._per_page = 50  # a catalogue's page size when the request does not say
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- scripting -------------------------------------------------------------------------------------
    def script(self, api: str, key: str, *replies: Reply) -> None:
        """Replies for `key` on api "v2" or "v1", in order; the last one repeats."""
        with self._lock:
            self._scripts[(api, key)] = list(replies)

    def live_v2(self, key: str, models: list[str]) -> None:
        self.script("v2", key, Reply(200, models_body(models)))

    def live_v2_catalogue(self, key: str, models: list[dict[str, Any]], per_page: int = 50) -> None:
        """A live key whose organisation has `models`, served page by page as `?page=N&per_page=M` asks."""
        with self._lock:
            self._catalogues[key] = models
            self._scripts.pop(("v2", key), None)
            self._per_page = per_page

    def live_v1(self, key: str) -> None:
        self.script("v1", key, V1_NOT_FOUND)

    def delete(self, api: str, key: str) -> None:
        """The user deleted the key in the dashboard: from now on it answers Mindee's own 401."""
        self.script(api, key, UNAUTHORIZED if api == "v2" else V1_UNAUTHORIZED)

    def requests_for(self, key: str) -> list[Recorded]:
        return [r for r in self.requests if r.authorization and key in r.authorization]

    def _next_reply(self, api: str, key: str, query: dict[str, str] | None = None) -> Reply:
        with self._lock:
            catalogue = self._catalogues.get(key) if api == "v2" else None
            if catalogue is not None:
                query = query or {}
                page = int(query.get("page", "1"))
                per_page = int(query.get("per_page", str(self._per_page)))
                return Reply(200, models_page(catalogue, page, per_page))
            script = self._scripts.get((api, key))
            if not script:
                return UNAUTHORIZED if api == "v2" else V1_UNAUTHORIZED
            return script.pop(0) if len(script) > 1 else script[0]

    # --- lifecycle ---------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def v2_url(self) -> str:
        return self.origin

    @property
    def v1_url(self) -> str:
        return self.origin + "/v1"

    def start(self) -> MindeeMock:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                mock._handle(self)

            def _bad(self) -> None:
                mock._handle(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_CONNECT = _bad

        server = ThreadingHTTPServer((self.host, 0), Handler)
        if self.tls:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> MindeeMock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling --------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in h.headers.items()}
        rec = Recorded(h.command, h.path, headers, time.monotonic(), self.name)
        with self._lock:
            self.requests.append(rec)
            self._inflight += 1
            self.max_inflight = max(self.max_inflight, self._inflight)
        counted = True
        try:
            reply = self._route(rec)
            if reply.delay and self._stop.wait(reply.delay):
                return
            # No longer in flight once the answer goes out: the client may send its next request as soon
            # as it has read this one, before this thread would get back here (max_inflight read 4 of 3).
            with self._lock:
                self._inflight -= 1
                counted = False
            self._send(h, reply)
        except OSError:  # the client gave up (timeout test): nothing to answer
            pass
        finally:
            if counted:
                with self._lock:
                    self._inflight -= 1

    def _route(self, rec: Recorded) -> Reply:
        auth = rec.authorization or ""
        if rec.method != "GET":
            self.violations.append(f"{self.name}: method {rec.method} {rec.path}")
            return Reply(405, {"detail": "method not allowed"})
        if rec.route == V2_PATH:
            if not auth or auth.startswith(("Token ", "Bearer ")):
                self.violations.append(f"{self.name}: v2 Authorization must be the raw key")
                return UNAUTHORIZED
            if set(rec.query) - {"page", "per_page"}:
                self.violations.append(f"{self.name}: unexpected query {rec.path}")
            return self._next_reply("v2", auth, rec.query)
        if rec.route == V1_QUEUE + "<job>":
            if not auth.startswith("Token ") or len(auth.split(" ")) != 2:
                self.violations.append(f"{self.name}: v1 Authorization must be 'Token <key>'")
                return V1_UNAUTHORIZED
            return self._next_reply("v1", auth[len("Token ") :])
        self.violations.append(f"{self.name}: unexpected path {rec.path}")
        return Reply(404, b"<html>not found</html>", {"Content-Type": "text/html"})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.raw is not None:
            h.wfile.write(reply.raw)
            h.wfile.flush()
            h.close_connection = True
            return
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body or {}).encode()
        h.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers}
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()


def serve_mindee() -> Iterator[MindeeMock]:
    """Body of a `mindee` fixture: a fake Mindee on 127.0.0.1 that fails the test on any malformed request."""
    with MindeeMock() as m:
        yield m
        assert not m.violations, m.violations


def serve_elsewhere() -> Iterator[MindeeMock]:
    """Body of an `elsewhere` fixture: another host (127.0.0.2) that must never be contacted."""
    with MindeeMock(host="127.0.0.2", name="elsewhere") as m:
        yield m


def free_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
