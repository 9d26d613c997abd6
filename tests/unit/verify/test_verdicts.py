"""Each answer shape Mindee (or something in front of it) can give, against a loopback server: its verdict.

"revoked" only from Mindee's own 401 body; "live" only from Mindee's own answers (v2 models list, v1
api_request envelope, and Mindee's 402/403 for a key it authenticated); anything else is "unknown" with a
reason. docs/verification.md lists the same table with the public Mindee source for every body.
"""

from __future__ import annotations

import uuid

import pytest

from scanner.model import Secret
from scanner.verify import Verifier, VerifyConfig
from tests.testing.keys import v1_key, v2_key
from tests.testing.mindee_mock import (
    UNAUTHORIZED,
    V1_NOT_FOUND,
    V1_QUEUE,
    V1_UNAUTHORIZED,
    MindeeMock,
    Reply,
    v1_error,
    v2_problem,
)

FAST = VerifyConfig(timeout=1, backoff=0.01, rate=200, rate_v1=200, burst=50, max_retries_network=0)

HTML = {"Content-Type": "text/html"}
PROXY_401 = Reply(401, b"<html><body><h1>401 Authorization Required</h1>nginx</body></html>", HTML)
PROXY_403 = Reply(403, b"<html><body>Access denied by the corporate web filter (WAF)</body></html>", HTML)

# Mindee's own bodies (client-lib-test-data, Mindee's docs): see docs/verification.md for each source.
V2_MISSING_CREDENTIALS = Reply(401, v2_problem(401, "401-008", "Missing credentials", "Credentials are required."))
V2_FORBIDDEN = Reply(403, v2_problem(403, "403-001", "Forbidden", "You don't have access to the requested resource."))
V2_PAYMENT_REQUIRED = Reply(
    402, v2_problem(402, "402-001", "Payment Required", "Your subscription is either not active or exceeded limits.")
)
V1_NO_TOKEN = Reply(401, v1_error(401, "Unauthorized", "Authorization required", "No token provided"))
V1_PLAN_LIMIT = Reply(
    403, v1_error(403, "PlanLimitReached", "Plan limit reached", "You have reached the maximum number of requests")
)
V1_BLOCKED = Reply(403, v1_error(403, "Forbidden", "Inference is blocked", "Your API access has been blocked"))
V1_ASYNC_DISALLOWED = Reply(
    403,
    v1_error(403, "Forbidden", "This product does not support asynchronous mode", "account/api_name does not support"),
)


def check(m: MindeeMock, api: str, reply: Reply) -> tuple[str, str, int | None]:
    key = v2_key() if api == "v2" else v1_key()
    m.script(api, key, reply)
    v = Verifier.from_urls(m.v2_url, m.v1_url, FAST).verify(key, f"mindee-{api}")
    return v.verdict, v.detail, v.status_code


