"""The one message a bug prints: masked and inert, like every other error message."""

from __future__ import annotations

import pytest

from scanner.errors import report_internal_error
from tests.testing.keys import v2_key


def test_a_bug_message_masks_keys_and_escapes_control_characters(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = v2_key()
    monkeypatch.setenv("MINDEE_SCAN_TRACEBACK", "1")
    try:
        raise RuntimeError(f"bad path a\x1b]52;c;QUFB\x07b\nforged: line {key}")
    except RuntimeError as exc:
        report_internal_error(exc)
    err = capsys.readouterr().err
    assert key not in err
    assert "\x1b" not in err and "\x07" not in err and "\\x1b]52" in err
    assert "\nforged" not in err  # the message's own newline cannot start a line of ours
