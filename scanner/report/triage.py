"""How a triage decision (from an audit store) reads in every report format, worded once.

A secret a human triaged revoked, false-positive or accepted-risk (until its expiry) is no longer
urgent, whatever the last verification said; an accepted risk past its expiry is open again and says so.
"""

from __future__ import annotations

from scanner.model import Finding

# Order of urgency for reports that rank findings: what a human closed goes last.
CLOSED_RANK = {"accepted-risk": 0, "false-positive": 1, "revoked": 2}


def label(f: Finding) -> str | None:
    """One line: `revoked by alice at 2024-05-01T10:00:00+00:00: note`, or None when never triaged."""
    t = f.decisions.triage
    if t is None or (t.state == "open" and not t.note):
        return None
    state = t.effective_state()
    text = t.state if state == t.state else f"{t.state} (expired on {t.expires}: open again)"
    if t.expires and state == t.state:
        text += f" until {t.expires}"
    if t.who:
        text += f" by {t.who}"
    if t.at:
        text += f" at {t.at}"
    return text + (f": {t.note}" if t.note else "")


def status(f: Finding) -> str:
    """What a reader acts on: a closed triage state first, else the verification verdict."""
    return f.triaged or f.decisions.verification.verdict


def sarif_suppression(f: Finding) -> dict[str, object] | None:
    """A SARIF `suppressions` entry for a closed secret (code scanning shows it as dismissed)."""
    state = f.triaged
    if state is None or f.decisions.triage is None:
        return None
    justification = f"triaged {state}" + (f" by {f.decisions.triage.who}" if f.decisions.triage.who else "")
    if f.decisions.triage.note:
        justification += f": {f.decisions.triage.note}"
    if f.decisions.triage.expires:
        justification += f" (until {f.decisions.triage.expires})"
    return {"kind": "external", "status": "accepted", "justification": justification}
