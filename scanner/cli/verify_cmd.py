"""`mindee-scan verify`: is one Mindee key live? The key comes from stdin or an env var, never from argv."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from scanner.detect.shapes import V1_KEY, V2_KEY
from scanner.errors import UsageError

_MAX_STDIN = 64 * 1024
_ARGV_REFUSAL = (
    "refusing to read a key from the command line: it would land in your shell history and in `ps` output. "
    "Pipe it on stdin (e.g. `printenv MINDEE_V2_API_KEY | mindee-scan verify`) "
    "or name an environment variable with --from-env NAME."
)


@click.command("verify")
@click.argument("refused", nargs=-1, metavar="", required=False)
@click.option("--from-env", "from_env", metavar="NAME", help="Read the key from environment variable NAME.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--mindee-v2-url", envvar="MINDEE_SCAN_V2_URL", help="Mindee v2 API base URL (for proxies/tests).")
@click.option("--mindee-v1-url", envvar="MINDEE_SCAN_V1_URL", help="Mindee v1 API base URL (for proxies/tests).")
def verify_command(refused: tuple[str, ...], from_env: str | None, fmt: str, **kwargs: Any) -> int:
    """Check whether one Mindee key is live (sends it to Mindee; read-only request, no credits).

    The key is read from stdin (hidden prompt on a terminal) or from --from-env NAME.

    Exit codes: 0 revoked (deleted or never valid), 1 LIVE (revoke it now), 2 unknown or error.
    """
    if refused:
        raise UsageError(_ARGV_REFUSAL)
    secret = _read_key(from_env)
    verifier_name = classify(secret)
    if verifier_name is None:
        raise UsageError(
            "this does not look like a Mindee API key (expected md_ + 32 or 43 characters, or 32 lowercase hex)"
        )
    if from_env and verifier_name == "mindee-v2":
        _refuse_other_vendor(from_env, secret)

    from scanner.verify import Verifier

    verifier = Verifier.from_urls(kwargs["mindee_v2_url"], kwargs["mindee_v1_url"])
    for warning in verifier.warnings:
        click.echo(f"note: {warning}", err=True)
    verification = verifier.verify(secret, verifier_name)
    base = verifier.v2 if verifier_name == "mindee-v2" else verifier.v1
    if fmt == "json":
        click.echo(_json(secret, verifier_name, verification, str(base)))
    else:
        click.echo(_text(secret, verification, str(base)))
    return {"live": 1, "revoked": 0}.get(verification.verdict, 2)


def _refuse_other_vendor(name: str, secret: str) -> None:
    """`--from-env MACRODATA_API_KEY`: the variable's name is the key's context, judged as a scan would judge it."""
    from scanner.app.detector import other_vendor_named

    vendor = other_vendor_named(name, secret)
    if vendor:
        raise UsageError(
            f"the variable name {name} says this md_ key belongs to {vendor}, not Mindee: it was not sent to "
            f"Mindee. If it is a Mindee key, pipe it on stdin instead (`printenv {name} | mindee-scan verify`)."
        )


def classify(secret: str) -> str | None:
    if V2_KEY.fullmatch(secret):
        return "mindee-v2"
    if V1_KEY.fullmatch(secret):
        return "mindee-v1"
    return None


def _read_key(from_env: str | None) -> str:
    if from_env:
        value = os.environ.get(from_env)
        if not value or not value.strip():
            raise UsageError(f"environment variable {from_env} is not set or empty")
        return _one_key(value)
    stdin = sys.stdin
    if stdin.isatty():
        return _one_key(click.prompt("Mindee API key", hide_input=True, err=True))
    data = stdin.read(_MAX_STDIN + 1)
    if len(data) > _MAX_STDIN:
        raise UsageError("stdin is too large for one key")
    if not data.strip():
        raise UsageError("no key on stdin: pipe one key, or use --from-env NAME")
    return _one_key(data)


def _one_key(raw: str) -> str:
    value = raw.strip()
    if any(c.isspace() for c in value):
        raise UsageError("expected exactly one key (got several words or lines)")
    return value


def _text(secret: str, v: Any, base: str) -> str:
    from scanner.redact import redact
    from scanner.report.remediation import (
        INSIGHTS_ADVICE,
        RECHECK_HINT,
        dashboard_for,
        model_labels,
        rotation_steps,
    )

    kind = "v2" if secret.startswith("md_") else "v1"
    head = f"{redact(secret)}: {v.verdict.upper() if v.verdict == 'live' else v.verdict} ({v.detail})"
    lines = [head, f"checked against {base}" + (f" at {v.checked_at}" if v.checked_at else "")]
    if v.verdict == "live":
        if v.model_count is not None:
            lines.append(f"blast radius: {v.model_count} model(s) reachable" + (":" if v.model_count else ""))
            lines.extend(f"  - {label}" for label in model_labels(v.models, v.model_details, v.model_count))
        lines.append(f"!!! REVOKE NOW: {dashboard_for(kind)}")
        lines.extend(f"  {i}. {step}" for i, step in enumerate(rotation_steps(kind), 1))
        if kind == "v2":
            lines.append(INSIGHTS_ADVICE)
        lines.append(RECHECK_HINT)
    elif v.verdict == "revoked":
        lines.append("The key no longer works. Remove it from code and history; no action on the key itself.")
    else:
        lines.append(f"Could not tell. Treat the key as compromised and rotate it at {dashboard_for(kind)}.")
    return "\n".join(lines)


def _json(secret: str, verifier_name: str, v: Any, base: str) -> str:
    import json

    from scanner.model import secret_hash
    from scanner.redact import redact
    from scanner.report.remediation import INSIGHTS_ADVICE, dashboard_for, rotation_steps

    kind = verifier_name[-2:]
    doc: dict[str, Any] = {
        "key": redact(secret),
        "secret_hash": secret_hash(secret),
        "verifier": verifier_name,
        "key_type": kind,
        "base_url": base,
        "verification": v.to_dict(),
    }
    if v.verdict != "revoked":
        doc["remediation"] = {
            "action": "revoke-now" if v.verdict == "live" else "rotate",
            "dashboard": dashboard_for(kind),
            "steps": list(rotation_steps(kind)),
        }
        if kind == "v2" and v.verdict == "live":
            doc["remediation"]["usage"] = INSIGHTS_ADVICE
    return json.dumps(doc, indent=2, ensure_ascii=False)
