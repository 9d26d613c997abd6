"""All analysis of regex structure, in one place: what a pattern can start with, whether it can backtrack
exponentially, whether it looks at the data's edges, whether Hyperscan can run it.

- First-byte hints: `re` searches a pattern that opens with an alternation of caseless words
  (`(?i:api_key|secret|token...)`) by trying the whole alternation at every position. Led by
  `(?=[AaSsTt...])`, it jumps between the positions holding one of those bytes: on psf/requests text, the
  generic rule ran 2.4x faster. The lookahead admits every byte a match can start with, so the matches
  are exactly the same.
- Literal prefixes: the text every match opens with, so the prefilter can confirm a literal's hit with
  the pattern at that spot.
- Backtracking risk: Python's `re` backtracks; a user rule such as `((ab)*)+c` or `(a|aa)+b` can take
  hours on a few kilobytes. `backtracking_risk` walks the parsed pattern (nested groups included, which
  a textual check misses) for the two classic exponential shapes: an unbounded repeat inside another
  repeat (`(a+)+`, `((ab)*)+`, `(a{1,})+`), and an unbounded repeat over alternatives that can start
  with the same character (`(a|aa)+`). Used on every regex a rule file or a config brings: rule regexes,
  rule allowlist regexes and the config's `allowlist.regexes` (issue 13: `^(\\w+)+!` in an allowlist
  hung the scan). Possessive repeats and atomic groups cannot backtrack into themselves and are
  accepted. Polynomial shapes (adjacent `\\s*\\s*`) are not caught here; the detector's small windows
  bound them, and docs/hardening.md asks rule authors to use possessive quantifiers.
- Edges and engines: whether a pattern anchors to the data's start or end or looks around (joined
  prefilter texts are then scanned one by one), and whether Hyperscan can run it at all.
"""

from __future__ import annotations

import re
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

# Patterns are kept as text and compiled where used (re caches them): the hook imports this module for
# `hyperscan_safe` alone and should not pay for compiling the others.
_GLOBAL_FLAGS = rb"(?:\(\?[aiLmsux]+\))*"
_MAX_FIRST_BYTES = 64  # beyond this the lookahead rules out too little to pay for itself
_CATEGORIES: dict[str, bytes] = {
    "CATEGORY_DIGIT": b"0123456789",
    "CATEGORY_SPACE": b" \t\n\r\f\v",
    "CATEGORY_WORD": b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
}


def compile_hinted(pattern: bytes) -> re.Pattern[bytes]:
    """`pattern` compiled with its first-byte lookahead (the plain pattern if the hinted one fails)."""
    hinted = with_first_byte_hint(pattern)
    if hinted != pattern:
        try:
            return re.compile(hinted)
        except re.error:
            pass
    return re.compile(pattern)


def with_first_byte_hint(pattern: bytes) -> bytes:
    """`pattern`, led by a lookahead for its possible first bytes when they are few and the pattern does
    not already open with a literal (which `re` finds faster on its own); otherwise `pattern` itself."""
    parser: Any = getattr(re, "_parser", None)
    if parser is None:
        return pattern
    try:
        parsed = parser.parse(pattern)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return pattern
    caseless = bool(parsed.state.flags & re.IGNORECASE)
    items = list(parsed)
    if _opens_with_literal(parser, items, 0):
        return pattern
    try:
        first, nullable = _first_of_sequence(parser, items, caseless, 0)
    except _Unknown:
        return pattern
    if nullable or not first or len(first) > _MAX_FIRST_BYTES:
        return pattern
    head = re.match(_GLOBAL_FLAGS, pattern)
    cut = head.end() if head else 0
    klass = b"".join(b"\\x%02x" % byte for byte in sorted(first))
    return pattern[:cut] + b"(?=[" + klass + b"])" + pattern[cut:]


def _opens_with_literal(parser: Any, items: list[Any], depth: int) -> bool:
    """`re` already finds a leading literal fast, caseless or in a group (`(?i:mindee`, `\\bmindee`):
    a lookahead there made the search 2-3x slower."""
    for op, av in items:
        if op is parser.AT:  # \b, ^: zero width
            continue
        if op is parser.SUBPATTERN and depth < 20:
            return _opens_with_literal(parser, list(av[3]), depth + 1)
        return bool(op is parser.LITERAL)
    return False


