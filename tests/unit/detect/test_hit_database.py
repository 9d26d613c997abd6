"""`Detector.hit_database` and `hook_database`: where they pass a text, `scan` finds nothing there (the
pre-commit fast path rests on it).

Checked on the rules' own examples, on those examples in every encoding the decoders read, inside
other text, and on this project's own source and test files (which talk about keys all the time): each
text either has a hit or scans to nothing. A text with a match must have a hit. The hook's database
passes over the wide rules' hits (every legacy-key rule: the word `mindee`, `MINDEE_API_KEY`) alone:
checked on those texts too, on texts shaped like the files of Mindee's clients (legacy keys with their
context on lines above, split, joined, in base64 or JSON escapes) and on the files of those
repositories where this machine has them.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import hyperscan
import pytest

from scanner.app.quickstaged import HookDatabase
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.rules import load_default_rules
from scanner.detect.textio import is_plain_text
from tests.testing.keys import v1_key, v2_key

ROOT = Path(__file__).resolve().parents[3]
DETECTOR = build_detector(Config())
_RAW = DETECTOR.hit_database()
assert _RAW is not None
DATABASE = hyperscan.loadb(_RAW, hyperscan.HS_MODE_BLOCK)
SCRATCH = hyperscan.Scratch(DATABASE)


def has_hit(data: bytes) -> bool:
    try:
        DATABASE.scan(data, match_event_handler=lambda *a: True, scratch=SCRATCH)
    except hyperscan.ScanTerminated:
        return True
    return False


def examples() -> Iterator[str]:
    for rule in load_default_rules():
        for ex in rule.examples_match:
            yield ex["text"] if isinstance(ex, dict) else ex
        yield from rule.examples_no_match


def variants(text: str) -> Iterator[bytes]:
    raw = text.encode()
    yield raw
    yield b"x = 1\n" * 3 + raw + b"\ny = 2\n"
    yield b"MINDEE_API_KEY: " + base64.b64encode(raw) + b"\n"
    yield base64.b64encode(raw) + b"\n"
    yield json.dumps(text).encode().replace(b"_", b"\\u005f").replace(b"m", b"\\u006d")
    half = len(raw) // 2
    yield b'key = "' + raw[:half] + b'" + \n    "' + raw[half:] + b'"\n'
    yield text.encode("utf-16-le")


def texts() -> Iterator[tuple[str, bytes]]:
    for i, text in enumerate(examples()):
        for j, data in enumerate(variants(text)):
            yield f"example-{i}-{j}", data
    for key in (v2_key(), v1_key()):
        for j, data in enumerate(variants(f"MINDEE_API_KEY={key}")):
            yield f"key-{j}", data
    for folder in ("scanner", "tests", "rules", "docs"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".md", ".json") and path.stat().st_size < 1 << 20:
                yield str(path.relative_to(ROOT)), path.read_bytes()


@pytest.mark.timeout(600)
def test_no_hit_means_nothing_found() -> None:
    checked = hits = 0
    for name, raw in texts():
        if not is_plain_text(raw):
            continue  # the fast path leaves these to the full path (`prepare` changes them)
        if has_hit(raw):
            hits += 1
        else:
            assert DETECTOR.scan(raw) == [], name
        checked += 1
    assert checked > 1000 and hits > 100  # the texts did exercise both sides


def test_context_patterns_are_left_out() -> None:
    """A rule's file-level `context` alone opens no window (rotation's: words such as "rotate")."""
    text = b"# rotate the logs daily, revoke nothing\n"
    assert any(t.owner.startswith("context:") for t in DETECTOR._prefilter.triggers)
    assert DETECTOR._prefilter.scan(text), "the full prefilter has a context hit here"
    assert DETECTOR.scan(text) == []
    assert not has_hit(text)


# -- the hook's database: a wide rule's hits count only with its secret's shape or a decoder's input --------

HOOK = HookDatabase(hyperscan, DETECTOR.hook_database() or b"")
MINDEE_MIRRORS = Path("/work/.mirror")


def _escaped(text: str) -> str:
    """JSON with every key character escaped, as some encoders write it."""
    return "".join(f"\\u{ord(c):04x}" if c.isalnum() else c for c in text)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def mindee_client_texts() -> Iterator[str]:
    """How the files of Mindee's clients look: the word everywhere, and legacy keys written every way
    the rules and decoders read them (the section's context on lines above, split, joined, encoded)."""
    key = v1_key()
    yield "from mindee import Client\n\nmindee_client = Client(api_key=os.environ['MINDEE_API_KEY'])\n"
    yield "import { Client } from 'mindee';\nconst mindeeClient = new mindee.Client({ apiKey: process.env.KEY });\n"
    yield "package com.mindee;\n\npublic class MindeeClient {\n  private final String apiKey;\n}\n"
    yield f"mindee:\n  endpoint: https://api.example.com/v1\n  api_key: {key}\n"
    yield f"mindee:\n  endpoint: https://api.example.com/v1\n\n\n  # set below\n  api_key: {key}\n"
    yield f'[mindee]\napi_key = "{key[:16]}" + "{key[16:]}"\n'
    yield f'[mindee]\napi_key = "{key[:16]}"\n    "{key[16:]}"\n'
    yield f"MINDEE = {{\n    'api_key': '{key[:10]}' '{key[10:20]}' '{key[20:]}',\n}}\n"
    yield f"const mindeeConfig = {{\n  apiKey: '{key[:8]}' +\n    '{key[8:]}',\n}};\n"
    yield f"mindee:\n  api_key: {_b64(key)}\n"
    section = f"mindee:\n  api_key: {key}\n"
    yield f"mindee_settings = '{_b64(section)}'\n"
    yield f'{{"mindee": {{"api_key": "{_escaped(key)}"}}}}\n'
    yield f'{{"mindee": {{"api_key": "{key[:16]}\\u0030{key[17:]}"}}}}\n'
    yield f"mindee = Client(api_key='{key.upper()}')\n"
    yield f"mindee:\n  api_key: {v2_key()}\n"
    yield f"# mindee checksum\nsha = '{key}'\n"
    yield f"mindee_logo = '{_b64('a plain text picture of a logo')}'\n"
    yield "mindee_name = 'Mindee' + 'Client'\n"
    # Found only through the wide rule's own hit: each needs one gate (the shape, a decoder's input).
    yield f"mindee:\n  endpoint: https://api.example.com/v1\n  tokenLegacy: {key}\n"
    yield f'mindee_config = "{_b64("token: " + key)}"\n'
    yield f'mindee_config = "t\\u006fken: {key[:15]}\\u00{ord(key[15]):02x}{key[16:]}"\n'
    yield f'mindee_config = "t" "oken: {key[:15]}" "{key[15:]}"\n'
    yield f'mindee:\n  tok"+"en: "{key[:15]}"+"{key[15:]}"\n'
    yield f'mindee = {{"tok" "en": "{key[:15]}"\n    "{key[15:]}"}}\n'
    # The other legacy rules' names (MINDEE_API_KEY, api_key=...: wide too), without and with a gate.
    yield "client = Client(api_key=os.environ['MINDEE_API_KEY'])\n"
    yield "const apiKey = process.env.MINDEE_API_KEY;\nif (!apiKey) { throw new Error('MINDEE_API_KEY'); }\n"
    yield "env:\n  - name: MINDEE_API_KEY\n    valueFrom:\n      secretKeyRef: {name: mindee, key: api-key}\n"
    yield 'curl -H "Authorization: Token $MINDEE_API_KEY" https://api.mindee.net/v1/products\n'
    yield f'MINDEE_API_KEY = "{key[:16]}" "{key[16:]}"\n'
    yield f"MINDEE_API_KEY = '{key[:16]}' +\n    '{key[16:]}'\n"
    yield f"export MINDEE_API_KEY={_b64(key)}\n"
    yield f'{{"MINDEE_API_KEY": "{_escaped(key)}"}}\n'
    yield f"https://api.mindee.net/v1/products?api_key={_escaped(key)}\n"
    # Found only through mindee-legacy-api-key's hit (no operator: generic-secret has none) and one gate.
    # A digit in the middle escaped: no json-escape hit (`\u0030`-`\u0039`) and no 32-hex run left.
    digit = next((i for i in range(10, 22) if key[i].isdigit()), None)
    key = key if digit is not None else key[:10] + "7" + key[11:]
    digit = 10 if digit is None else digit
    yield f"ENV MINDEE_API_KEY {key}\n"
    yield f'ENV MINDEE_API_KEY "{key[:16]}" "{key[16:]}"\n'
    yield f"ENV MINDEE_API_KEY {_b64(key)}\n"
    yield f"ENV MINDEE_API_KEY {key[:digit]}\\u00{ord(key[digit]):02x}{key[digit + 1 :]}\n"


def mirror_files(limit: int = 400) -> Iterator[tuple[str, bytes]]:
    """Text files of Mindee's client repositories at their HEAD, where this machine has them."""
    for repo in sorted(MINDEE_MIRRORS.glob("mindee+mindee-api-*/repo")):
        ls = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-l", "HEAD"], capture_output=True, text=True)
        entries = [line.split() for line in ls.stdout.splitlines()]
        blobs = [e[2] for e in entries if e[1] == "blob" and int(e[3]) < 1 << 18][:limit]
        batch = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "--batch"], input="\n".join(blobs).encode(), capture_output=True
        )
        out, pos = batch.stdout, 0
        while pos < len(out):
            header_end = out.index(b"\n", pos)
            sha, _, size = out[pos:header_end].split()
            start = header_end + 1
            yield f"{repo.parent.name}:{sha.decode()}", out[start : start + int(size)]
            pos = start + int(size) + 1


