"""Reject rule regexes shaped to backtrack exponentially, before they ever meet hostile input.

Python's `re` backtracks; a user rule such as `((ab)*)+c` or `(a|aa)+b` can take hours on a few
kilobytes. The check walks the parsed pattern (nested groups included, which a textual check
misses) for the two classic exponential shapes:

- an unbounded repeat inside another repeat (`(a+)+`, `((ab)*)+`, `(a{1,})+`);
- an unbounded repeat over alternatives that can start with the same character (`(a|aa)+`).

Used on every regex a rule file or a config brings: rule regexes, rule allowlist regexes and the
config's `allowlist.regexes` (issue 13: `^(\\w+)+!` in an allowlist hung the scan).

Possessive repeats and atomic groups cannot backtrack into themselves and are accepted.
Polynomial shapes (adjacent `\\s*\\s*`) are not caught here; the detector's small windows bound them,
and docs/hardening.md asks rule authors to use possessive quantifiers.
"""

from __future__ import annotations

from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

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
