"""What a Mindee key looks like, written once: detection, redaction and `verify` all read it here.

A leaf: it imports nothing from scanner, so every part may use it (the layering test says so).
The rules in rules/mindee.yaml are data and spell their own patterns, context included.
"""

from __future__ import annotations

import re

# Body lengths Mindee has issued after `md_`: 32 alphanumerics, or 43 base64url characters.
MINDEE_BODY_LENGTHS = (32, 43)
_SHORT, _LONG = MINDEE_BODY_LENGTHS
# A legacy (v1) key: 32 lowercase hex, no prefix.
_V1_LENGTH = 32

# Exactly a current key (what `mindee-scan verify` accepts as one).
V2_KEY = re.compile(rf"md_(?:[A-Za-z0-9]{{{_SHORT}}}|[A-Za-z0-9_-]{{{_LONG}}})")
# Exactly a legacy key.
V1_KEY = re.compile(rf"[0-9a-f]{{{_V1_LENGTH}}}")
# Anything shaped like either in free text: masked in messages and snippets where no finding says where.
KEY_LIKE = re.compile(rf"md_[A-Za-z0-9_\-]{{{_SHORT},{_LONG}}}|(?<![0-9A-Fa-f])[0-9a-f]{{{_V1_LENGTH}}}(?![0-9A-Fa-f])")