@pytest.mark.parametrize(
    ("api", "reply", "verdict", "reason"),
    [
        # Mindee's own 401: the only answer that means revoked.
        ("v2", UNAUTHORIZED, "revoked", "401-001 Invalid API key"),
        ("v2", V2_MISSING_CREDENTIALS, "revoked", "401-008"),
        ("v1", V1_UNAUTHORIZED, "revoked", "Invalid token provided"),
        ("v1", V1_NO_TOKEN, "revoked", "No token provided"),
        # Mindee's 402/403: the key authenticated; it is restricted, not dead.
        ("v2", V2_FORBIDDEN, "live", "restricts it (403 403-001"),
        ("v2", V2_PAYMENT_REQUIRED, "live", "restricts it (402 402-001"),
        ("v1", V1_PLAN_LIMIT, "live", "PlanLimitReached"),
        ("v1", V1_BLOCKED, "live", "Inference is blocked"),
        ("v1", V1_ASYNC_DISALLOWED, "live", "asynchronous mode"),
        # HTML from a proxy or WAF: nothing is known about the key.
        ("v2", PROXY_401, "unknown", "without Mindee's error body (text/html, not JSON)"),
        ("v2", PROXY_403, "unknown", "a proxy, WAF or gateway"),
        ("v1", PROXY_401, "unknown", "without Mindee's error body"),
        ("v1", PROXY_403, "unknown", "without Mindee's error body"),
        # JSON that is not Mindee's (a gateway's own 401/403, a 402 from something else).
        ("v2", Reply(401, {"detail": "nope"}), "unknown", "without Mindee's error body (application/json)"),
        ("v2", Reply(403, {"message": "Forbidden"}), "unknown", "without Mindee's error body"),
        ("v2", Reply(402, {"error": "pay"}), "unknown", "without Mindee's error body"),
        ("v2", Reply(401, v2_problem(403, "403-001", "x", "y")), "unknown", "without Mindee's error body"),
        ("v1", Reply(401, {"status": 401, "title": "t", "code": "401-001", "detail": "d"}), "unknown", "error body"),
        ("v1", Reply(403, v1_error(401, "Unauthorized", "m", "d")), "unknown", "without Mindee's error body"),
        # v1 404: live only with Mindee's api_request envelope.
        ("v1", V1_NOT_FOUND, "live", "probe job not found"),
        ("v1", Reply(404, {"detail": "Not Found"}), "unknown", "without Mindee's api_request envelope"),
        ("v1", Reply(404, b"<html>nginx</html>", HTML), "unknown", "wrong base URL or route"),
        ("v2", Reply(404, {"detail": "Not Found"}), "unknown", "unexpected answer 404"),
        # 5xx and garbage.
        (
            "v2",
            Reply(500, {"status": 500, "title": "x", "code": "500-001", "detail": "boom"}),
            "unknown",
            "server error",
        ),
        ("v1", Reply(502, b"<html>Bad gateway</html>", HTML), "unknown", "server error 502"),
        ("v2", Reply(200, b"\x00\xffgarbage", {"Content-Type": "application/octet-stream"}), "unknown", "models list"),
        ("v2", Reply(200, raw=b"NOT-HTTP garbage\r\n\r\n"), "unknown", "malformed"),
        ("v1", Reply(200, raw=b"\x16\x03\x01garbage\r\n\r\n"), "unknown", "malformed"),
        ("v2", Reply(200, b"[" * 100_000), "unknown", "models list"),
    ],
)
def test_answer_shape_gives_its_verdict(mindee: MindeeMock, api: str, reply: Reply, verdict: str, reason: str) -> None:
    got, detail, _status = check(mindee, api, reply)
    assert (got, reason in detail) == (verdict, True), detail


@pytest.mark.parametrize("status", [401, 402, 403])
@pytest.mark.parametrize("api", ["v2", "v1"])
def test_nothing_but_mindees_401_is_revoked(mindee: MindeeMock, api: str, status: int) -> None:
    """Whatever a proxy puts in a 401/402/403 (HTML, JSON, empty), the verdict is never revoked."""
    for body in (b"", b"<html>denied</html>", b'{"detail": "Invalid API key"}', b'{"status": 401}'):
        verdict, _detail, _status = check(mindee, api, Reply(status, body))
        assert verdict == "unknown", (status, body)


@pytest.mark.parametrize(
    "value",
    ["Fri, 31 Dec 9999999999 23:59:59 GMT", "Fri, 31 Dec 99999 23:59:59 GMT", "nan", "1e400", "soon", "-1"],
)
def test_malformed_retry_after_is_never_a_crash(mindee: MindeeMock, value: str) -> None:
    """A huge year in Retry-After raised OverflowError and ended the run with no report."""
    key = v2_key()
    mindee.script("v2", key, Reply(429, headers={"Retry-After": value}), UNAUTHORIZED)
    v = Verifier.from_urls(mindee.v2_url, mindee.v1_url, FAST).verify(key, "mindee-v2")
    # Unreadable: plain backoff, then Mindee's answer; absurdly long: unknown at once, without waiting.
    assert v.verdict in ("revoked", "unknown"), v
    if value in ("1e400",):
        assert v.verdict == "unknown" and "Retry-After" in v.detail
    else:
        assert v.verdict == "revoked"


def test_each_v1_probe_uses_a_fresh_random_job_id(mindee: MindeeMock) -> None:
    """A fixed all-zero id is the same request from every user of the tool: one random UUID per probe."""
    keys = [v1_key() for _ in range(3)]
    for k in keys:
        mindee.live_v1(k)
    verifier = Verifier.from_urls(mindee.v2_url, mindee.v1_url, FAST)
    verifier.verify_many([(Secret.of(k), "mindee-v1") for k in keys])
    ids = [r.path.removeprefix(V1_QUEUE) for r in mindee.requests]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert "00000000-0000-0000-0000-000000000000" not in ids


def test_server_text_in_a_verdict_is_one_bounded_printable_line(mindee: MindeeMock) -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07" + "A" * 5000 + "\nnext line"
    verdict, detail, _ = check(mindee, "v2", Reply(401, v2_problem(401, "401-001", "Invalid API key", hostile)))
    assert verdict == "revoked"
    assert "\x1b" not in detail and "\n" not in detail and "\x07" not in detail
    assert len(detail) < 400
