"""scanner.lazyre: a module-level pattern compiled on first use behaves as the compiled pattern."""

from __future__ import annotations

import re

from scanner.lazyre import lazy_compile


def test_lazy_pattern_compiles_on_first_use_and_matches_like_re() -> None:
    lazy = lazy_compile(rb"md_[A-Za-z0-9]{4}", re.IGNORECASE)
    assert "_compiled" not in vars(lazy)  # nothing compiled by defining it
    real = re.compile(rb"md_[A-Za-z0-9]{4}", re.IGNORECASE)
    data = b"x MD_abcd y md_1234 md_"
    assert [m.span() for m in lazy.finditer(data)] == [m.span() for m in real.finditer(data)]
    assert lazy.search(data, 5).span() == real.search(data, 5).span()  # type: ignore[union-attr]
    assert lazy.pattern == real.pattern and lazy.flags == real.flags
    assert "_compiled" in vars(lazy)


def test_lazy_pattern_compile_errors_surface_at_first_use() -> None:
    lazy = lazy_compile(r"(unclosed")
    try:
        lazy.search("x")
    except re.error:
        pass
    else:
        raise AssertionError("a bad pattern must raise re.error when used")
