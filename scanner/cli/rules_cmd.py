"""`mindee-scan rules`: list the rules in check order, so users can see what runs and disable by id."""

from __future__ import annotations

import click

from scanner.cli.common import config_option


@click.command("rules")
@config_option
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(config_path: str | None, fmt: str) -> int:
    """List the detection rules (Mindee rules first) after the config's additions and removals."""
    import json

    from scanner.app.detector import detector_for
    from scanner.config import load_config

    config = load_config(config_path, ".")
    detector = detector_for(config)
    if fmt == "json":
        rows = [
            {
                "id": r.id,
                "description": r.description,
                "severity": r.severity,
                "verifier": r.verifier,
                "keywords": list(r.keywords),
                "source": r.source,
            }
            for r in detector.rules
        ]
        click.echo(json.dumps({"engine": detector.engine, "rules": rows}, indent=2))
        return 0
    width = max(len(r.id) for r in detector.rules)
    for r in detector.rules:
        verifier = f"  [verify: {r.verifier}]" if r.verifier else ""
        click.echo(f"{r.id.ljust(width)}  {r.severity:<8}  {r.description}{verifier}")
    click.echo(f"\n{len(detector.rules)} rule(s); prefilter engine: {detector.engine}")
    return 0
