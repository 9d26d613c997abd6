"""Turn raw file or blob bytes into what the detector scans: text bytes, or binary to scan for prefixed keys."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class Prepared:
    data: bytes
    binary: bool
    decoded_from: str | None = None  # e.g. "utf-16-le" when the bytes were transcoded to UTF-8


def prepare(raw: bytes) -> Prepared:
    """UTF-16 (BOM, or NUL-interleaved ASCII) is transcoded to UTF-8; other NUL-bearing data is binary.

    Bad UTF-8 bytes are left as they are: the detector works on bytes and only decodes what it reports.
    """
    head = raw[:_SNIFF]
    if head.startswith(codecs.BOM_UTF8):
        return Prepared(raw[3:], False, None)
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        # ASCII (and so every key) in UTF-16 has NUL bytes; bytes that merely start like a BOM do not.
        if head.startswith(bom) and b"\x00" in head:
            return Prepared(raw[2:].decode(enc, "replace").encode("utf-8"), False, enc)
    if b"\x00" not in head:
        return Prepared(raw, False, None)
    enc = _bomless_utf16(head)
    if enc is not None:
        return Prepared(raw.decode(enc, "replace").encode("utf-8"), False, enc)
    return Prepared(raw, True, None)


def _bomless_utf16(head: bytes) -> str | None:
    """ASCII text saved as UTF-16 without a BOM has a NUL in every other byte."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None
