"""Packed chunks (issue 18): the objects a history scan hands its workers come back exactly as listed."""

from __future__ import annotations

from scanner.app.objectscan import PackedChunk, _chunks
from scanner.sources.git.objects import GitObject


def _objects(n: int, width: int = 40, path: str = "") -> list[GitObject]:
    kinds = ("blob", "commit", "tag")
    return [GitObject(f"{i:0{width}x}", kinds[i % 3], i * 1000, f"{path}{i}" if path else "") for i in range(n)]


def test_chunks_give_back_every_object_in_order_whatever_the_packing() -> None:
    for objects in (_objects(5000), _objects(300, width=64), _objects(10, path="src/f"), []):
        chunks = _chunks(objects)
        assert [obj for chunk in chunks for obj in chunk] == objects
        assert sum(len(c) for c in chunks) == len(objects)


def test_packed_chunk_indexes_and_slices_like_a_list() -> None:
    objects = _objects(7, path="a/")
    chunk = PackedChunk(objects, 40)
    assert len(chunk) == 7 and chunk[0] == objects[0] and chunk[-1] == objects[-1]
    assert chunk[:-1] == objects[:-1] and chunk[2:5] == objects[2:5]
    assert list(chunk) == objects
    try:
        chunk[7]
    except IndexError:
        pass
    else:
        raise AssertionError("out of range must raise IndexError")


def test_ids_of_mixed_lengths_stay_a_plain_list() -> None:
    objects = [GitObject("a" * 40, "blob", 1), GitObject("b" * 64, "blob", 2)]
    assert _chunks(objects) == [objects]
