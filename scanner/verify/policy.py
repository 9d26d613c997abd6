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


# Mindee's own SDKs disagree on what their base-URL variables hold; a value copied from one of them into
# ours must not silently send the probe to the wrong route (a wrong route can answer a JSON 404).
V1_SDK_VARIABLES = (
    "Mindee's SDKs differ here: the Java SDK's MINDEE_API_URL includes /v1 (https://api.mindee.net/v1), "
    "the Python SDK's MINDEE_BASE_URL does not (https://api.mindee.net), and the Node.js SDK's MINDEE_API_HOST "
    "is a host name only (api.mindee.net)"
)
V2_SDK_VARIABLES = (
    "Mindee's SDKs differ here: the Java SDK's MINDEE_V2_API_URL includes /v2 (https://api-v2.mindee.net/v2), "
    "the Python SDK's MINDEE_V2_BASE_URL does not (https://api-v2.mindee.net), and the Node.js SDK's "
    "MINDEE_V2_API_HOST is a host name only (api-v2.mindee.net)"
)


def check_v1_base(base: BaseURL, what: str) -> None:
    """The v1 probe path is appended to the base: the base must end in /v1, like Mindee's own."""
    if not base.path.endswith("/v1"):
        raise UsageError(
            f"{what} {str(base)!r} must end in /v1 (e.g. {DEFAULT_V1_URL}): mindee-scan appends "
            f"/products/... to it. {V1_SDK_VARIABLES}."
        )


def check_v2_base(base: BaseURL, what: str) -> None:
    """The v2 path (/v2/search/models) is appended to the base: a base ending in /v2 would double it."""
    if base.path.endswith("/v2"):
        raise UsageError(
            f"{what} {str(base)!r} must not end in /v2 (e.g. {DEFAULT_V2_URL}): mindee-scan appends "
            f"/v2/search/models to it. {V2_SDK_VARIABLES}."
        )


def base_warnings(v2: BaseURL, v1: BaseURL) -> tuple[str, ...]:
    """What a user should know about a base URL that is allowed but unusual (a gateway's path prefix)."""
    out: list[str] = []
    if v2.path:
        out.append(
            f"the Mindee v2 base URL carries a path ({v2.path}): keys go to {v2.url('/v2/search/models')}; "
            f"Mindee's own API has none ({DEFAULT_V2_URL}). {V2_SDK_VARIABLES}."
        )
    if v1.path != "/v1":
        out.append(
            f"the Mindee v1 base URL has a path prefix before /v1 ({v1.path}): keys go under {v1}; "
            f"Mindee's own API is {DEFAULT_V1_URL}."
        )
    return tuple(out)


def resolve_bases(v2_url: str | None, v1_url: str | None) -> tuple[BaseURL, BaseURL]:
    """Explicit value, else the environment variable, else Mindee's public API; refuses a base that misroutes."""
    v2 = v2_url or os.environ.get(V2_ENV) or DEFAULT_V2_URL
    v1 = v1_url or os.environ.get(V1_ENV) or DEFAULT_V1_URL
    v2_what, v1_what = f"--mindee-v2-url/{V2_ENV}", f"--mindee-v1-url/{V1_ENV}"
    v2_base, v1_base = parse_base_url(v2, v2_what), parse_base_url(v1, v1_what)
    check_v2_base(v2_base, v2_what)
    check_v1_base(v1_base, v1_what)
    return v2_base, v1_base
