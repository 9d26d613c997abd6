"""Findings built by hand for renderer, suppression and verifier tests, from the flat names a test thinks in."""

from __future__ import annotations

from typing import Any

from scanner.model import Decisions, Finding, Judgement, LineContext, Location, Provenance, Secret

_PARTS: dict[str, tuple[str, ...]] = {
    "rule": ("verifier", "confidence", "note", "other_vendor"),
    "where": ("repo",),
    "context": ("line_text", "line_secrets", "line_spans", "encoding"),
    "history": ("commit", "author", "date", "occurrences", "present_at_head", "refs", "staged"),
    "decisions": ("verification", "suppressed_by", "triage"),
}
_CONTEXT_NAMES = {"line_text": "text", "line_secrets": "others", "line_spans": "spans", "encoding": "encoding"}


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
    unknown = set(fields) - {name for names in _PARTS.values() for name in names}
    if unknown:
        raise TypeError(f"make_finding: unknown field(s) {sorted(unknown)}")

    def part(name: str) -> dict[str, Any]:
        return {n: fields[n] for n in _PARTS[name] if n in fields}

    context = {_CONTEXT_NAMES[n]: v for n, v in part("context").items()}
    return Finding(
        Judgement(rule_id, description, severity, **part("rule")),
        Location(path, line, column, **part("where")),
        Secret.of(secret),
        LineContext(**context),
        Provenance(**part("history")),
        Decisions(**part("decisions")),
    )
