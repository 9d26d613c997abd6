"""Check keys against Mindee: bounded threads, one rate limit per API, bounded retries, one probe per key."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from scanner.model import ModelInfo, Secret, Verification
from scanner.record import field, record
from scanner.verify.cache import VerificationCache
from scanner.verify.client import Response, Transport, TransportError
from scanner.verify.mindee import (
    MAX_MODEL_PAGES,
    VERIFIERS,
    Interpretation,
    clean,
    interpret,
    load_json,
    models_page_path,
    parse_models_page,
    probe_for,
)
from scanner.verify.policy import BaseURL, base_warnings, resolve_bases
from scanner.verify.ratelimit import RateLimiter

TIMEOUT_ENV = "MINDEE_SCAN_VERIFY_TIMEOUT"


@record(frozen=True)
class VerifyConfig:
    """Paced under Mindee's published limits, which are per organisation and shared with its production traffic.

    v1 allows 75 requests a minute (and 4 a second); v2 allows 1,200 GETs a minute. Token buckets of
    `burst` 2 at 0.5 request/s (v1) and 2 requests/s (v2) send at most 32 and 122 requests in any minute:
    under half of v1's limit and about a tenth of v2's, leaving the rest to the organisation's own traffic.
    """

    timeout: float = 10.0  # per request (connect and each read)
    workers: int = 4  # concurrent requests at most
    rate: float = 2.0  # v2 requests per second, whole run
    rate_v1: float = 0.5  # v1 requests per second, whole run
    burst: int = 2
    max_retries_429: int = 3
    max_retries_5xx: int = 2
    max_retries_network: int = 1
    max_retry_after: float = 30.0  # a longer Retry-After gives `unknown` rather than a stalled scan
    backoff: float = 1.0  # first wait when no Retry-After is given; doubles each retry
    max_model_pages: int = MAX_MODEL_PAGES

    @classmethod
    def from_env(cls) -> VerifyConfig:
        raw = os.environ.get(TIMEOUT_ENV)
        if raw:
            try:
                timeout = float(raw)
            except ValueError:
                return cls()
            if math.isfinite(timeout):
                return cls(timeout=min(max(0.1, timeout), 600.0))
        return cls()


@record
class Verifier:
    """One per run: holds the cache, the rate limiters and the two validated base URLs."""

    v2: BaseURL
    v1: BaseURL
    config: VerifyConfig = field(default_factory=VerifyConfig)
    sleep: Callable[[float], None] = time.sleep
    cache: VerificationCache = field(default_factory=VerificationCache)
    requests_sent: int = 0
    warnings: tuple[str, ...] = ()  # about the base URLs: shown with the results

    def __post_init__(self) -> None:
        self._limiters = {
            "mindee-v2": RateLimiter(self.config.rate, self.config.burst, sleep=self.sleep),
            "mindee-v1": RateLimiter(self.config.rate_v1, self.config.burst, sleep=self.sleep),
        }
        self._transports = {
            "mindee-v2": Transport(self.v2, self.config.timeout),
            "mindee-v1": Transport(self.v1, self.config.timeout),
        }
        self._count_lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    @classmethod
    def from_urls(cls, v2_url: str | None, v1_url: str | None, config: VerifyConfig | None = None) -> Verifier:
        v2, v1 = resolve_bases(v2_url, v1_url)
        return cls(v2, v1, config or VerifyConfig.from_env(), warnings=base_warnings(v2, v1))

    def verify_many(self, keys: Iterable[tuple[Secret, str]]) -> dict[tuple[str, str], Verification]:
        """(secret, verifier) pairs -> verdicts keyed by VerificationCache.key; each key asked once."""
        from concurrent.futures import ThreadPoolExecutor

        wanted: dict[tuple[str, str], tuple[Secret, str]] = {}
        for secret, verifier in keys:
            wanted.setdefault(VerificationCache.key(secret, verifier), (secret, verifier))
        todo = [pair for pair in wanted.values() if self.cache.get(*pair) is None]
        if todo:
            workers = max(1, min(self.config.workers, len(todo)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mindee-verify") as pool:
                try:
                    list(pool.map(lambda p: self._check_once(*p), todo))
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
        out: dict[tuple[str, str], Verification] = {}
        for key, pair in wanted.items():
            cached = self.cache.get(*pair)
            out[key] = cached if cached is not None else Verification("unknown", "not checked")
        return out

    def verify(self, secret: Secret | str, verifier: str) -> Verification:
        """One key (`mindee-scan verify` reads it from stdin as text)."""
        key = Secret.of(secret) if isinstance(secret, str) else secret
        return self.verify_many([(key, verifier)])[VerificationCache.key(key, verifier)]

    def _check_once(self, secret: Secret, verifier: str) -> Verification:
        """Callers on other threads (an audit's workers) asking for the same key wait for one request."""
        key = VerificationCache.key(secret, verifier)
        with self._count_lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            cached = self.cache.get(secret, verifier)
            if cached is None:
                cached = self._check(secret, verifier)
                self.cache.put(secret, verifier, cached)
            return cached

    def _check(self, secret: Secret, verifier: str) -> Verification:
        if verifier not in VERIFIERS:
            return Verification("not-checked", f"no verifier named {verifier!r}")
        probe = probe_for(verifier, secret.reveal())  # the one place a key leaves the process
        answer = self._get(verifier, probe.path, probe.headers)
        if isinstance(answer, Verification):
            return answer
        result = interpret(verifier, answer.status, answer.body, answer.header("content-type"))
        models, detail = result.models, result.detail
        if verifier == "mindee-v2" and result.verdict == "live" and result.pages > 1:
            models, missing = self._more_models(probe.headers, models, result)
            if missing:
                detail += f"; models list incomplete ({missing})"
        return _verdict(result.verdict, detail, answer.status, models, result.model_count)

    def _more_models(
        self, headers: dict[str, str], models: tuple[ModelInfo, ...], first: Interpretation
    ) -> tuple[tuple[ModelInfo, ...], str]:
        """Pages 2.. of search/models, bounded: the whole blast radius, or why it is cut short."""
        per_page = first.per_page
        last = min(first.pages, self.config.max_model_pages)
        collected = list(models)
        for page in range(2, last + 1):
            answer = self._get("mindee-v2", models_page_path(page, per_page), headers)
            if isinstance(answer, Verification):
                return tuple(collected), f"page {page}: {answer.detail}"
            parsed = parse_models_page(load_json(answer.body)) if answer.status == 200 else None
            if parsed is None:
                return tuple(collected), f"page {page}: answer {answer.status} is not a models list"
            if not parsed.models:
                break
            collected.extend(parsed.models)
        if first.pages > last:
            return tuple(collected), f"read {last} of {first.pages} pages"
        return tuple(collected), ""

    def _get(self, verifier: str, path: str, headers: dict[str, str]) -> Response | Verification:
        """One GET with the retries Mindee's answers call for; a Verification when no usable answer came."""
        transport = self._transports[verifier]
        limiter = self._limiters[verifier]
        url = transport.base.url(path)
        retries = {"429": 0, "5xx": 0, "net": 0}
        while True:
            limiter.acquire()
            with self._count_lock:
                self.requests_sent += 1
            try:
                resp = transport.get(url, headers)
            except TransportError as exc:
                if retries["net"] < self.config.max_retries_network:
                    retries["net"] += 1
                    self.sleep(self._backoff(retries["net"]))
                    continue
                return _verdict("unknown", f"{exc} ({transport.base.origin})")
            wait = self._retry_wait(resp, retries)
            if wait is None:
                return resp
            if wait < 0:  # Retry-After beyond what a scan should wait (or one that cannot be read as a time)
                shown = clean(resp.header("retry-after") or "", 60)
                return _verdict(
                    "unknown",
                    f"rate limited ({resp.status}); Retry-After {shown!r} exceeds {self.config.max_retry_after:g}s",
                    resp.status,
                )
            if resp.status == 429:
                limiter.defer(wait)
            self.sleep(wait)

    def _retry_wait(self, resp: Response, retries: dict[str, int]) -> float | None:
        """Seconds to wait before retrying, None to stop retrying, -1 when the server asks for too long."""
        if resp.status == 429:
            if retries["429"] >= self.config.max_retries_429:
                return None
            retries["429"] += 1
            after = parse_retry_after(resp.header("retry-after"))
            if after is None:
                return self._backoff(retries["429"])
            return -1.0 if after > self.config.max_retry_after else after
        if resp.status >= 500:
            if retries["5xx"] >= self.config.max_retries_5xx:
                return None
            retries["5xx"] += 1
            after = parse_retry_after(resp.header("retry-after"))  # a 503 may say when to come back
            if after is not None and after <= self.config.max_retry_after:
                return after
            return self._backoff(retries["5xx"])
        return None

    def _backoff(self, attempt: int) -> float:
        return float(min(self.config.max_retry_after, self.config.backoff * 2 ** min(attempt - 1, 30)))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds (RFC 9110 allows delay-seconds or an HTTP-date); fractional seconds tolerated.

    Never raises: a date in year 9999999999 made `parsedate_to_datetime` raise OverflowError, which
    crashed the whole run before any report was written. Unreadable values give None (plain backoff);
    an infinite or absurd delay comes back as infinity, which the caller turns into `unknown`.
    """
    if not value:
        return None
    value = value.strip()[:100]
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        pass
    else:
        if math.isnan(seconds):
            return None
        return max(0.0, seconds)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _verdict(
    verdict: str,
    detail: str,
    status: int | None = None,
    models: tuple[ModelInfo, ...] = (),
    model_count: int | None = None,
) -> Verification:
    checked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Verification(
        verdict=verdict,
        detail=detail,
        checked_at=checked_at,
        status_code=status,
        models=tuple(m.name or m.id for m in models),
        model_count=model_count,
        model_details=models,
    )
