"""Keys written encoded, as they appear in real files: base64 (once, twice, three times, next to a
clear key), JSON `\\uXXXX` escapes, string literals joined by concatenation, UTF-16 in binaries.

Each shape is checked with both prefilter engines; every match must point at the encoded value
(`data[start:end]`), which is what snippets mask. Recall per encoding is printed with `-s`.
"""

from __future__ import annotations

import base64
import functools
import secrets
from collections.abc import Callable

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector
from scanner.detect.findings import FindingBuilder
from tests.testing.keys import raw_v2_key, raw_v2_long_key, v1_key, v2_key, v2_long_key

_ENGINES: dict[bool, Detector] = {}


@pytest.fixture(params=[True, False], ids=["hyperscan", "python"])
def detector(request: pytest.FixtureRequest) -> Detector:
    if request.param not in _ENGINES:
        _ENGINES[request.param] = build_detector(Config(), use_hyperscan=request.param)
    return _ENGINES[request.param]


def _b64(text: str, times: int = 1) -> str:
    for _ in range(times):
        text = base64.b64encode(text.encode()).decode()
    return text


def _found(detector: Detector, text: str | bytes) -> list[tuple[str, str | None, bytes]]:
    data = text.encode() if isinstance(text, str) else text
    return [(m.secret, m.encoding, data[m.start : m.end]) for m in detector.scan(data)]


# -- base64 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("clear_first", [True, False])
def test_a_clear_key_and_a_base64_key_on_one_line_are_both_reported(detector: Detector, clear_first: bool) -> None:
    clear, hidden = v2_key(), v2_key()
    encoded = _b64(hidden)
    parts = [f'"clear": "{clear}"', f'"encoded": "{encoded}"']
    line = "{" + ", ".join(parts if clear_first else parts[::-1]) + "}\n"
    assert sorted(_found(detector, line)) == sorted(
        [(clear, None, clear.encode()), (hidden, "base64", encoded.encode())]
    )


def test_the_same_key_in_clear_and_in_base64_on_one_line_is_reported_twice(detector: Detector) -> None:
    key = v2_key()
    encoded = _b64(key)
    assert _found(detector, f"KEY={key} KEY_B64={encoded}\n") == [
        (key, None, key.encode()),
        (key, "base64", encoded.encode()),
    ]


def test_a_legacy_key_beside_a_base64_key(detector: Detector) -> None:
    legacy, hidden = v1_key(), v2_key()
    encoded = _b64(hidden)
    found = _found(detector, f"MINDEE_API_KEY={legacy} MINDEE_V2_API_KEY={encoded}\n")
    assert found == [(legacy, None, legacy.encode()), (hidden, "base64", encoded.encode())]


def test_two_keys_in_one_base64_env_blob_are_both_reported(detector: Detector) -> None:
    legacy, key = v1_key(), v2_key()
    blob = _b64(f"MINDEE_API_KEY={legacy}\nMINDEE_V2_API_KEY={key}\n")
    found = _found(detector, f"kind: Secret\ndata:\n  app.env: {blob}\n")
    assert sorted(found) == sorted([(legacy, "base64", blob.encode()), (key, "base64", blob.encode())])


@pytest.mark.parametrize("times", [1, 2, 3])
def test_a_key_base64_encoded_up_to_three_times_is_found(detector: Detector, times: int) -> None:
    key, legacy = v2_key(), v1_key()
    for name, value in (("MINDEE_V2_API_KEY", key), ("MINDEE_API_KEY", legacy)):
        encoded = _b64(value, times)
        assert _found(detector, f"  {name}: {encoded}\n") == [(value, "base64", encoded.encode())]
    if times == 1:  # no Mindee name on the line: the fragments of `md_` in base64 open the decoder
        encoded = _b64(key)
        assert _found(detector, f"  token: {encoded}\n") == [(key, "base64", encoded.encode())]


