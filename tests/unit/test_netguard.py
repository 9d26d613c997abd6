"""The test-wide network guard (tests/testing/netguard.py): loopback passes, everything else is refused and noted."""

from __future__ import annotations

import contextlib
import socket
import urllib.request

import pytest

from tests.testing.mindee_mock import MindeeMock
from tests.testing.netguard import NetGuard, NetworkBlocked, is_loopback_host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "api.localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "api-v2.mindee.net", "localhost.evil.example", "8.8.8.8", "", 3])
def test_other_hosts(host: object) -> None:
    assert not is_loopback_host(host)


def test_public_connect_and_lookup_are_refused_and_noted(_no_network: NetGuard) -> None:
    with socket.socket() as s, pytest.raises(NetworkBlocked):
        s.connect(("192.0.2.1", 443))  # TEST-NET-1: refused before any packet leaves
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("api-v2.mindee.net", 443)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("example.com", 80), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(NetworkBlocked):
        udp.sendto(b"x", ("192.0.2.1", 53))
    assert len(_no_network.attempts) == 4
    _no_network.attempts.clear()  # noted attempts fail the test at teardown; these were the point


def test_a_swallowed_refusal_still_fails_the_test(_no_network: NetGuard) -> None:
    with contextlib.suppress(OSError):  # what code under test might do with any network error
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)
    assert _no_network.attempts and "192.0.2.1" in _no_network.attempts[0]
    _no_network.attempts.clear()


def test_loopback_servers_a_test_starts_are_reachable(_no_network: NetGuard) -> None:
    with MindeeMock() as mindee, socket.create_connection(("localhost", mindee.port), timeout=5):
        pass
    assert not _no_network.attempts
