"""Turn raw file or blob bytes into what the detector scans: text bytes, or binary to scan for prefixed keys."""

from __future__ import annotations

import codecs

_SNIFF = 8192
_BOM_STARTS = (codecs.BOM_UTF8[:1], codecs.BOM_UTF16_LE[:1], codecs.BOM_UTF16_BE[:1])


class Prepared:
    """Made once per file or blob: a plain slotted class (a frozen dataclass's __init__ costs 3x)."""

    __slots__ = ("binary", "data", "decoded_from")

    def __init__(self, data: bytes, binary: bool, decoded_from: str | None = None) -> None:
        self.data = data
        self.binary = binary
        self.decoded_from = decoded_from  # e.g. "utf-16-le" when the bytes were transcoded to UTF-8


def is_plain_text(raw: bytes) -> bool:
    """Would `prepare` pass `raw` through as it is, as text? (No NUL near the start, no BOM.)"""
    return raw[:1] not in _BOM_STARTS and raw.find(b"\x00", 0, _SNIFF) < 0


_BOM_FIRST_BYTES = frozenset(b[0] for b in _BOM_STARTS)


def plain_text_at(data: bytes | bytearray, start: int, end: int) -> bool:
    """`is_plain_text(data[start:end])` without copying it out (`start < end`): the history scan reads
    objects where they lie in its read buffer."""
    return data[start] not in _BOM_FIRST_BYTES and data.find(b"\x00", start, min(end, start + _SNIFF)) < 0


def prepare(raw: bytes) -> Prepared:
    """UTF-16 (BOM, or NUL-interleaved ASCII) is transcoded to UTF-8; other NUL-bearing data is binary.

    Bad UTF-8 bytes are left as they are: the detector works on bytes and only decodes what it reports.
    """
    # Hot path (every file of a tree scan): no 8 kB slice, one bounded find for the common UTF-8 case.
    if is_plain_text(raw):
        return Prepared(raw, False, None)
    has_nul = raw.find(b"\x00", 0, _SNIFF) >= 0
    if raw[:1] in _BOM_STARTS:
        if raw.startswith(codecs.BOM_UTF8):
            return Prepared(raw[3:], False, None)
        for bom, bom_enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
            # ASCII (and so every key) in UTF-16 has NUL bytes; bytes that merely start like a BOM do not.
            if has_nul and raw.startswith(bom):
                return Prepared(raw[2:].decode(bom_enc, "replace").encode("utf-8"), False, bom_enc)
    if not has_nul:
        return Prepared(raw, False, None)
    enc = _bomless_utf16(raw[:_SNIFF])
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
