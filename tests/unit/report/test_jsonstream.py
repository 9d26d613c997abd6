"""Reports written item by item are byte-identical to `json.dumps` of the whole document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.report.jsonstream import Lazy, chunks, dumps

_ITEM = {"path": 'a\nb \ue000 "q"', "n": 1, "nested": {"list": [1, [2, {}], []], "empty": {}}, "f": 0.5}


def _plain(value: Any) -> Any:
    if isinstance(value, Lazy):
        return [_plain(v) for v in value.items]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _docs() -> list[Any]:
    return [
        {"findings": Lazy([]), "tail": 1},
        {"findings": Lazy([_ITEM]), "remediation": Lazy([]), "after": "x"},
        {"findings": Lazy([_ITEM, _ITEM, 3, "s", [], {}]), "stats": {"k": [1, 2]}, "remediation": Lazy([_ITEM])},
        {"runs": [{"tool": {"rules": []}, "results": Lazy([_ITEM] * 3), "p": {}}]},
        {"type": "summary", "remediation": Lazy(iter([{"a": 1}, {"b": [1]}]))},
        Lazy([{"top": True}]),
    ]


@pytest.mark.parametrize("indent", [None, 2, 4])
@pytest.mark.parametrize("case", range(6))
def test_same_text_as_json_dumps(case: int, indent: int | None) -> None:
    expected = json.dumps(_plain(_docs()[case]), indent=indent, ensure_ascii=False)
    assert dumps(_docs()[case], indent) == expected


def test_items_are_made_while_written() -> None:
    """The list's iterator is drawn one item per piece: nothing holds the whole list's text."""
    drawn: list[int] = []

    def items() -> Any:
        for i in range(3):
            drawn.append(i)
            yield {"i": i}

    pieces = chunks({"findings": Lazy(items())})
    assert drawn == []
    seen = ""
    for piece in pieces:
        seen += piece
        if '"i": 0' in seen:
            break
    assert drawn == [0]


def test_scanned_text_cannot_forge_the_marker() -> None:
    """A path holding what looks like a marker is written as data, not spliced."""
    item = {"path": "\ue000deadbeefdeadbeef:0\ue000"}
    doc = {"a": item, "findings": Lazy([item])}
    assert json.loads(dumps(doc)) == {"a": item, "findings": [item]}
