"""What to ask Mindee for each key kind, and what its answer means. No I/O here: pure request/verdict logic.

v2 (`md_` keys): GET {base}/v2/search/models, `Authorization: <key>` (the call Mindee's own Zapier
integration uses to test a key). Lists the organisation's models: read-only, no document, no credit;
the answer is also the blast radius.
v1 (legacy 32-hex keys): GET {base}/products/mindee/invoices/v4/documents/queue/<fresh random job id>,
`Authorization: Token <key>`. Polling a job that cannot exist: authentication runs first, then the lookup
fails with Mindee's own 404 for a good key. Nothing is uploaded, parsed or billed.

A verdict rests only on an answer in Mindee's own error format (docs/verification.md lists each status and
body with the public Mindee code that shows it): v2 errors are RFC 9457 problem JSON `{status, title, code,
detail}`; v1 errors are `{"api_request": {"error": {...}, "status_code": N}}`. A proxy, WAF or gateway
answering in any other shape gives `unknown` with the reason, never `revoked` and never `live`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from scanner.model import ModelInfo
from scanner.record import record

V2_PATH = "/v2/search/models"
V1_QUEUE_PATH = "/products/mindee/invoices/v4/documents/queue/"
MAX_MODEL_PAGES = 20  # 1,000 models at Mindee's 50 a page: a bounded blast radius, never an endless crawl
DEFAULT_PER_PAGE = 50
_MAX_TEXT = 200  # server-supplied text kept in a verdict (it ends up in reports)

VERIFIERS = ("mindee-v2", "mindee-v1")


@record(frozen=True)
class Probe:
    """One request to make: path under the base, headers carrying the key."""

    path: str
    headers: dict[str, str]


def probe_for(verifier: str, secret: str) -> Probe:
    """The first request for a key. A v1 probe gets a fresh random job id every time.

    A fixed id would make every user of the tool send the very same request, which a rate limiter or
    a cache may single out; a random UUID is indistinguishable from an ordinary poll.
    """
    if verifier == "mindee-v2":
        return Probe(V2_PATH, {"Authorization": secret})
    if verifier == "mindee-v1":
        return Probe(V1_QUEUE_PATH + str(uuid.uuid4()), {"Authorization": f"Token {secret}"})
    raise ValueError(f"unknown verifier {verifier!r}")


def models_page_path(page: int, per_page: int) -> str:
    return f"{V2_PATH}?page={page}&per_page={per_page}"


@record(frozen=True)
class Interpretation:
    verdict: str  # live / revoked / unknown
    detail: str
    models: tuple[ModelInfo, ...] = ()
    model_count: int | None = None
    pages: int = 1  # pages of search/models, when the first answer says there are more
    per_page: int = DEFAULT_PER_PAGE


def interpret(verifier: str, status: int, body: bytes, content_type: str | None = None) -> Interpretation:
    """Map one final HTTP answer (after retries) to a verdict."""
    doc = load_json(body)
    if verifier == "mindee-v2":
        return _interpret_v2(status, doc, content_type)
    return _interpret_v1(status, doc, content_type)


def _interpret_v2(status: int, doc: Any, content_type: str | None) -> Interpretation:
    api = "Mindee v2"
    if status == 200:
        page = parse_models_page(doc)
        if page is None:
            return Interpretation(
                "unknown", f"{api} URL answered 200 but not with Mindee's models list{_what(doc, content_type)}"
            )
        count = page.total if page.total is not None else len(page.models)
        return Interpretation(
            "live",
            f"{api} accepted the key (200); {count} model(s) reachable",
            page.models,
            count,
            page.total_pages,
            page.per_page,
        )
    judged = _auth_answer(api, status, v2_problem(doc, status), doc, content_type)
    return judged or _other(api, status, doc, content_type)


def _interpret_v1(status: int, doc: Any, content_type: str | None) -> Interpretation:
    api = "Mindee v1"
    error = v1_error(doc, status)
    judged = _auth_answer(api, status, error, doc, content_type)
    if judged is not None:
        return judged
    if status == 404:
        if error is None:
            return Interpretation(
                "unknown",
                f"{api} URL answered 404 without Mindee's api_request envelope{_what(doc, content_type)}: "
                "a wrong base URL or route, so nothing is known about the key",
            )
        return Interpretation("live", f"{api} accepted the key (authenticated; probe job not found: 404)")
    if 200 <= status < 300 and v1_envelope(doc, status) is not None:
        return Interpretation("live", f"{api} accepted the key ({status})")
    return _other(api, status, doc, content_type)


_STILL = "the key still authenticates: revoke it"


def _auth_answer(
    api: str, status: int, mindee_error: str | None, doc: Any, content_type: str | None
) -> Interpretation | None:
    """401/402/403, the same for both APIs: judged only when the body is Mindee's own error (`mindee_error`)."""
    if status not in (401, 402, 403):
        return None
    if mindee_error is None:
        return _not_mindee(api, status, doc, content_type)
    if status == 401:
        return Interpretation("revoked", f"{api} rejected the key (401 {mindee_error}): deleted or never valid")
    return Interpretation("live", f"{api} authenticated the key but restricts it ({status} {mindee_error}); {_STILL}")


