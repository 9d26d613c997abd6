"""Findings built by hand for renderer, suppression and verifier tests, from the flat names a test thinks in."""

from __future__ import annotations

from typing import Any

from scanner.model import Finding, Secret


def make_finding(
    rule_id: str = "mindee-api-key",
    description: str = "Mindee API key",
    severity: str = "critical",
    path: str = "a.py",
    line: int = 1,
    column: int = 1,
    secret: str = "",
    **fields: Any,
) -> Finding:
    """A finding as the detector would make it for `secret` (its identity hashed once, here)."""
    return Finding(rule_id, description, severity, path, line, column, Secret.of(secret), **fields)
