"""Where a key may be sent: only the configured Mindee base URL, over HTTPS (plain HTTP only to loopback)."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from scanner.errors import UsageError
from scanner.record import record

DEFAULT_V2_URL = "https://api-v2.mindee.net"
DEFAULT_V1_URL = "https://api.mindee.net/v1"
V2_ENV = "MINDEE_SCAN_V2_URL"
V1_ENV = "MINDEE_SCAN_V1_URL"


@record(frozen=True)
class BaseURL:
    """A validated API base: the only origin a key is ever sent to."""

    scheme: str
    host: str
    port: int
    path: str  # without trailing slash, e.g. "" or "/v1"

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def url(self, path: str) -> str:
        return self.origin + self.path + path

    def same_origin(self, url: str) -> bool:
        """True only for the exact scheme, host and port of this base (redirects elsewhere are refused)."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        return parts.scheme == self.scheme and host == self.host and port == self.port

    def __str__(self) -> str:
        return self.origin + self.path


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost":  # not *.localhost: a resolver may send those anywhere
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_base_url(url: str, what: str) -> BaseURL:
    """Refuse anything that could leak a key: plain HTTP off loopback, credentials, queries, odd schemes."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{what} {url!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not host:
        raise UsageError(f"{what} must be an https:// URL with a host, got {url!r}")
    if scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"{what} {url!r} uses plain HTTP to a non-loopback host: keys are only sent over HTTPS "
            "(plain HTTP is allowed to 127.0.0.1/localhost for tests)"
        )
    if parts.username or parts.password:
        raise UsageError(f"{what} must not contain credentials")
    if parts.query or parts.fragment:
        raise UsageError(f"{what} must not contain a query or fragment")
    return BaseURL(
        scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=parts.path.rstrip("/")
    )


def resolve_bases(v2_url: str | None, v1_url: str | None) -> tuple[BaseURL, BaseURL]:
    """Explicit value, else the environment variable, else Mindee's public API."""
    v2 = v2_url or os.environ.get(V2_ENV) or DEFAULT_V2_URL
    v1 = v1_url or os.environ.get(V1_ENV) or DEFAULT_V1_URL
    return parse_base_url(v2, "--mindee-v2-url"), parse_base_url(v1, "--mindee-v1-url")