def hook_texts() -> Iterator[tuple[str, bytes]]:
    yield from texts()
    for i, text in enumerate(mindee_client_texts()):
        for j, data in enumerate(variants(text)):
            yield f"client-{i}-{j}", data
            yield f"client-{i}-{j}-in-a-file", b"# mindee\n" * 40 + data + b"\nmindee = 1\n" * 40
    yield from mirror_files()


@pytest.mark.timeout(600)
def test_hook_database_passes_over_only_what_scans_to_nothing() -> None:
    checked = passed_over = 0
    for name, raw in hook_texts():
        if not is_plain_text(raw):
            continue
        if not HOOK.may_match(raw):
            assert DETECTOR.scan(raw) == [], name
            passed_over += has_hit(raw)  # the wide rule's hits, passed over
        checked += 1
    assert checked > 1000 and passed_over > 100  # the texts did exercise the wide rule's case


def test_hook_database_still_stops_at_every_shape() -> None:
    """Each of the wide rule's gates, alone beside the word, sends the text to the full path."""
    assert not HOOK.may_match(b"mindee_client = Client()\n")
    assert HOOK.may_match(f"# mindee\nsha = '{v1_key()}'\n".encode())
    assert HOOK.may_match(b"# mindee\nname = \\u0041BC\n")
    assert HOOK.may_match(b"# mindee\nname = 'ab' + 'cd'\n")
    assert HOOK.may_match(f"# mindee\nlogo = '{_b64('plain text, long enough to decode')}'\n".encode())
    assert not HOOK.may_match(b"# mindee\ngetMindeeClientFromTheEnvironment()\n")  # mixed case, not text
    named = b"MINDEE_API_KEY = os.environ['MINDEE_API_KEY']\n"  # mindee-legacy-api-key's and -name-value's hits
    assert not HOOK.may_match(named)
    assert HOOK.may_match(named + f"sha = '{v1_key()}'\n".encode())
    assert HOOK.may_match(named + b"name = \\u0041BC\n")
    assert HOOK.may_match(named + b"name = 'ab' + 'cd'\n")
    assert HOOK.may_match(named + f"logo = '{_b64('plain text, long enough to decode')}'\n".encode())


