"""Prefilter hits that cannot open a match alone: what the hook's fast path may pass over.

`mindee-legacy-api-key-section` starts from the bare word `mindee` (its regex then reads the section
around it), and nearly every file of a Mindee client holds that word: its hits alone left 94-98% of
those repositories' commits to the full path. Its regex matches only where the text holds its
secret's shape (32 hex characters), and on the lines it hits without matching (`decode_line`) the
decoders read new text only from a JSON escape, a join of string literals or a base64 run. So in a
text where the wide rules' hits are the only hits, and neither their shapes nor any of those (see
b64text.holds_decodable_run for base64) is present, `Detector.scan` finds nothing: with no decoded
segment nothing is scanned again, and the only windows searched are the wide rules' own.
"""

from __future__ import annotations

# Rule id -> a Hyperscan pattern that every secret of the rule matches: the rule's secret group is
# `(?P<secret>[a-f0-9]{32})`, read caselessly here (a superset). tests/unit/detect/test_reach.py
# checks each rule's secret group against it.
WIDE_RULES = {"mindee-legacy-api-key-section": rb"[a-fA-F0-9]{32}"}
SECRET_GROUPS = {"mindee-legacy-api-key-section": "(?P<secret>[a-f0-9]{32})"}

# What decoders.json_escape_segments and decoders.concat_segments need on a line to produce a segment:
# a `\u`, and a join of two string literals (decoders._JOIN with its possessive quantifiers greedy and
# its look-arounds read as the bytes they look at: a superset of its matches).
DECODER_GATES = (
    rb"\\u",
    rb"[A-Za-z0-9_\-][\"'`][ \t]*(?:(?:\+|\.\.?|&|\|\||\\)[ \t]*)?"
    rb"(?:\r?\n[ \t]*(?:(?:\+|\.\.?|&|\|\|)[ \t]*)?)?(?:[@$]|[bfruBFRU]{1,2})?[\"'`][A-Za-z0-9_\-]",
)
