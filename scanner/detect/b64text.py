"""Base64 read as text: what the base64 decoder keeps, and whether a text holds any run it would keep.

Light on purpose (binascii only, no `re`): the hook's fast path (scanner/app/quickstaged.py) asks
`holds_decodable_run` without importing the decoders.
"""

from __future__ import annotations

import binascii

_PRINTABLE = bytes(b for b in range(256) if 32 <= b < 127 or b in (9, 10, 13))
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
# Every byte outside the alphabet (and `=`, which ends a run's body) read as a space: split() gives the runs.
_RUNS = bytes(c if c in _ALPHABET or c == 0x3D else 0x20 for c in range(256))
# decoders.base64_segments decodes a mixed-case run of a line when its body (before at most two `=`) is
# at least 24 characters long and the run at most MAX_DECODED_BLOB bytes.
MIN_LINE_RUN = 24
MAX_DECODED_BLOB = 1 << 20


def decode_text(blob: bytes) -> bytes | None:
    """Decode standard or URL-safe base64 into mostly printable text, or None."""
    blob = blob.rstrip(b"=")
    if len(blob) % 4 == 1:
        blob = blob[:-1]
    padded = blob + b"=" * (-len(blob) % 4)
    # The run holds only base64 alphabet characters (see decoders._B64_RUN), so binascii directly is what
    # b64decode(validate=True) / urlsafe_b64decode compute, without their per-call regex and copies.
    try:
        if b"-" in blob or b"_" in blob:
            decoded = binascii.a2b_base64(padded.translate(_URLSAFE_TO_STD))
        else:
            decoded = binascii.a2b_base64(padded)
    except (binascii.Error, ValueError):
        return None
    if not decoded:
        return None
    printable = len(decoded) - len(decoded.translate(None, _PRINTABLE))  # C speed: this runs per base64 run
    if printable < 0.85 * len(decoded):
        return None
    return decoded


def holds_decodable_run(data: bytes) -> bool:
    """Could decoders.base64_segments read a run of some line of `data` in clear (a mixed-case run
    of the alphabet, long enough, that `decode_text` keeps)? False means it reads none, whatever lines
    it is given."""
    for token in data.translate(_RUNS).split():
        if len(token) < MIN_LINE_RUN:
            continue  # most of a text's words: the length first, it costs least
        for body in token.split(b"=") if b"=" in token else (token,):
            if not MIN_LINE_RUN <= len(body) <= MAX_DECODED_BLOB or body.lower() == body or body.upper() == body:
                continue
            if decode_text(body) is not None:
                return True
    return False
