"""What to ask Mindee for each key kind, and what its answer means. No I/O here: pure request/verdict logic.

v2 (`md_` keys): GET {base}/v2/search/models, `Authorization: <key>`. Lists the organisation's models:
read-only, no document, no credit; the answer is also the blast radius.
v1 (legacy 32-hex keys): GET {base}/products/mindee/invoices/v4/documents/queue/<all-zero job id>,
`Authorization: Token <key>`. Polling a job that cannot exist: authentication runs first (401/403 for a bad
key), then the lookup fails with 404 for a good one. Nothing is uploaded, parsed or billed.
"""

from __future__ import annotations

import json
from typing import Any

from scanner.record import record

V2_PATH = "/v2/search/models"
V1_PROBE_JOB = "00000000-0000-0000-0000-000000000000"
V1_PATH = f"/products/mindee/invoices/v4/documents/queue/{V1_PROBE_JOB}"
MAX_MODEL_NAMES = 100

VERIFIERS = ("mindee-v2", "mindee-v1")


@record(frozen=True)
class Probe:
    """One request to make: path under the base, headers carrying the key."""

    path: str
    headers: dict[str, str]


def probe_for(verifier: str, secret: str) -> Probe:
    if verifier == "mindee-v2":
        return Probe(V2_PATH, {"Authorization": secret})
    if verifier == "mindee-v1":
        return Probe(V1_PATH, {"Authorization": f"Token {secret}"})
    raise ValueError(f"unknown verifier {verifier!r}")


@record(frozen=True)
class Interpretation:
    verdict: str  # live / revoked / unknown
    detail: str
    models: tuple[str, ...] = ()
    model_count: int | None = None


def interpret(verifier: str, status: int, body: bytes, content_type: str | None) -> Interpretation:
    """Map one final HTTP answer (after retries) to a verdict."""
    api = "Mindee v2" if verifier == "mindee-v2" else "Mindee v1"
    if status in (401, 403):
        return Interpretation("revoked", f"{api} answered {status}: the key is deleted or was never valid")
    if verifier == "mindee-v2" and status == 200:
        names, count = parse_models(body)
        if count is None:
            return Interpretation("live", f"{api} accepted the key (200); the models list could not be read")
        return Interpretation("live", f"{api} accepted the key (200); {count} model(s) reachable", names, count)
    if verifier == "mindee-v1" and 200 <= status < 300:
        return Interpretation("live", f"{api} accepted the key ({status})")
    if verifier == "mindee-v1" and status == 404 and _is_json(body, content_type):
        return Interpretation("live", f"{api} accepted the key (authenticated; probe job not found: 404)")
    if 300 <= status < 400:
        return Interpretation("unknown", f"{api} answered a redirect ({status}); not followed")
    if status == 429:
        return Interpretation("unknown", f"{api} kept answering 429 (rate limited) after retries")
    if status >= 500:
        return Interpretation("unknown", f"{api} server error {status}")
    return Interpretation("unknown", f"unexpected answer {status} from {api}")


def _is_json(body: bytes, content_type: str | None) -> bool:
    """A proxy's or web server's HTML 404 must not read as an authenticated Mindee answer."""
    if content_type and "json" in content_type.lower():
        return True
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def parse_models(body: bytes) -> tuple[tuple[str, ...], int | None]:
    """Model names and total count from a search answer; tolerant of shape drift, never raises.

    Expected: {"models": [{"id": ..., "name": ...}, ...], "pagination": {"total_items": N, ...}}.
    Also accepted: a bare list, "data"/"items"/"results" for the list, "total"/"count" for the count.
    """
    try:
        doc: Any = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` from a hostile or broken server
        return (), None
    items: Any = None
    total: Any = None
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        for key in ("models", "data", "items", "results"):
            if isinstance(doc.get(key), list):
                items = doc[key]
                break
        raw_pagination = doc.get("pagination")
        pagination: dict[str, Any] = raw_pagination if isinstance(raw_pagination, dict) else {}
        sources: tuple[tuple[dict[str, Any], str], ...] = (
            (pagination, "total_items"),
            (pagination, "total"),
            (doc, "total"),
            (doc, "count"),
        )
        for source, key in sources:
            if isinstance(source.get(key), int) and not isinstance(source.get(key), bool):
                total = source[key]
                break
    if items is None:
        return (), None
    names: list[str] = []
    for item in items:
        name = _model_name(item)
        if name and len(names) < MAX_MODEL_NAMES:
            names.append(name)
    count = total if isinstance(total, int) and total >= len(items) else len(items)
    return tuple(names), count


def _model_name(item: Any) -> str | None:
    if isinstance(item, str):
        return item[:200]
    if isinstance(item, dict):
        for key in ("name", "title", "id"):
            value = item.get(key)
            if isinstance(value, str) and value:
                return value[:200]
    return None