# -- the gates count on the lines the wide rules' windows touch ------------------------------------------

_FILLER = "".join(f"# line {i} of a module that talks about other things entirely\n" for i in range(40))


def test_a_gate_far_from_every_wide_hit_is_passed_over() -> None:
    """Python's implicit concatenation, a changelog's "`a` & `b`": a join more than a window away from
    every `mindee`/`MINDEE_API_KEY` cannot be read by any decoder the wide rules' windows start."""
    head = "import os\nMINDEE_API_KEY = os.environ['MINDEE_API_KEY']\n"
    for tail in (
        'MESSAGE = (\n    "check your configuration.\\n"\n    "You can set it here"\n)\n',
        "* update `urllib` & `pillow` dependencies\n",
        "name = \\u0041BC\n",
        f"logo = '{_b64('plain text, long enough to decode')}'\n",
        f"sha = '{v1_key()}'\n",
    ):
        far = (head + _FILLER + tail).encode()
        assert not HOOK.may_match(far), tail
        assert DETECTOR.scan(far) == []
        assert HOOK.may_match((head + tail).encode()), tail  # within a window: the full path decides


def test_each_wide_rule_reads_its_own_window() -> None:
    """A base64 value 900 bytes under a `mindee:` section (inside that rule's 1 KB window, outside
    every other rule's) decodes to a legacy key: the section rule's window must count, whole."""
    key = v1_key()
    blob = _b64(f"MiNdEe_KeY={key}")  # mixed case: no base64 fragment of `mindee` hits
    lines = "".join(f"  # {i:02d} {'setting notes ' * 6}\n" for i in range(9))
    text = f"mindee:\n{lines}  blob: {blob}\n".encode()
    assert 700 < text.index(blob.encode()) < 1024
    assert [m.rule_id for m in DETECTOR.scan(text)] == ["mindee-legacy-api-key"]
    assert HOOK.may_match(text)


def test_dense_wide_hits_count_every_gate_in_the_file() -> None:
    """With a burst of one wide rule's hits the full path finds them as clusters (wider windows): then
    a gate anywhere in the file sends it to the full path."""
    dense = "mindee " * 600 + "\n"
    far = dense + _FILLER * 2 + 'x = "ab" "cd"\n'
    assert HOOK.may_match(far.encode())
    assert not HOOK.may_match((dense + _FILLER * 2).encode())