# -- JSON \uXXXX escapes ----------------------------------------------------------------------------


def _escape_all(text: str, upper: bool = False) -> str:
    return "".join((f"\\u{ord(c):04X}" if upper else f"\\u{ord(c):04x}") for c in text)


def _json(value: str) -> str:
    return '{"apiKey": "' + value + '"}'


_JSON_SHAPES: dict[str, Callable[[str], str]] = {
    "underscore": lambda k: _json(k.replace("_", "\\u005f")),
    "underscore-upper-hex": lambda k: _json(k.replace("_", "\\u005F")),
    "one-body-char": lambda k: _json(f"{k[:10]}\\u{ord(k[10]):04x}{k[11:]}"),
    "whole-key": lambda k: _json(_escape_all(k)),
    "whole-key-upper": lambda k: _json(_escape_all(k, upper=True)),
    "notebook-source": lambda k: '    "client = Client(api_key=\\"' + k.replace("_", "\\u005f", 1) + '\\")\\n",',
    "html-escaped-config": lambda k: '{"html":"\\u003cscript\\u003ekey=\\u0027' + _escape_all(k) + '\\u0027"}',
}


@pytest.mark.parametrize("shape", sorted(_JSON_SHAPES))
def test_json_escaped_keys(detector: Detector, shape: str) -> None:
    for make in (v2_key, v2_long_key):
        key = make()
        text = _JSON_SHAPES[shape](key)
        found = _found(detector, text + "\n")
        assert [(s, e) for s, e, _ in found] == [(key, "json-escape")], (shape, text)
        assert found[0][2].decode().encode().decode("unicode_escape") == key  # the span is the escaped key


def test_json_escaped_legacy_keys(detector: Detector) -> None:
    legacy = v1_key()
    name_escaped = '{"MINDEE\\u005fAPI\\u005fKEY": "' + legacy + '"}\n'
    assert _found(detector, name_escaped) == [(legacy, None, legacy.encode())]
    value_escaped = '{"MINDEE_API_KEY": "' + _escape_all(legacy) + '"}\n'
    assert _found(detector, value_escaped) == [(legacy, "json-escape", _escape_all(legacy).encode())]


@pytest.mark.parametrize(
    "text",
    [
        '{"apiKey": "md\\u005fxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}',
        '{"apiKey": "md\\u005fYOUR_MINDEE_API_KEY_HERE_000000"}',
        '{"fn": "md\\u005fconvert\\u005fmarkdown\\u005fto\\u005fhtml"}',
        '{"css": "md\\u005fButtonExtractUtf8FormatLinkParse"}',
        '{"a\\u005fb": "c\\u005fd", "e": "\\u006d\\u0064"}',
        _json(_escape_all("md_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")),
    ],
)
def test_json_escaped_non_keys(detector: Detector, text: str) -> None:
    assert _found(detector, text + "\n") == []


# -- string concatenation ---------------------------------------------------------------------------

