"""`app.run`: one way in; each request drives its own source."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scanner.app.request import DirOptions, StdinRequest
from scanner.app.run import run
from scanner.config import Config
from tests.testing.keys import v2_key


def test_a_dir_request_and_a_stdin_request_find_the_same_key(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "a.env").write_text(f"MINDEE_V2_API_KEY={key}\n")
    on_disk = run(DirOptions(paths=(str(tmp_path),), config=Config(), jobs=1))
    piped = run(StdinRequest(io.BytesIO(f"MINDEE_V2_API_KEY={key}\n".encode()), Config()))
    assert [f.secret_hash for f in on_disk.findings] == [f.secret_hash for f in piped.findings]
    assert on_disk.source == "dir" and piped.findings[0].path == "<stdin>"


def test_anything_else_is_not_a_request() -> None:
    with pytest.raises(TypeError):
        run("dir .")  # type: ignore[arg-type]
