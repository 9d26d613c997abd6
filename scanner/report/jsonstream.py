"""JSON written piece by piece: a report's long lists are encoded one item at a time, never whole.

`json.dumps` of a report held every finding's dict and the encoder's fragments at once, then the whole
text and its UTF-8 copy (issue 13; the sizes are in docs/benchmarks.md, "Measurements behind the code").
Here the document is encoded with a unique marker in place of each long list, and each item is encoded
as it is drawn from its iterator, so memory holds one item at a time. The text is byte-identical to
`json.dumps(document, indent=indent, ensure_ascii=False)`: with an indent, every newline json writes is
structural (a newline inside a string is escaped), so an item encoded alone is re-indented by adding the
list's indentation after each of its newlines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import Any


class Lazy:
    """A list whose items are made only while the JSON text is written (an iterator, drawn once)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def dumps(document: Any, indent: int | None = None) -> str:
    """The whole text at once, for callers that want a string (small reports, tests)."""
    return "".join(chunks(document, indent))


def chunks(document: Any, indent: int | None = None) -> Iterator[str]:
    """`json.dumps(document, indent=indent, ensure_ascii=False)` in pieces, each `Lazy` list item by item."""
    # A random marker: no scanned path or line can forge it into the text (`os.urandom`, as
    # `secrets.token_hex` uses, without the 6 ms that importing `secrets` adds to every scan's start-up).
    tag = f"\ue000{os.urandom(8).hex()}:"
    lists: list[Iterable[Any]] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Lazy):
            lists.append(value.items)
            return [f"{tag}{len(lists) - 1}\ue000"]
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(document), indent=indent, ensure_ascii=False)
    pos = 0
    for n, items in enumerate(lists):
        marker = json.dumps(f"{tag}{n}\ue000", ensure_ascii=False)
        at = text.index(marker, pos)
        head = text[pos:at]
        if indent is None:
            item_sep, pad, close = ", ", "", ""
        else:
            pad = head[head.rindex("\n") :]  # "\n" + this list's item indentation
            item_sep = "," + pad
            close = pad[: len(pad) - indent]  # "\n" + the indentation of the closing bracket
        iterator = iter(items)
        first = next(iterator, _END)
        if first is _END:
            # An empty list is "[]": drop the marker's line breaks on both sides.
            yield head[: len(head) - len(pad)]
            pos = at + len(marker) + len(close)
            continue
        yield head
        yield _item(first, indent, pad)
        for item in iterator:
            yield item_sep
            yield _item(item, indent, pad)
        pos = at + len(marker)
    yield text[pos:]


_END = object()


def _item(value: Any, indent: int | None, pad: str) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return text.replace("\n", pad) if indent is not None and "\n" in text else text
