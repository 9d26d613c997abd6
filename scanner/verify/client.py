"""The verifier's one HTTP call: a GET with a timeout, no redirect followed, proxies from the environment.

Standard-library urllib, imported only when a check runs: only `--verify` pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner import __version__
from scanner.record import field, record

if TYPE_CHECKING:
    import urllib.request

    from scanner.verify.policy import BaseURL

USER_AGENT = f"mindee-scan/{__version__} (key verification)"
_MAX_BODY = 1024 * 1024  # a models list is small; never buffer an unbounded answer


class TransportError(Exception):
    """No HTTP answer at all (timeout, refused, DNS, TLS): the verdict is unknown, with this reason."""


@record(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _opener(base: BaseURL) -> urllib.request.OpenerDirector:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """Never follow a redirect: the Authorization header must not travel to wherever it points."""

        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    # Proxies come from the standard variables (HTTPS_PROXY, NO_PROXY...); never for a loopback base.
    proxies = urllib.request.ProxyHandler({}) if base.loopback else urllib.request.ProxyHandler()
    return urllib.request.build_opener(proxies, NoRedirect())


@record
class Transport:
    """Sends GET requests to one base URL; refuses any other origin even if asked."""

    base: BaseURL
    timeout: float = 10.0
    _opener: Any = None

    def get(self, url: str, headers: dict[str, str]) -> Response:
        import http.client
        import socket
        import urllib.error
        import urllib.request

        if not self.base.same_origin(url):  # defence in depth: callers only build URLs under the base
            raise TransportError(f"refused to send a key outside {self.base.origin}")
        if self._opener is None:
            self._opener = _opener(self.base)
        request = urllib.request.Request(
            url,
            method="GET",
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **headers,
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                return Response(resp.status, _headers(resp.headers), resp.read(_MAX_BODY))
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read(_MAX_BODY)
            except (OSError, ValueError, http.client.HTTPException):
                body = b""
            finally:
                exc.close()
            return Response(exc.code, _headers(exc.headers), body)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise TransportError(f"timed out after {self.timeout:g}s") from None
            raise TransportError(_reason(exc.reason)) from None
        except TimeoutError:
            raise TransportError(f"timed out after {self.timeout:g}s") from None
        except OSError as exc:  # connection reset mid-answer, TLS errors raised while reading
            raise TransportError(_reason(exc)) from None
        except http.client.HTTPException as exc:  # bad status line, truncated body
            raise TransportError(f"malformed answer ({type(exc).__name__})") from None
        except ValueError as exc:  # http.client rejects a malformed answer
            raise TransportError(f"malformed answer: {exc}") from None


def _headers(msg: Any) -> dict[str, str]:
    if msg is None:
        return {}
    return {k.lower(): v for k, v in msg.items()}


def _reason(reason: object) -> str:
    import socket
    import ssl

    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"DNS lookup failed ({reason.strerror or reason})"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({reason.verify_message or reason})"
    if isinstance(reason, OSError):  # e.g. "Tunnel connection failed: 403 Forbidden" from a proxy
        return f"network error ({reason.strerror or str(reason) or type(reason).__name__})"
    return f"network error ({reason})"
