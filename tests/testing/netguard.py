"""Tests never reach the network: only loopback and Unix sockets connect, only loopback names resolve.

Installed for every test by tests/conftest.py. A blocked attempt raises `NetworkBlocked` (an OSError, so the
code under test sees what it would see offline) and is recorded, so a test whose code swallows the error
still fails. Forked pool workers inherit the guard; subprocesses (the installed CLI, git) do not.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class NetworkBlocked(ConnectionRefusedError):
    """A test tried to reach a host that is not this machine's loopback."""


def is_loopback_host(host: object) -> bool:
    """Loopback literal or a name of this machine (no lookup: the check itself must not resolve)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost") or name == socket.gethostname().lower():
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_literal(host: object) -> bool:
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class NetGuard:
    """Replaces the connecting and resolving entry points of `socket`; `attempts` lists what was refused."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def _refuse(self, what: str) -> NetworkBlocked:
        self.attempts.append(what)
        return NetworkBlocked(f"tests never reach the network: {what} refused (only loopback is allowed)")

    def _allowed_address(self, sock: socket.socket, address: Any) -> bool:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return True  # AF_UNIX, socketpair, netlink: never leave the machine
        return isinstance(address, tuple) and is_loopback_host(address[0])

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        guard = self
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_sendto = socket.socket.sendto
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex
        real_gethostbyaddr = socket.gethostbyaddr

        def connect(sock: socket.socket, address: Any) -> None:
            if not guard._allowed_address(sock, address):
                raise guard._refuse(f"connect to {address!r}")
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            if not guard._allowed_address(sock, address):
                raise guard._refuse(f"connect to {address!r}")
            return real_connect_ex(sock, address)

        def sendto(sock: socket.socket, data: Any, *args: Any) -> int:
            address = args[-1]
            if not guard._allowed_address(sock, address):
                raise guard._refuse(f"sendto {address!r}")
            return real_sendto(sock, data, *args)  # type: ignore[arg-type]

        def resolving(real: Callable[..., Any], label: str, literal_ok: bool) -> Callable[..., Any]:
            def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
                if host is None or host == "" or is_loopback_host(host) or (literal_ok and _is_literal(host)):
                    return real(host, *args, **kwargs)
                raise guard._refuse(f"{label}({host!r})")

            return lookup

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket.socket, "sendto", sendto)
        monkeypatch.setattr(socket, "getaddrinfo", resolving(real_getaddrinfo, "getaddrinfo", True))
        monkeypatch.setattr(socket, "gethostbyname", resolving(real_gethostbyname, "gethostbyname", True))
        monkeypatch.setattr(socket, "gethostbyname_ex", resolving(real_gethostbyname_ex, "gethostbyname_ex", True))
        # A reverse lookup of a public address asks DNS; of loopback (http.server's getfqdn) it reads /etc/hosts.
        monkeypatch.setattr(socket, "gethostbyaddr", resolving(real_gethostbyaddr, "gethostbyaddr", False))
