"""`decode_line`: a rule whose keyword is on a line but whose regex finds nothing there has that line's
base64 values decoded and scanned, unless the rule opts out (generic-secret, whose keywords sit on
thousands of ordinary lines of code and which matches encoded values as they are)."""

from __future__ import annotations

import base64
import random
import secrets
import string

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector
from scanner.detect.rules import parse_rule_file
from scanner.errors import ConfigError

_RULE = """\
rules:
  - id: custom-token
    description: test token
    regex: '(?i:custom_token)\\s*[:=]\\s*(?P<secret>tok_[a-z0-9]{{16}})\\b'
    keywords: [custom_token]
    window: [0, 80]
    {extra}
    examples:
      match: ['custom_token = tok_abcdefgh12345678']
"""


def _rule_detector(extra: str) -> Detector:
    rules = parse_rule_file(_RULE.format(extra=extra), "test.yaml")
    return Detector(rules, use_hyperscan=False)


def _k8s_line(name: str, value: str) -> bytes:
    return f"  {name}: {base64.b64encode(value.encode()).decode()}\n".encode()


def test_rule_decodes_its_line_by_default_and_not_when_it_opts_out() -> None:
    token = "tok_" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(16))
    data = b"kind: Secret\ndata:\n" + _k8s_line("custom_token", f"custom_token={token}")
    found = _rule_detector("").scan(data)
    assert [(m.secret, m.encoding, m.line) for m in found] == [(token, "base64", 3)]
    assert _rule_detector("decode_line: false").scan(data) == []


def test_aws_secret_in_a_kubernetes_secret_is_still_decoded() -> None:
    alphabet = string.ascii_letters + string.digits + "+/"
    secret = "".join(secrets.choice(alphabet) for _ in range(40))
    data = b"data:\n" + _k8s_line("aws_secret_access_key", f"aws_secret_access_key = {secret}")
    found = build_detector(Config()).scan(data)
    assert any(m.secret == secret and m.encoding == "base64" for m in found), found


def test_generic_secret_reports_a_base64_value_as_it_is() -> None:
    # A fixed fake password (seeded, so no literal for the project's own scan): about 1% of random
    # 24-character ones encode to a value the generic rule's randomness filters drop, which made this
    # test fail now and then.
    password = "".join(random.Random(17).choices(string.ascii_letters + string.digits, k=24))
    encoded = base64.b64encode(password.encode()).decode()
    found = build_detector(Config()).scan(f"DB_PASSWORD = '{encoded}'\n".encode())
    assert [(m.rule_id, m.secret, m.encoding) for m in found] == [("generic-secret", encoded, None)]


def test_decode_line_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="decode_line must be true or false"):
        parse_rule_file(_RULE.format(extra="decode_line: 'no'"), "test.yaml")