_CONCAT_SHAPES: dict[str, Callable[[str, int], str]] = {
    "js": lambda k, i: f'const client = new mindee.Client({{ apiKey: "{k[:i]}" + "{k[i:]}" }});',
    "ts-single-quotes": lambda k, i: f"const apiKey: string = '{k[:i]}' + '{k[i:]}';",
    "java-next-line": lambda k, i: f'String apiKey = "{k[:i]}" +\n        "{k[i:]}";',
    "java-leading-plus": lambda k, i: f'String apiKey = "{k[:i]}"\n        + "{k[i:]}";',
    "csharp": lambda k, i: f'var client = new MindeeClient("{k[:i]}" + "{k[i:]}");',
    "csharp-verbatim": lambda k, i: f'const string ApiKey = @"{k[:i]}" + @"{k[i:]}";',
    "python-f-string": lambda k, i: f'API_KEY = ("{k[:i]}"\n           f"{k[i:]}")',
    "python-implicit-one-line": lambda k, i: f'API_KEY = "{k[:i]}" r"{k[i:]}"',
    "python-plus": lambda k, i: f'API_KEY = "{k[:i]}" + "{k[i:]}"',
    "python-implicit": lambda k, i: f'API_KEY = (\n    "{k[:i]}"\n    "{k[i:]}"\n)',
    "php-dot": lambda k, i: f"$apiKey = '{k[:i]}' . '{k[i:]}';",
    "php-dot-prefix": lambda k, i: f"$apiKey = 'md_' . '{k[3:]}';",
    "ruby": lambda k, i: f'api_key = "{k[:i]}" + "{k[i:]}"',
    "kotlin": lambda k, i: f'val apiKey = "{k[:i]}" + "{k[i:]}"',
    "dart": lambda k, i: f"final apiKey = '{k[:i]}' + '{k[i:]}';",
    "three-parts": lambda k, i: f'key = "{k[:i]}" + "{k[i : i + 9]}" + "{k[i + 9 :]}"',
}


@pytest.mark.parametrize("shape", sorted(_CONCAT_SHAPES))
def test_keys_split_by_concatenation(detector: Detector, shape: str) -> None:
    for make in (v2_key, v2_long_key):
        key = make()
        cut = 3 + secrets.randbelow(20)
        text = _CONCAT_SHAPES[shape](key, cut)
        found = _found(detector, text + "\n")
        assert [(s, e) for s, e, _ in found] == [(key, "concatenation")], (shape, text)
        span = found[0][2].decode()
        assert span.startswith(key[:3]) and span.endswith(key[-3:])


def test_legacy_key_split_by_concatenation(detector: Detector) -> None:
    legacy = v1_key()
    found = _found(detector, f'MINDEE_API_KEY = "{legacy[:16]}" + "{legacy[16:]}"\n')
    assert [(s, e) for s, e, _ in found] == [(legacy, "concatenation")]
    # A file that talks to Mindee: the header rule reads the joined value too.
    text = (
        "import requests\n"
        f'requests.post(URL, headers={{"Authorization": "Token {legacy[:8]}" + "{legacy[8:]}"}})\n'
        'URL = "https://api.mindee.net/v1/products/mindee/invoices/v4/predict"\n'
    )
    assert (legacy, "concatenation") in {(s, e) for s, e, _ in _found(detector, text)}


@pytest.mark.parametrize(
    "text",
    [
        'name = "md_" + "convert_markdown_to_html_page_v2"',
        'key = "md_YOUR_MINDEE_" + "API_KEY_HERE_0000000000"',
        'key = "md_xxxxxxxxxxxxxxxx" + "xxxxxxxxxxxxxxxx"',
        "key = 'md_' . 'REPLACE_ME_WITH_YOUR_OWN_KEY_00000'",
        'key = "md_" + suffix + "Jq8ZtR2mXc4VbN7pLs9KdF3wHy6GaE1U"',
        'css = "md_" + "ButtonExtractUtf8FormatLinkParse"',
        'path = "md_files/" + "Jq8ZtR2mXc4VbN7pLs9KdF3wHy6GaE1U"',
        'MINDEE_API_KEY = "0123456789abcdef" + "0123456789abcdef"',
        'log("mindee api key: " + "loaded")',
    ],
)
def test_concatenated_non_keys(detector: Detector, text: str) -> None:
    assert _found(detector, text + "\n") == []


def test_separate_arguments_are_not_joined(detector: Detector) -> None:
    key = v2_key()
    assert _found(detector, f'f("{key[:20]}", "{key[20:]}")\n') == []


# -- UTF-16 in binaries -----------------------------------------------------------------------------


