"""The verifier against a real loopback HTTP server playing Mindee: verdicts, retries, limits, safety."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import UsageError
from scanner.model import Finding, ScanResult, ScanStats, Secret, secret_hash
from scanner.verify import Verifier, VerifyConfig, verify_keys, verify_result
from scanner.verify.checker import parse_retry_after
from scanner.verify.mindee import load_json, parse_models_page
from scanner.verify.policy import parse_base_url, resolve_bases
from scanner.verify.ratelimit import RateLimiter
from tests.testing.findings import make_finding
from tests.testing.keys import v1_key, v2_key, v2_long_key
from tests.testing.mindee_mock import V1_QUEUE, V2_PATH, MindeeMock, Reply, free_port

FAST = VerifyConfig(timeout=10, backoff=0.01, rate=200, rate_v1=200, burst=50, workers=4)


def make_verifier(m: MindeeMock, config: VerifyConfig = FAST) -> Verifier:
    return Verifier.from_urls(m.v2_url, m.v1_url, config)


class FakeClock:
    """Virtual time for the verifier's waits: `sleep` records the wait and moves the clock, never blocks."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(1e-6, seconds)  # a real sleep always lets time pass (float residue would spin)


def clocked_verifier(m: MindeeMock, config: VerifyConfig = FAST) -> tuple[Verifier, FakeClock]:
    """A verifier whose retries and rate limits wait on a FakeClock: what it waits is asserted, not timed."""
    fake = FakeClock()
    v2, v1 = resolve_bases(m.v2_url, m.v1_url)
    verifier = Verifier(v2, v1, config, sleep=fake.sleep)
    for name, rate in (("mindee-v2", config.rate), ("mindee-v1", config.rate_v1)):
        verifier._limiters[name] = RateLimiter(rate, config.burst, clock=fake.clock, sleep=fake.sleep)
    return verifier, fake