class _Unknown(Exception):
    """A construct whose first bytes are not worked out here: leave the pattern alone."""


def _first_of_sequence(parser: Any, items: list[Any], caseless: bool, depth: int) -> tuple[set[int], bool]:
    """(bytes a match of `items` can start with, whether it can match the empty string)."""
    out: set[int] = set()
    for item in items:
        first, nullable = _first_of_item(parser, item, caseless, depth)
        out |= first
        if not nullable:
            return out, False
    return out, True


def _first_of_item(parser: Any, item: tuple[Any, Any], caseless: bool, depth: int) -> tuple[set[int], bool]:
    if depth > 20:
        raise _Unknown
    op, av = item
    if op is parser.LITERAL:
        return _cased({av}, caseless), False
    if op is parser.IN:
        return _cased(_class_bytes(parser, av), caseless), False
    if op is parser.BRANCH:
        out: set[int] = set()
        nullable = False
        for alternative in av[1]:
            first, empty = _first_of_sequence(parser, list(alternative), caseless, depth + 1)
            out |= first
            nullable = nullable or empty
        return out, nullable
    if op is parser.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        inner = (caseless or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
        return _first_of_sequence(parser, list(sub), inner, depth + 1)
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT, getattr(parser, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        first, nullable = _first_of_sequence(parser, list(sub), caseless, depth + 1)
        return first, nullable or low == 0
    if op in (parser.AT, parser.ASSERT, parser.ASSERT_NOT):
        return set(), True  # zero width: it only narrows what follows, so skipping it over-admits
    raise _Unknown


def _class_bytes(parser: Any, members: list[Any]) -> set[int]:
    out: set[int] = set()
    for op, av in members:
        if op is parser.LITERAL:
            out.add(av)
        elif op is parser.RANGE:
            out.update(range(av[0], av[1] + 1))
        elif op is parser.CATEGORY and str(av) in _CATEGORIES:
            out.update(_CATEGORIES[str(av)])
        else:  # NEGATE, other categories
            raise _Unknown
    return out


def _cased(found: set[int], caseless: bool) -> set[int]:
    if not caseless:
        return found
    return found | {ord(chr(b).swapcase()) for b in found if chr(b).isascii() and chr(b).isalpha()}


def literal_prefixes(pattern: bytes, flags: int) -> list[bytes] | None:
    """The literal text every match opens with, one per top-level branch; None when unknown."""
    parser = getattr(re, "_parser", None)  # the stdlib's regex parser (sre_parse before 3.11)
    if parser is None:
        return None
    try:
        tree = list(parser.parse(pattern, flags))
    except (re.error, TypeError, ValueError, OverflowError):
        return None
    return _prefixes_of(parser, tree, depth=0)


def _prefixes_of(parser: Any, items: list[Any], depth: int) -> list[bytes] | None:
    if not items or depth > 8:
        return None
    op, value = items[0]
    if op is parser.LITERAL:
        out = bytearray()
        i = 0
        while i < len(items) and items[i][0] is parser.LITERAL:
            out.append(items[i][1])
            i += 1
        # The parser factors common prefixes out of branches: (AKIA|ASIA) is A, then (KIA|SIA).
        rest = _prefixes_of(parser, items[i:], depth + 1) if i < len(items) else None
        return [bytes(out) + r for r in rest] if rest else [bytes(out)]
    if op is parser.SUBPATTERN:
        if value[1] or value[2]:  # (?i:...) or (?-i:...) inside: case rules differ, do not guess
            return None
        return _prefixes_of(parser, list(value[-1]), depth + 1)
    if op is parser.BRANCH:
        found: list[bytes] = []
        for alternative in value[1]:
            sub = _prefixes_of(parser, list(alternative), depth + 1)
            if sub is None:
                return None
            found.extend(sub)
        return found
    return None


def edge_sensitive(pattern: bytes) -> bool:
    """Anchors to the data's start or end (`^`, `$`, `\\A`, `\\Z`) or lookarounds; `(?m:^` (any line's
    start) and `[^` do not count. Errs on the side of True: the caller then scans texts one by one."""
    if any(tok in pattern.replace(b"\\\\", b"") for tok in (b"\\A", b"\\Z", b"\\z")):
        return True
    unescaped = re.sub(rb"\\.", b"", pattern, flags=re.DOTALL)
    rest = re.sub(rb"\[\^|\(\?m:\^", b"", unescaped)  # a negated class, a multiline start of line
    return any(tok in rest for tok in (b"^", b"$", b"(?=", b"(?!", b"(?<"))


_PYTHON_ONLY = rb"\(\?<?[=!]|\(\?P=|\\[1-9]"


def hyperscan_safe(pattern: bytes) -> bool:
    """No look-around or back-reference: Hyperscan has neither (it would reject or misread them)."""
    return re.search(_PYTHON_ONLY, pattern) is None


# Nested unbounded quantifiers such as (a+)+ or (\w*)* backtrack exponentially in Python's engine: a
# quick textual check that runs before compiling. A possessive inner repeat (`[ \t]*+`) cannot backtrack,
# so it does not count; `backtracking_risk` below walks the parsed pattern for what text cannot see.
_NESTED_QUANTIFIER = r"\((?:[^()\\]|\\.)*(?<![*+?}])[+*](?!\+)(?:[^()\\]|\\.)*\)[+*{]"


def has_nested_quantifier(pattern: str) -> bool:
    return re.search(_NESTED_QUANTIFIER, pattern) is not None


_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT)
_UNKNOWN = object()  # a first-character set we do not compute (classes, categories): assume disjoint


def backtracking_risk(pattern: str) -> str | None:
    """A short reason when `pattern` has an exponential-backtracking shape, else None."""
    try:
        tree = _p.parse(pattern)
    except _c.error:  # compile() reports syntax errors with a better message
        return None
    return _walk(list(tree), inside_repeat=False)


def _walk(items: list[tuple[Any, Any]], inside_repeat: bool) -> str | None:
    for op, av in items:
        found: str | None = None
        if op in _REPEATS:
            _lo, hi, body = av
            unbounded = hi == _c.MAXREPEAT
            repeating = hi > 1
            if unbounded and inside_repeat:
                return "a nested unbounded quantifier"
            if unbounded and _overlapping_branches(list(body)):
                return "an unbounded quantifier over alternatives that start alike"
            found = _walk(list(body), inside_repeat or (repeating and unbounded))
        elif op is _c.SUBPATTERN:
            found = _walk(list(av[-1]), inside_repeat)
        elif op is _c.BRANCH:
            for alt in av[1]:
                found = found or _walk(list(alt), inside_repeat)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _walk(list(av[1]), inside_repeat)
        # POSSESSIVE_REPEAT and ATOMIC_GROUP never backtrack into themselves: nothing to check.
        if found:
            return found
    return None


def _overlapping_branches(items: list[tuple[Any, Any]]) -> bool:
    """True when the repeated body is (or starts with) alternatives sharing a first literal.

    The parser factors common prefixes, so `(a|aa)` arrives as `a(?:|a)`: a body that starts with a
    literal and holds an optional part starting with the same literal is the same ambiguity.
    """
    while len(items) == 1 and items[0][0] is _c.SUBPATTERN:
        items = list(items[0][1][-1])
    if not items:
        return False
    head = _first_literal(items)
    if head is not _UNKNOWN:
        for op, av in items[1:]:
            if op is _c.BRANCH and any(not alt for alt in av[1]):
                if any(_first_literal(list(alt)) == head for alt in av[1] if alt):
                    return True
            elif op in _REPEATS and av[0] == 0 and _first_literal(list(av[2])) == head:
                return True
    if items[0][0] is not _c.BRANCH:
        return False
    firsts: list[Any] = [_first_literal(list(alt)) for alt in items[0][1][1]]
    known = [f for f in firsts if f is not _UNKNOWN]
    return len(known) != len(set(known))


def _first_literal(items: list[tuple[Any, Any]]) -> Any:
    if not items:
        return _UNKNOWN
    op, av = items[0]
    if op is _c.LITERAL:
        return av
    if op is _c.SUBPATTERN:
        return _first_literal(list(av[-1]))
    if op in _REPEATS and av[0] >= 1:
        return _first_literal(list(av[2]))
    return _UNKNOWN