def _not_mindee(api: str, status: int, doc: Any, content_type: str | None) -> Interpretation:
    return Interpretation(
        "unknown",
        f"{api} URL answered {status} without Mindee's error body{_what(doc, content_type)}: "
        "a proxy, WAF or gateway may have answered, so nothing is known about the key",
    )


def _other(api: str, status: int, doc: Any, content_type: str | None) -> Interpretation:
    if 300 <= status < 400:
        return Interpretation("unknown", f"{api} answered a redirect ({status}); not followed")
    if status == 429:
        return Interpretation("unknown", f"{api} kept answering 429 (rate limited) after retries")
    if status >= 500:
        return Interpretation("unknown", f"{api} server error {status}")
    return Interpretation("unknown", f"unexpected answer {status} from {api}{_what(doc, content_type)}")


def _what(doc: Any, content_type: str | None) -> str:
    """A short description of an answer that is not Mindee's, for the reason shown to the user."""
    kind = clean((content_type or "").split(";")[0].strip(), 60) or "no content type"
    return f" ({kind}{'' if doc is not _NOT_JSON else ', not JSON'})"


_NOT_JSON: Any = object()


def load_json(body: bytes) -> Any:
    """The decoded body, or a sentinel no Mindee shape matches; never raises."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` from a hostile or broken server
        return _NOT_JSON


def clean(value: object, limit: int = _MAX_TEXT) -> str:
    """Server text made safe for a report line: printable, one line, bounded."""
    text = "".join(c if c.isprintable() else " " for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_of(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 3:
        return int(value)
    return None


def v2_problem(doc: Any, status: int) -> str | None:
    """Mindee v2's error body (RFC 9457: status, title, code "<status>-NNN", detail), summarised; else None."""
    if not isinstance(doc, dict) or _status_of(doc.get("status")) != status:
        return None
    code, title, detail = doc.get("code"), doc.get("title"), doc.get("detail")
    if not (isinstance(code, str) and code.startswith(f"{status}-")):
        return None
    if not (isinstance(title, str) and isinstance(detail, str)):
        return None
    return clean(f"{code} {title}: {detail}")


def v1_envelope(doc: Any, status: int) -> dict[str, Any] | None:
    """Mindee v1's `api_request` object when its status_code is this answer's; else None."""
    if not isinstance(doc, dict):
        return None
    request = doc.get("api_request")
    if not isinstance(request, dict) or _status_of(request.get("status_code")) != status:
        return None
    return request


def v1_error(doc: Any, status: int) -> str | None:
    """Mindee v1's error (`api_request.error` with its code/message/details), summarised; else None."""
    request = v1_envelope(doc, status)
    if request is None or not isinstance(request.get("error"), dict):
        return None
    error = request["error"]
    parts = [str(error[k]) for k in ("code", "message", "details") if isinstance(error.get(k), str | int)]
    return clean(" ".join(parts) or "error")


@record(frozen=True)
class ModelsPage:
    models: tuple[ModelInfo, ...]
    total: int | None  # pagination.total_items
    page: int
    per_page: int
    total_pages: int


def parse_models_page(doc: Any) -> ModelsPage | None:
    """Mindee's search answer `{"models": [...], "pagination": {...}}`; None for anything else. Never raises."""
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        return None
    raw_pagination = doc.get("pagination")
    pagination: dict[str, Any] = raw_pagination if isinstance(raw_pagination, dict) else {}
    models = tuple(m for m in (_model(item) for item in doc["models"]) if m is not None)
    total = _count(pagination.get("total_items"))
    if total is not None and total < len(doc["models"]):
        total = None  # a self-contradicting answer: count what was listed
    per_page = min(_count(pagination.get("per_page")) or DEFAULT_PER_PAGE, 1000)
    total_pages = _count(pagination.get("total_pages")) or 1
    if total is not None:  # total_pages missing or short: the total says how many pages there are
        total_pages = max(total_pages, -(-total // per_page))
    return ModelsPage(models, total, _count(pagination.get("page")) or 1, per_page, total_pages)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _model(item: Any) -> ModelInfo | None:
    if not isinstance(item, dict):
        return None
    fields = {k: clean(item[k]) for k in ("id", "name", "model_type") if isinstance(item.get(k), str) and item[k]}
    if not fields:
        return None
    return ModelInfo(id=fields.get("id", ""), name=fields.get("name", ""), model_type=fields.get("model_type", ""))
