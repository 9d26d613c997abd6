"""A fake Mindee API on a loopback port (real HTTP server, real sockets), playing v1 and v2 for the tests.

It checks every request's method, path and Authorization form; anything else is recorded as a violation.
Each key answers from a script of replies (the last one repeats); unknown keys get 401 like Mindee.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

V2_PATH = "/v2/search/models"
V1_PATH = "/v1/products/mindee/invoices/v4/documents/queue/00000000-0000-0000-0000-000000000000"


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


def models_body(names: list[str]) -> dict[str, Any]:
    """A plausible v2 search answer: models plus pagination."""
    models = [{"id": str(uuid.uuid4()), "name": n, "model_type": "extraction"} for n in names]
    pagination = {"page": 1, "per_page": 50, "total_items": len(names), "total_pages": 1}
    return {"models": models, "pagination": pagination}


UNAUTHORIZED = Reply(401, {"status": 401, "title": "Unauthorized", "detail": "Invalid API key"})
V1_NOT_FOUND = Reply(
    404,
    {
        "api_request": {
            "status": "failure",
            "status_code": 404,
            "error": {"code": "NotFound", "message": "Job not found"},
        }
    },
)


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
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- scripting -------------------------------------------------------------------------------------
    def script(self, api: str, key: str, *replies: Reply) -> None:
        """Replies for `key` on api "v2" or "v1", in order; the last one repeats."""
        with self._lock:
            self._scripts[(api, key)] = list(replies)

    def live_v2(self, key: str, models: list[str]) -> None:
        self.script("v2", key, Reply(200, models_body(models)))

    def live_v1(self, key: str) -> None:
        self.script("v1", key, V1_NOT_FOUND)

    def delete(self, api: str, key: str) -> None:
        """The user deleted the key in the dashboard: from now on it answers 401."""
        self.script(api, key, UNAUTHORIZED)

    def requests_for(self, key: str) -> list[Recorded]:
        return [r for r in self.requests if r.authorization and key in r.authorization]

    def _next_reply(self, api: str, key: str) -> Reply:
        with self._lock:
            script = self._scripts.get((api, key))
            if not script:
                return UNAUTHORIZED
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
        if rec.path == V2_PATH:
            if not auth or auth.startswith(("Token ", "Bearer ")):
                self.violations.append(f"{self.name}: v2 Authorization must be the raw key")
                return UNAUTHORIZED
            return self._next_reply("v2", auth)
        if rec.path == V1_PATH:
            if not auth.startswith("Token ") or len(auth.split(" ")) != 2:
                self.violations.append(f"{self.name}: v1 Authorization must be 'Token <key>'")
                return UNAUTHORIZED
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
