"""`scanner.record` behaves like the `dataclasses` features the project relies on."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from scanner.record import FrozenInstanceError, field, record, replace


@record(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@record(frozen=True, slots=True)
class Labelled(Point):
    label: str = ""


@record
class Bag:
    name: str
    items: list[int] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    total: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.items)


def test_init_defaults_and_factories() -> None:
    assert (Point(1).x, Point(1).y, Point(1, 2).y, Point(x=3, y=4).x) == (1, 0, 2, 3)
    a, b = Bag("a"), Bag("b")
    a.items.append(1)
    assert b.items == [], "each instance gets its own list"
    assert Bag("c", [2, 3]).total == 5, "__post_init__ runs after the fields are set"
    with pytest.raises(TypeError):
        Bag("d", cache={})  # type: ignore[call-arg]


def test_eq_hash_repr() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert Point(1) != Labelled(1), "records of different classes are never equal"
    assert len({Point(1, 2), Point(1, 2), Point(3)}) == 2
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    assert "cache" not in repr(Bag("a")), "repr=False fields stay out"
    with pytest.raises(TypeError):
        hash(Bag("a"))  # mutable records are unhashable, as with dataclasses


@record(frozen=True, slots=True)
class Keyed:
    key: str
    payload: tuple[int, ...] = ()

    def __hash__(self) -> int:
        return hash(self.key)


def test_a_record_may_hash_by_fewer_fields_than_it_compares() -> None:
    assert hash(Keyed("a", (1,))) == hash("a") == hash(Keyed("a", (2,)))
    assert Keyed("a", (1,)) != Keyed("a", (2,)) and len({Keyed("a", (1,)), Keyed("a", (1,))}) == 1


def test_frozen_and_slots() -> None:
    p = Point(1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]
    assert not hasattr(p, "__dict__")


def test_inheritance_replace_and_pickle() -> None:
    item = Labelled(1, 2, ("a",), "name")
    assert (item.x, item.y, item.tags, item.label) == (1, 2, ("a",), "name")
    changed = replace(item, y=5)
    assert changed == Labelled(1, 5, ("a",), "name") and item.y == 2
    with pytest.raises(TypeError):
        replace(Bag("a"), total=3)  # init=False fields cannot be replaced
    assert pickle.loads(pickle.dumps(item)) == item, "frozen slotted records cross process boundaries"
    bag = pickle.loads(pickle.dumps(Bag("a", [1, 2])))
    assert (bag.name, bag.items, bag.total) == ("a", [1, 2], 3)


def test_field_order_is_checked() -> None:
    with pytest.raises(TypeError, match="non-default field"):

        @record
        class Bad:
            a: int = 1
            b: str  # type: ignore[misc]


def test_scanner_start_up_never_imports_dataclasses() -> None:
    """The reason this module exists: `dataclasses` brings `inspect` (15 ms on every hook run)."""
    code = (
        "import sys, scanner.model, scanner.detect.build, scanner.detect.findings, scanner.app.staged, "
        "scanner.app.history; "
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_init_is_built_on_first_instance_and_field_order_is_checked_at_definition() -> None:
    import pytest

    from scanner.record import field, record

    @record(frozen=True)
    class Lazy:
        a: int
        b: list[int] = field(default_factory=list)

    stub = Lazy.__init__
    first = Lazy(1)
    assert Lazy.__init__ is not stub  # the generated __init__ replaced the stub
    assert first == Lazy(1) and first.b == [] and Lazy(2, [3]).b == [3]
    with pytest.raises(TypeError):
        Lazy()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="follows a default"):

        @record
        class Bad:
            a: int = 1
            b: int