def test_v2_live_key_sends_exact_request_and_reads_blast_radius(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.live_v2(key, ["Invoices EU", "Receipts", "Passports"])
    v = make_verifier(mindee).verify(key, "mindee-v2")
    assert v.verdict == "live"
    assert v.status_code == 200
    assert v.model_count == 3
    assert v.models == ("Invoices EU", "Receipts", "Passports")
    assert v.checked_at and v.checked_at.endswith("Z")
    [req] = mindee.requests
    assert (req.method, req.path) == ("GET", V2_PATH)
    assert req.authorization == key  # raw key, no scheme
    assert "mindee-scan/" in req.headers["user-agent"]


def test_v1_live_key_uses_token_scheme_and_a_read_only_probe(mindee: MindeeMock) -> None:
    key = v1_key()
    mindee.live_v1(key)
    v = make_verifier(mindee).verify(key, "mindee-v1")
    assert v.verdict == "live", v.detail
    assert v.status_code == 404
    [req] = mindee.requests
    assert (req.method, req.route) == ("GET", V1_QUEUE + "<job>")
    assert req.authorization == f"Token {key}"
    assert "content-length" not in req.headers  # no body: nothing uploaded, nothing parsed


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_mindee_401_means_revoked_and_is_not_retried(mindee: MindeeMock, api: str) -> None:
    key = v2_key() if api == "v2" else v1_key()
    mindee.delete(api, key)
    v = make_verifier(mindee).verify(key, f"mindee-{api}")
    assert (v.verdict, v.status_code) == ("revoked", 401)
    assert len(mindee.requests) == 1  # a clear answer is never retried


def test_429_honours_retry_after_then_succeeds(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(429, headers={"Retry-After": "1"}), Reply(200, {"models": []}))
    v = make_verifier(mindee).verify(key, "mindee-v2")
    assert v.verdict == "live"
    first, second = mindee.requests
    assert second.at - first.at >= 0.95  # waited what the server asked


def test_429_retry_after_pauses_every_thread(mindee: MindeeMock) -> None:
    """A 429 is about our whole client, not one key: other workers hold back too."""
    a, b, c = v2_key(), v2_key(), v2_key()
    mindee.script("v2", a, Reply(429, headers={"Retry-After": "0.6"}), Reply(200, {"models": []}))
    mindee.script("v2", b, Reply(200, {"models": []}, delay=0.1))
    mindee.live_v2(c, [])
    config = VerifyConfig(timeout=10, backoff=0.01, rate=200, burst=50, workers=2)
    make_verifier(mindee, config).verify_many([(Secret.of(k), "mindee-v2") for k in (a, b, c)])
    first_a = mindee.requests_for(a)[0].at
    [req_c] = mindee.requests_for(c)
    assert req_c.at - first_a >= 0.5  # without the shared pause, c would go out after b, at ~0.1 s


def test_429_forever_gives_unknown_after_bounded_retries(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(429, headers={"Retry-After": "0"}))
    config = VerifyConfig(timeout=10, backoff=0.01, rate=200, burst=50, max_retries_429=3)
    v = make_verifier(mindee, config).verify(key, "mindee-v2")
    assert (v.verdict, v.status_code) == ("unknown", 429)
    assert "429" in v.detail
    assert len(mindee.requests) == 4  # first try + 3 retries


def test_retry_after_beyond_cap_is_unknown_without_waiting(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(429, headers={"Retry-After": "3600"}))
    verifier, fake = clocked_verifier(mindee)
    v = verifier.verify(key, "mindee-v2")
    assert v.verdict == "unknown" and "Retry-After" in v.detail
    assert fake.slept == []  # gave up at once: no wait at all, let alone the hour asked for
    assert len(mindee.requests) == 1


def test_500_is_retried_then_unknown(mindee: MindeeMock) -> None:
    key = v1_key()
    mindee.script("v1", key, Reply(500, {"detail": "boom"}))
    v = make_verifier(mindee).verify(key, "mindee-v1")
    assert (v.verdict, v.status_code) == ("unknown", 500)
    assert "server error 500" in v.detail
    assert len(mindee.requests) == 1 + FAST.max_retries_5xx


def test_503_with_retry_after_then_200_recovers(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(503, headers={"Retry-After": "0.5"}), Reply(200, {"models": [{"name": "A"}]}))
    verifier, fake = clocked_verifier(mindee)
    v = verifier.verify(key, "mindee-v2")
    assert v.verdict == "live" and v.models == ("A",)
    assert len(mindee.requests) == 2
    assert fake.slept == [0.5]  # the server's Retry-After, waited once before the retry


def test_slow_answer_hits_the_timeout(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(200, {"models": []}, delay=3))
    config = VerifyConfig(timeout=0.3, backoff=0.01, rate=200, burst=50, max_retries_network=1)
    v = make_verifier(mindee, config).verify(key, "mindee-v2")
    assert v.verdict == "unknown"
    assert "timed out" in v.detail  # the client's 0.3 s timeout ended both tries, not the 3 s answer
    assert v.status_code is None
    assert len(mindee.requests) == 2  # one retry, then give up


def test_malformed_answer_is_unknown_not_a_crash(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(200, raw=b"NOT-HTTP garbage\r\n\r\n"))
    config = VerifyConfig(timeout=10, backoff=0.01, rate=200, burst=50, max_retries_network=0)
    v = make_verifier(mindee, config).verify(key, "mindee-v2")
    assert v.verdict == "unknown", v
    assert "malformed" in v.detail


def test_truncated_200_is_unknown(mindee: MindeeMock) -> None:
    """A body cut short is not Mindee's models list: nothing rests on it (unknown, treated as compromised)."""
    key = v2_key()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\nContent-Type: application/json\r\n\r\n"
    mindee.script("v2", key, Reply(200, raw=head + b'{"models"'))
    v = make_verifier(mindee).verify(key, "mindee-v2")
    assert (v.verdict, v.model_count) == ("unknown", None)


def test_connection_refused_is_unknown_with_reason() -> None:
    port = free_port()
    verifier = Verifier.from_urls(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/v1", FAST)
    v = verifier.verify(v2_key(), "mindee-v2")
    assert v.verdict == "unknown"
    assert "connection refused" in v.detail


def test_redirect_to_another_host_is_not_followed(mindee: MindeeMock, elsewhere: MindeeMock) -> None:
    key = v2_key()
    elsewhere.live_v2(key, ["stolen"])
    mindee.script("v2", key, Reply(302, headers={"Location": elsewhere.v2_url + V2_PATH}))
    v1 = v1_key()
    mindee.script("v1", v1, Reply(307, headers={"Location": elsewhere.v1_url + "/products/x"}))
    verifier = make_verifier(mindee)
    assert verifier.verify(key, "mindee-v2").verdict == "unknown"
    res = verifier.verify(v1, "mindee-v1")
    assert res.verdict == "unknown" and "redirect" in res.detail and res.status_code == 307
    assert elsewhere.requests == []  # the other host never saw anything, let alone a key


def test_each_distinct_key_is_checked_once(mindee: MindeeMock) -> None:
    a, b = v2_key(), v1_key()
    mindee.live_v2(a, ["X"])
    mindee.live_v1(b)
    verifier = make_verifier(mindee)
    out = verifier.verify_many([(Secret.of(a), "mindee-v2")] * 5 + [(Secret.of(b), "mindee-v1")] * 3)
    assert len(mindee.requests) == 2
    assert verifier.verify(a, "mindee-v2").verdict == "live"  # from the cache
    assert len(mindee.requests) == 2
    assert {v.verdict for v in out.values()} == {"live"}
    assert verifier.requests_sent == 2


def test_concurrent_callers_share_one_request_per_key(mindee: MindeeMock) -> None:
    """An audit verifies repositories from several threads with one Verifier: still one request per key."""
    key = v2_key()
    mindee.script("v2", key, Reply(200, {"models": []}, delay=0.3))
    verifier = make_verifier(mindee)
    threads = [threading.Thread(target=verifier.verify, args=(key, "mindee-v2")) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(mindee.requests) == 1


def test_concurrency_is_bounded(mindee: MindeeMock) -> None:
    keys = [v2_key() for _ in range(8)]
    for k in keys:
        mindee.script("v2", k, Reply(200, {"models": []}, delay=0.15))
    config = VerifyConfig(timeout=10, backoff=0.01, rate=500, burst=50, workers=3)
    make_verifier(mindee, config).verify_many([(Secret.of(k), "mindee-v2") for k in keys])
    assert len(mindee.requests) == 8
    assert 2 <= mindee.max_inflight <= 3


def test_global_rate_limit_spaces_requests(mindee: MindeeMock) -> None:
    keys = [v2_key() for _ in range(6)]
    for k in keys:
        mindee.live_v2(k, [])
    config = VerifyConfig(timeout=10, rate=20, burst=1, workers=4)
    verifier, fake = clocked_verifier(mindee, config)
    verifier.verify_many([(Secret.of(k), "mindee-v2") for k in keys])
    assert len(mindee.requests) == 6
    # 6 requests at 20/s with no burst from 4 threads: the shared bucket held them at least 5 intervals
    # apart in (virtual) time; the loaded machine's scheduling cannot make this pass or fail.
    assert fake.now >= 5 / 20 - 1e-9
    assert fake.slept and all(s > 0 for s in fake.slept)


def test_rate_limiter_token_bucket_with_fake_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(rate=2, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        limiter.acquire()
    assert now[0] == pytest.approx(2.0)  # 2 free, then 4 more at 2/s
    limiter.defer(5)
    limiter.acquire()
    assert now[0] >= 7.0


def test_rate_limiter_is_thread_safe() -> None:
    limiter = RateLimiter(rate=1000, burst=5)

    def work() -> None:
        for _ in range(20):
            limiter.acquire()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)


def _finding(secret: str, rule: str, verifier: str | None, path: str = "app.py", line: int = 1, **more: Any) -> Finding:
    line_text = f"KEY = '{secret}'"
    return make_finding(rule, "d", "high", path, line, secret=secret, verifier=verifier, line_text=line_text, **more)


def test_verify_result_fills_report_fields(mindee: MindeeMock) -> None:
    live, dead, legacy = v2_long_key(), v2_key(), v1_key()
    mindee.live_v2(live, ["Invoices", "Receipts"])
    mindee.delete("v2", dead)
    mindee.live_v1(legacy)
    findings = [
        _finding(live, "mindee-api-key-v2", "mindee-v2"),
        _finding(live, "mindee-api-key-v2", "mindee-v2", path="other.py", line=9),
        _finding(dead, "mindee-api-key-v2", "mindee-v2"),
        _finding(legacy, "mindee-api-key-v1", "mindee-v1"),
        _finding("AKIAIOSFODNN7EXAMPLQ", "aws-access-key-id", None),
    ]
    result = ScanResult(findings=findings, stats=ScanStats())
    out = verify_result(result, mindee.v2_url, mindee.v1_url, verifier=make_verifier(mindee))
    verdicts = [f.decisions.verification.verdict for f in out.findings]
    assert verdicts == ["live", "live", "revoked", "live", "not-checked"]
    assert len(mindee.requests) == 3  # the key found twice is asked once
    doc = out.findings[0].to_dict()
    assert doc["verification"]["verdict"] == "live"
    assert doc["verification"]["model_count"] == 2
    assert doc["verification"]["models"] == ["Invoices", "Receipts"]
    assert doc["verification"]["status_code"] == 200
    assert out.findings[2].to_dict()["verification"]["status_code"] == 401
    stats = out.stats.to_dict()["verification"]
    assert stats["requests"] == 3 and stats["keys_checked"] == 3
    assert stats["verdicts"] == {"live": 2, "revoked": 1}  # per distinct key


def test_verify_keys_returns_verdicts_by_hash(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.live_v2(key, ["M"])
    out = verify_keys(
        [(Secret.of(key), "mindee-v2"), (Secret.of("AKIAIOSFODNN7EXAMPLQ"), "aws")], mindee.v2_url, mindee.v1_url
    )
    assert list(out) == [secret_hash(key)]
    assert out[secret_hash(key)].verdict == "live"
    assert len(mindee.requests) == 1


def test_shared_verifier_keeps_cache_across_calls(mindee: MindeeMock) -> None:
    key = v1_key()
    mindee.live_v1(key)
    verifier = make_verifier(mindee)
    verify_keys([(Secret.of(key), "mindee-v1")], verifier=verifier)
    verify_keys([(Secret.of(key), "mindee-v1")], verifier=verifier)
    assert len(mindee.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://api-v2.mindee.net",  # plain HTTP off loopback
        "http://10.0.0.1:8080",
        "http://localhost.evil.example",
        "http://api.localhost",
        "ftp://127.0.0.1",
        "https://user:pw@api-v2.mindee.net",
        "https://api-v2.mindee.net/?x=1",
        "not a url",
        "https://",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        parse_base_url(url, "--mindee-v2-url")


def test_base_url_defaults_env_and_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    v2, v1 = resolve_bases(None, None)
    assert str(v2) == "https://api-v2.mindee.net" and str(v1) == "https://api.mindee.net/v1"
    monkeypatch.setenv("MINDEE_SCAN_V2_URL", "http://localhost:9999/")
    monkeypatch.setenv("MINDEE_SCAN_V1_URL", "http://[::1]:8888/v1/")
    v2, v1 = resolve_bases(None, None)
    assert v2.url("/v2/search/models") == "http://localhost:9999/v2/search/models"
    assert v1.url("/x") == "http://[::1]:8888/v1/x"
    assert not v2.same_origin("http://localhost:9998/v2/search/models")
    assert not v2.same_origin("https://localhost:9999/")


def test_proxy_variables_are_respected_for_remote_hosts(elsewhere: MindeeMock, monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTPS_PROXY set, the key travels inside a CONNECT tunnel: the proxy sees the host, not the key."""
    monkeypatch.setenv("HTTPS_PROXY", elsewhere.origin)
    monkeypatch.setenv("https_proxy", elsewhere.origin)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    key = v2_key()
    verifier = Verifier.from_urls("https://api-v2.mindee.test", None, FAST)
    v = verifier.verify(key, "mindee-v2")
    assert v.verdict == "unknown"  # our fake proxy refuses the tunnel
    assert "Tunnel connection failed" in v.detail
    assert [(r.method, r.path) for r in elsewhere.requests][:1] == [("CONNECT", "api-v2.mindee.test:443")]
    assert all(key not in str(r.headers) and key not in r.path for r in elsewhere.requests)


def test_loopback_base_never_goes_through_a_proxy(
    mindee: MindeeMock, elsewhere: MindeeMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, elsewhere.origin)
    key = v2_key()
    mindee.live_v2(key, [])
    assert make_verifier(mindee).verify(key, "mindee-v2").verdict == "live"
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    ("body", "names", "count"),
    [
        (b'{"models": [{"name": "A"}, {"id": "u-1"}], "pagination": {"total_items": 7}}', ("A", ""), 7),
        (b'{"models": [], "pagination": {"total_items": "x"}}', (), None),
        (b'{"models": [1, null, {"name": 5}], "pagination": {"total_items": 2}}', (), None),
        (b'{"models": [{"name": "A"}], "pagination": {"total_items": true}}', ("A",), None),
    ],
)
def test_models_parsing_is_defensive(body: bytes, names: tuple[str, ...], count: int | None) -> None:
    page = parse_models_page(load_json(body))
    assert page is not None
    assert (tuple(m.name for m in page.models), page.total) == (names, count)


@pytest.mark.parametrize("body", [b'[{"name": "A"}]', b'{"data": [{"title": "T"}]}', b'{"models": "x"}', b"<html>"])
def test_anything_but_mindees_models_list_is_no_models_list(body: bytes) -> None:
    assert parse_models_page(load_json(body)) is None


def test_200_with_an_unreadable_body_is_unknown(mindee: MindeeMock) -> None:
    """A captive portal or gateway can answer 200 with anything: only Mindee's models list means live."""
    key = v2_key()
    mindee.script("v2", key, Reply(200, b"<html>Welcome to the guest Wi-Fi</html>", {"Content-Type": "text/html"}))
    v = make_verifier(mindee).verify(key, "mindee-v2")
    assert v.verdict == "unknown" and "not with Mindee's models list" in v.detail, v.detail


def test_v1_html_404_is_not_mistaken_for_live(mindee: MindeeMock) -> None:
    key = v1_key()
    mindee.script("v1", key, Reply(404, b"<html>nginx</html>", {"Content-Type": "text/html"}))
    assert make_verifier(mindee).verify(key, "mindee-v1").verdict == "unknown"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", 0.0),
        ("soon", None),
        (None, None),
        ("nan", None),
        ("inf", float("inf")),
        ("1e400", float("inf")),
        ("Fri, 31 Dec 9999999999 23:59:59 GMT", None),  # raised OverflowError: the run crashed
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
        ("Mon, 99 Foo 2026 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    from email.utils import formatdate

    before = time.time()
    sent = int(before + 10)  # an HTTP date has whole seconds
    got = parse_retry_after(formatdate(before + 10, usegmt=True))
    after = time.time()
    assert got is not None and sent - after <= got <= sent - before  # however long the parse took


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[str, str]:
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_https_certificates_are_verified(self_signed: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An untrusted certificate never gets the key's answer trusted; a trusted one (SSL_CERT_FILE) works."""
    key = v2_key()
    with MindeeMock(tls=self_signed) as m:
        m.live_v2(key, ["Invoices"])
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        v = Verifier.from_urls(m.v2_url, None, FAST).verify(key, "mindee-v2")
        assert v.verdict == "unknown" and "certificate" in v.detail, v
        assert m.requests == []  # the handshake failed before any request was sent
        monkeypatch.setenv("SSL_CERT_FILE", self_signed[0])
        v = Verifier.from_urls(m.v2_url, None, FAST).verify(key, "mindee-v2")
        assert (v.verdict, v.models) == ("live", ("Invoices",))
        assert m.v2_url.startswith("https://")
        assert not m.violations


@pytest.mark.parametrize(
    ("v2_url", "v1_url", "needle"),
    [
        (None, "https://api.mindee.net", "must end in /v1"),  # the Python SDK's MINDEE_BASE_URL form
        (None, "https://gw.example.com/mindee", "must end in /v1"),
        ("https://api-v2.mindee.net/v2", None, "must not end in /v2"),  # the Java SDK's MINDEE_V2_API_URL form
        ("https://api-v2.mindee.net/v2/", None, "must not end in /v2"),
    ],
)
def test_base_urls_that_would_misroute_are_refused(v2_url: str | None, v1_url: str | None, needle: str) -> None:
    with pytest.raises(UsageError) as err:
        resolve_bases(v2_url, v1_url)
    message = str(err.value)
    assert needle in message
    assert "Java SDK" in message and "Python SDK" in message and "Node.js SDK" in message


def test_misrouting_base_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEE_SCAN_V1_URL", "https://api.mindee.net")
    with pytest.raises(UsageError, match="MINDEE_SCAN_V1_URL"):
        resolve_bases(None, None)


def test_a_gateway_path_is_allowed_with_a_warning_in_the_report(mindee: MindeeMock) -> None:
    key = v2_key()
    verifier = Verifier.from_urls(mindee.origin + "/gateway", mindee.v1_url, FAST)
    assert verifier.warnings and "/gateway" in verifier.warnings[0] and "Java SDK" in verifier.warnings[0]
    assert not Verifier.from_urls(mindee.v2_url, mindee.v1_url, FAST).warnings
    result = ScanResult(findings=[_finding(key, "mindee-api-key", "mindee-v2")], stats=ScanStats())
    out = verify_result(result, None, None, verifier=verifier)
    assert any("/gateway" in n for n in out.stats.notes)
    assert out.findings[0].decisions.verification.verdict == "unknown"  # the mock has no such route: nothing is known
    mindee.violations.clear()


def test_a_key_whose_context_names_another_vendor_is_never_sent(mindee: MindeeMock) -> None:
    """Even with the rule's verifier set (a finding built by hand, an older store), other_vendor wins."""
    ours, theirs = v2_key(), v2_key()
    mindee.live_v2(ours, ["M"])
    mindee.live_v2(theirs, ["M"])
    findings = [
        _finding(ours, "mindee-api-key", "mindee-v2"),
        _finding(theirs, "mindee-api-key", "mindee-v2", other_vendor="Macrodata"),
        _finding(theirs, "mindee-api-key", None, path="b.py", other_vendor="Macrodata"),
    ]
    out = verify_result(ScanResult(findings=findings, stats=ScanStats()), None, None, verifier=make_verifier(mindee))
    assert [f.decisions.verification.verdict for f in out.findings] == ["live", "not-checked", "not-checked"]
    assert "Macrodata" in out.findings[1].decisions.verification.detail
    assert mindee.requests_for(theirs) == [] and len(mindee.requests) == 1


def test_blast_radius_reads_every_page_with_name_type_and_id(mindee: MindeeMock) -> None:
    from tests.testing.mindee_mock import model

    key = v2_key()
    catalogue = [model(f"Model {i}", "extraction" if i % 2 else "split") for i in range(7)]
    mindee.live_v2_catalogue(key, catalogue, per_page=3)
    v = make_verifier(mindee).verify(key, "mindee-v2")
    assert (v.verdict, v.model_count) == ("live", 7)
    assert [m.name for m in v.model_details] == [f"Model {i}" for i in range(7)]
    assert [m.id for m in v.model_details] == [m["id"] for m in catalogue]
    assert {m.model_type for m in v.model_details} == {"extraction", "split"}
    assert [r.query for r in mindee.requests] == [{}, {"page": "2", "per_page": "3"}, {"page": "3", "per_page": "3"}]
    doc = v.to_dict()
    assert doc["model_count"] == 7 and doc["model_details"][0] == {
        "id": catalogue[0]["id"],
        "name": "Model 0",
        "model_type": "split",
    }


def test_blast_radius_is_bounded_and_says_so(mindee: MindeeMock) -> None:
    from tests.testing.mindee_mock import model

    key = v2_key()
    mindee.live_v2_catalogue(key, [model(f"M{i}") for i in range(30)], per_page=2)
    config = VerifyConfig(timeout=10, backoff=0.01, rate=200, rate_v1=200, burst=50, max_model_pages=4)
    v = make_verifier(mindee, config).verify(key, "mindee-v2")
    assert (v.verdict, v.model_count, len(v.model_details)) == ("live", 30, 8)  # the total still comes from Mindee
    assert len(mindee.requests) == 4
    assert "read 4 of 15 pages" in v.detail


def test_a_failing_later_page_keeps_the_live_verdict(mindee: MindeeMock) -> None:
    from tests.testing.mindee_mock import model, models_page

    key = v2_key()
    catalogue = [model(f"M{i}") for i in range(4)]
    mindee.script("v2", key, Reply(200, models_page(catalogue, 1, 2)), Reply(500, {"detail": "boom"}))
    v = make_verifier(mindee).verify(key, "mindee-v2")
    assert (v.verdict, v.model_count, len(v.model_details)) == ("live", 4, 2)
    assert "models list incomplete (page 2: answer 500 is not a models list)" in v.detail
    assert len(mindee.requests) == 2 + FAST.max_retries_5xx  # the page's 5xx was retried like any other


def test_pages_follow_the_total_when_total_pages_is_missing() -> None:
    body = b'{"models": [{"id": "a", "name": "A"}], "pagination": {"per_page": 1, "total_items": 3}}'
    page = parse_models_page(load_json(body))
    assert page is not None and (page.total, page.total_pages) == (3, 3)
