"""Prefilter hits that cannot open a match alone: what the hook's fast path may pass over.

`mindee-legacy-api-key-section` starts from the bare word `mindee` (its regex then reads the section
around it), and nearly every file of a Mindee client holds that word; most of them also hold
`MINDEE_API_KEY` or `api_key=` (the hits of `mindee-legacy-api-key` and `-name-value`). Every legacy
rule captures its secret as `(?P<secret>[a-f0-9]{32})`, so its regex matches only where the text
holds that shape (32 hex characters), and on the lines it hits without matching (`decode_line`) the
decoders read new text only from a JSON escape, a join of string literals or a base64 run. So in a
text where the wide rules' hits are the only hits, and neither their shapes nor any of those (see
b64text.holds_decodable_run for base64) is present, `Detector.scan` finds nothing: with no decoded
segment nothing is scanned again, and the only windows searched are the wide rules' own.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from scanner.detect.rules import Rule

# A rule's secret group -> a Hyperscan pattern every secret it captures matches. The group is read
# caselessly here (a superset: a rule may capture it under `(?i)`). A rule is wide when its secret
# group is one of these, whatever else its regex says: `Detector._accept` keeps no match without it.
SECRET_SHAPES = {rb"[a-f0-9]{32}": rb"[a-fA-F0-9]{32}"}

# What decoders.json_escape_segments and decoders.concat_segments need on a line to produce a segment:
# a `\u`, and a join of two string literals (decoders._JOIN with its possessive quantifiers greedy and
# its look-arounds read as the bytes they look at: a superset of its matches).
DECODER_GATES = (
    rb"\\u",
    rb"[A-Za-z0-9_\-][\"'`][ \t]*(?:(?:\+|\.\.?|&|\|\||\\)[ \t]*)?"
    rb"(?:\r?\n[ \t]*(?:(?:\+|\.\.?|&|\|\|)[ \t]*)?)?(?:[@$]|[bfruBFRU]{1,2})?[\"'`][A-Za-z0-9_\-]",
)


def wide_shape(rule: Rule) -> bytes | None:
    """The Hyperscan shape every secret of `rule` has (SECRET_SHAPES), or None: its hits decide.

    Read from the parsed regex, not its text: the group named `secret` (the one `_accept` reads) must
    parse to exactly a shape's pattern."""
    from re import _parser as parser  # type: ignore[attr-defined]  # cold path: the database is cached

    tree = parser.parse(rule.regex.pattern)  # as written (inline flags included)
    index = tree.state.groupdict.get("secret")
    if index is None or rule.secret_group not in ("secret", index):
        return None
    group = _group(tree, index, parser)
    if group is None:
        return None
    for secret, shape in SECRET_SHAPES.items():
        if group == _plain(parser.parse(secret), parser):
            return shape
    return None


def _group(tree: object, index: int, parser: object) -> object | None:
    """The parsed body of group `index` in `tree` (a parser SubPattern), made comparable."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, parser.SubPattern):  # type: ignore[attr-defined]
            stack.extend(node.data)
        elif isinstance(node, list | tuple):
            if len(node) == 2 and node[0] is parser.SUBPATTERN and node[1][0] == index:  # type: ignore[attr-defined]
                return _plain(node[1][3], parser)
            stack.extend(node)
    return None


def _plain(node: object, parser: object) -> object:
    """A parsed regex as nested tuples (SubPattern has no equality of its own)."""
    if isinstance(node, parser.SubPattern):  # type: ignore[attr-defined]
        node = node.data
    if isinstance(node, list | tuple):
        return tuple(_plain(item, parser) for item in node)
    return node
