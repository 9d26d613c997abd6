"""Whose key is it? The confidence, note and other vendor of an `md_` match, read from its context.

Mindee is not the only service that issues `md_` tokens. The name a token is assigned to
(`MACRODATA_API_KEY=`), the call it is passed to (`MacrodataClient(token=...)`) or the config section
it sits in (`medidata:` then `api_token:`) says whose it is; such a key is reported with the vendor
named, at low confidence, and never sent to Mindee. A body of a length Mindee does not issue (it
has issued 32 and 43) is reported at medium confidence with a note, not dropped.
"""

from __future__ import annotations

import re

from scanner.detect.shapes import MINDEE_BODY_LENGTHS
from scanner.lazyre import lazy_compile
from scanner.record import record

_LINE_BACK = 160
# The name or callee just before the value: `NAME = "`, `"name": "`, `name: `, `Callee({ apiKey: "`.
# Both are searched (they end at `\Z`) in up to 160 characters per token. They start only where no
# letter precedes (a match starting after one would also start at that letter: the leftmost never
# does), and names are possessive (a name never gives back a character, except the `-` of `->`):
# a line of `md_` tokens took 0.8 ms per token, retrying and backtracking from every character.
_NAME_BEFORE = lazy_compile(
    r"(?<![A-Za-z_])(?:(?P<callee>[A-Za-z_][A-Za-z0-9_.:]*+)\s*\(\s*\{?\s*)?"
    r"(?P<name>[A-Za-z_](?:[A-Za-z0-9_.]|-(?!>))*+)[\\\"'`\]]{0,3}\s*(?:=|:=|:|=>|->)\s*[\\\"'`]{0,2}\s*\Z"
)
_CALLEE_BEFORE = lazy_compile(r"(?<![A-Za-z_])(?P<callee>[A-Za-z_][A-Za-z0-9_.:]*+)\s*\(\s*[\\\"'`]{0,2}\s*\Z")
_QUOTES = "\\\"'`"
_WORDS = lazy_compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_SECTION = lazy_compile(r"^(?P<indent>[ \t]*)[\"']?(?P<name>[A-Za-z][A-Za-z0-9_\-]*)[\"']?[ \t]*:[ \t]*(?:\{[ \t]*)?$")
# Words of names that say nothing about a vendor: what the value is, where it runs, whose app it is.
_GENERIC = frozenset(
    (  # noqa: SIM905 - a word list reads better as prose
        "api key keys token tokens secret secrets auth authorization bearer access private public client "
        "app application service services server backend frontend web mobile ios android env environment "
        "prod production dev development staging stage test tests testing live local default my the our "
        "config configuration settings setting options credentials credential password pass pwd user "
        "v1 v2 v3 legacy new old current primary secondary backup main master root admin global "
        "ocr invoice invoices receipt receipts document documents doc docs parser parsing extraction extract "
        "platform account org organisation organization team project workspace cloud integration "
        "integrations provider vendor external internal next public react vite expo nuxt gatsby "
        "value values data var variable string const static final let val set get with new "
        "header headers http https request url endpoint base id x md k s "
        # What a Mindee user calls the service that reads their documents.
        "extractor extractors scanner scan scanning reader reading processor processing analyzer analysis "
        "ai ml vision parse pdf expense expenses bill bills billing finance accounting kyc identity passport "
        "id card cards form forms ingest ingestion pipeline worker workers job jobs queue automation "
        "intelligence recognition text capture smart auto my app apps cli sdk bot "
        # Structure words of YAML/JSON configs a key sits under (k8s, Helm, CI inputs, frameworks).
        "spec metadata annotations labels parameters params properties inputs input defaults common "
        "vars stringdata args arguments extra extras steps containers container spring django rails "
        "laravel symfony dotnet node python java ruby php deploy deployment release chart helm values"
    ).split()
)


@record(frozen=True, slots=True)
class Verdict:
    """What a reader should know about an md_ match: how sure, why, and whose key it is."""

    confidence: str = "high"
    note: str = ""
    other_vendor: str | None = None


def judge_md_token(secret: str, data: bytes, start: int) -> Verdict:
    """The verdict for an `md_` token found at `start` in `data`."""
    vendor = _named_vendor(data, start)
    if vendor:
        return Verdict(
            "low",
            f"the context names {vendor}, not Mindee: probably a {vendor} token (not sent to Mindee)",
            vendor,
        )
    body = len(secret) - 3
    if body not in MINDEE_BODY_LENGTHS:
        return Verdict(
            "medium",
            f"md_ token with a {body}-character body (Mindee issues 32 or 43): check that it is a Mindee key",
        )
    return Verdict()


def line_before(data: bytes, start: int) -> bytes | None:
    """All `judge_md_token` reads of `data`, when that is only the 160 bytes before the token: its line
    starts further back and those bytes do not open with a space (an indented entry's section above is
    read too). None otherwise."""
    floor = max(0, start - _LINE_BACK)
    if floor == 0 or not 0x21 <= data[floor] <= 0x7E or data.rfind(b"\n", floor, start) >= 0:
        return None
    return data[floor:start]


def _named_vendor(data: bytes, start: int) -> str | None:
    line_start = data.rfind(b"\n", max(0, start - _LINE_BACK), start) + 1
    if not line_start:
        line_start = max(0, start - _LINE_BACK)
    before = data[line_start:start].decode("utf-8", "replace")
    if "mindee" in before.lower():
        return None
    # What ends `before` once spaces and quotes are cut: an operator for a name, `(` for a callee
    # (each regex ends so), else neither can match and neither is searched.
    last = before.rstrip().rstrip(_QUOTES).rstrip()[-1:]
    m = _NAME_BEFORE.search(before) if last in ("=", ":", ">") else None
    if m:
        for part in (m.group("name"), m.group("callee")):
            vendor = _vendor_word(part)
            if vendor:
                return vendor
        if m.group("name") and not before[: m.start()].strip():
            return _section_vendor(data, line_start, len(before) - len(before.lstrip()))
        return None
    m = _CALLEE_BEFORE.search(before) if last == "(" else None
    return _vendor_word(m.group("callee")) if m else None


def _vendor_word(name: str | None) -> str | None:
    """`MACRODATA_API_KEY` -> "Macrodata"; `MdTools` -> "MdTools"; `API_KEY`, `mindeeKey` -> None."""
    if not name:
        return None
    last = re.split(r"[.:]+", name)[-1] if "." in name or ":" in name else name
    words = [w for w in _WORDS.findall(last) if not w.isdigit()]
    if any(w.lower() == "mindee" for w in words):
        return None
    vendor = [w for w in words if w.lower() not in _GENERIC]
    if not vendor or sum(map(len, vendor)) < 4:
        return None
    return "".join(w.capitalize() if w.isupper() or w.islower() else w for w in vendor)


def _section_vendor(data: bytes, line_start: int, indent: int) -> str | None:
    """The YAML/JSON section above an indented entry: `medidata:` over `  api_token: md_...`."""
    if indent == 0:
        return None
    pos = line_start
    for _ in range(12):
        if pos <= 0:
            return None
        prev_start = data.rfind(b"\n", 0, pos - 1) + 1
        line = data[prev_start : pos - 1].decode("utf-8", "replace").rstrip("\r")
        pos = prev_start
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _SECTION.match(line)
        own = len(line) - len(line.lstrip())
        if own >= indent:
            continue
        if not m:
            return None
        if m.group("name").lower() == "mindee" or "mindee" in m.group("name").lower():
            return None
        return _vendor_word(m.group("name"))
    return None
