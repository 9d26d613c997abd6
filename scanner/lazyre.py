"""Module-level regexes compiled on first use.

The pre-commit hook imports the detector, its filters and decoders on every commit, but a clean
commit (the usual one) never reaches a filter or a decoder: compiling their ~30 module-level
patterns at import was a sixth of the hook's CPU time before it read a byte.
"""

from __future__ import annotations

# Nothing imported at module level: the hook's fast path (scanner/app/quickstaged.py) defines a pattern
# here and, on a clean commit, never compiles it, so it needs neither `re` nor `typing`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any, AnyStr


class _LazyPattern:
    """Stands in for `re.compile(pattern, flags)`: the first attribute read compiles it, and each
    attribute (`search`, `finditer`, ...) is then kept on the instance, so later calls cost what a
    compiled pattern's do."""

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for attributes not on the instance yet
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            import re

            compiled = self.__dict__["_compiled"] = re.compile(*self._args)
        value = getattr(compiled, name)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"lazy_compile({self._args[0]!r})"


def lazy_compile(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """`re.compile`, deferred to the pattern's first use. Only for patterns used through their methods
    and attributes (`re.sub(p, ...)` and `isinstance(p, re.Pattern)` want the real thing)."""
    return _LazyPattern(pattern, flags)  # type: ignore[return-value]