def _dotnet_assembly(strings: list[str]) -> bytes:
    """Bytes shaped like a .NET assembly: a PE header, code, and a #US heap of UTF-16LE strings."""
    heap = b"\x00"
    for s in strings:
        wide = s.encode("utf-16-le")
        heap += bytes([len(wide) + 1]) + wide + b"\x00"
    return b"MZ\x90\x00" + secrets.token_bytes(4000) + b"#US\x00" + heap + secrets.token_bytes(2000)


def test_a_key_stored_as_utf16_in_a_binary(detector: Detector) -> None:
    key, long_key = v2_key(), v2_long_key()
    blob = _dotnet_assembly(["https://api-v2.mindee.net", key, "Authorization", long_key, "{0}"])
    found = FindingBuilder(detector).from_bytes(blob, "bin/App.dll")[0]
    assert [(f.secret.reveal(), f.context.encoding) for f in found] == [(key, "utf-16-le"), (long_key, "utf-16-le")]
    spans = [(m.start, m.end) for m in detector.scan(blob, binary=True)]
    assert [blob[s:e].decode("utf-16-le") for s, e in spans] == [key, long_key]


def test_utf16_non_keys_in_a_binary(detector: Detector) -> None:
    blob = _dotnet_assembly(
        [
            "md_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "md_convert_markdown_to_html_page_v2",
            "cmd_Jq8ZtR2mXc4VbN7pLs9KdF3wHy6GaE1U",
        ]
    )
    assert FindingBuilder(detector).from_bytes(blob, "bin/App.dll")[0] == []


def test_other_prefixed_keys_as_utf16_in_a_binary(detector: Detector) -> None:
    token = "ghp_" + "".join(
        secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(36)
    )
    found = FindingBuilder(detector).from_bytes(_dotnet_assembly([token]), "bin/App.dll")[0]
    assert [(f.rule.id, f.secret.reveal(), f.context.encoding) for f in found] == [("github-token", token, "utf-16-le")]


# -- recall per encoding ----------------------------------------------------------------------------


def _line(shape: Callable[[str], str]) -> Callable[[str], str]:
    return lambda key: shape(key) + "\n"


def _split(shape: Callable[[str, int], str], key: str) -> str:
    return shape(key, 3 + secrets.randbelow(20))


def test_recall_per_encoding() -> None:
    """Raw `secrets` keys (not pre-filtered): every new encoding finds what the same key finds in clear."""
    detector = build_detector(Config())
    shapes: dict[str, Callable[[str], str | bytes]] = {
        "base64x1": lambda k: f"  MINDEE_V2_API_KEY: {_b64(k)}\n",
        "base64x2": lambda k: f"  MINDEE_V2_API_KEY: {_b64(k, 2)}\n",
        "base64x3": lambda k: f"  MINDEE_V2_API_KEY: {_b64(k, 3)}\n",
        **{f"json-{n}": _line(f) for n, f in _JSON_SHAPES.items()},
        **{f"concat-{n}": _line(functools.partial(_split, f)) for n, f in _CONCAT_SHAPES.items()},
        "utf16-dotnet": lambda k: _dotnet_assembly(["Authorization", k]),
    }
    totals: dict[str, list[int]] = {}
    for _ in range(40):
        for make in (raw_v2_key, raw_v2_long_key):
            key = make()
            in_clear = [m.secret for m in detector.scan(f"K = '{key}'\n".encode())] == [key]
            if not in_clear:
                continue  # a random key the filters read as a placeholder: not this test's concern
            for name, shape in shapes.items():
                text = shape(key)
                data = text.encode() if isinstance(text, str) else text
                binary = isinstance(text, bytes)
                hit = any(m.secret == key for m in detector.scan(data, binary=binary))
                got = totals.setdefault(name.split("-")[0] if name.startswith(("json", "concat")) else name, [0, 0])
                got[0] += hit
                got[1] += 1
    for name, (hit, total) in sorted(totals.items()):
        print(f"recall {name}: {hit}/{total} = {hit / total:.3f}")
    assert all(hit == total for hit, total in totals.values()), totals
