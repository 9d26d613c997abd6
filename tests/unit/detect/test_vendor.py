"""Issue 14 items 1 and 4: lowercase md_ keys, bodies of unusual length, and other vendors' md_ tokens."""

from __future__ import annotations

import secrets
import string

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector
from scanner.detect.findings import FindingBuilder

LOWER = string.ascii_lowercase + string.digits
ALNUM = string.ascii_letters + string.digits


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(Config())


def _key(alphabet: str, size: int) -> str:
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(size))
        if any(c.isdigit() for c in body) and any(c.isalpha() for c in body):
            return "md_" + body


def test_lowercase_md_key_after_a_mindee_name_is_found_at_high_confidence(detector: Detector) -> None:
    key = _key(LOWER, 32)
    matches = detector.scan(f'MINDEE_V2_API_KEY = "{key}"\n'.encode())
    assert [(m.rule_id, m.secret, m.confidence, m.other_vendor) for m in matches] == [
        ("mindee-api-key", key, "high", None)
    ]


def test_md_key_of_an_unusual_length_is_reported_at_medium_confidence_with_a_note(detector: Detector) -> None:
    key = _key(ALNUM, 44)
    (match,) = detector.scan(f"MINDEE_V2_API_KEY={key}\n".encode())
    assert match.secret == key
    assert match.confidence == "medium"
    assert "44-character" in match.note


@pytest.mark.parametrize(
    ("text", "vendor"),
    [
        ("MACRODATA_API_KEY={k}\n", "Macrodata"),
        ('from macrodata import Client as MacrodataClient\nclient = MacrodataClient(token="{k}")\n', "Macrodata"),
        ("integrations:\n  medidata:\n    api_token: {k}\n  mindee:\n    api_key: {k2}\n", "Medidata"),
    ],
)
def test_md_token_whose_context_names_another_vendor_is_labelled_and_never_verified(
    detector: Detector, text: str, vendor: str
) -> None:
    key, mindee_key = _key(ALNUM, 32), _key(LOWER, 32)
    data = text.format(k=key, k2=mindee_key).encode()
    by_secret = {m.secret: m for m in detector.scan(data)}
    other = by_secret[key]
    assert other.other_vendor == vendor
    assert other.confidence == "low" and vendor in other.note
    finding = FindingBuilder(detector).to_finding(other, data, "settings.yaml")
    assert finding.rule.verifier is None and not finding.may_verify
    if mindee_key in text.format(k=key, k2=mindee_key):
        assert by_secret[mindee_key].other_vendor is None


@pytest.mark.parametrize(
    "name",
    ["MINDEE_V2_API_KEY", "API_KEY", "apiKey", "OCR_API_KEY", "NEXT_PUBLIC_MINDEE_KEY", "INVOICE_PARSER_TOKEN", "key"],
)
def test_generic_and_mindee_names_keep_a_key_mindee_s(detector: Detector, name: str) -> None:
    key = _key(LOWER, 32)
    (match,) = detector.scan(f'{name} = "{key}"\n'.encode())
    assert match.other_vendor is None and match.confidence == "high"


@pytest.mark.parametrize(
    "body",
    [
        "invoiceparserv2htmlrenderertable",  # glued words
        "9e107d9d372bb6826bd81d3542a419d6",  # an MD5: md_ + hash is a cache key
        "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",  # two sequences typed in turn
        "00000000000000000000000000000000",
    ],
)
def test_lowercase_bodies_that_are_words_hashes_or_patterns_are_not_keys(detector: Detector, body: str) -> None:
    assert detector.scan(f'MINDEE_V2_API_KEY = "md_{body}"\n'.encode()) == []


@pytest.mark.parametrize("section", ["spec", "stringData", "with", "ocr", "receipts-service", "env"])
def test_a_config_section_that_names_no_vendor_keeps_a_key_mindee_s(detector: Detector, section: str) -> None:
    key = _key(LOWER, 32)
    (match,) = detector.scan(f"{section}:\n  api-key: {key}\n".encode())
    assert match.other_vendor is None and match.confidence == "high"
