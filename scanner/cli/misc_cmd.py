"""`mindee-scan version` and `mindee-scan completion SHELL`: small commands that never load the scanner."""

from __future__ import annotations

import click

_SHELLS = ("bash", "zsh", "fish")


@click.command("version")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def version_command(fmt: str) -> int:
    """Print the version of mindee-scan, Python and git (what a bug report needs)."""
    import json
    import platform
    import shutil
    import subprocess

    from scanner import __version__

    git = shutil.which("git")
    git_version = ""
    if git:
        proc = subprocess.run([git, "--version"], capture_output=True, text=True, check=False)
        git_version = proc.stdout.strip().removeprefix("git version ")
    if fmt == "json":
        doc = {"mindee_scan": __version__, "python": platform.python_version(), "git": git_version or None}
        click.echo(json.dumps(doc))
    else:
        click.echo(f"mindee-scan {__version__} (Python {platform.python_version()}, git {git_version or 'not found'})")
    return 0


@click.command("completion")
@click.argument("shell", type=click.Choice(_SHELLS))
def completion_command(shell: str) -> int:
    """Print the shell completion script for SHELL.

    \b
    bash: mindee-scan completion bash > ~/.local/share/bash-completion/completions/mindee-scan
    zsh:  mindee-scan completion zsh > "${fpath[1]}/_mindee-scan"
    fish: mindee-scan completion fish > ~/.config/fish/completions/mindee-scan.fish
    """
    from click.shell_completion import get_completion_class

    from scanner.cli.main import cli

    cls = get_completion_class(shell)
    assert cls is not None  # every choice above is a shell click knows
    click.echo(cls(cli, {}, "mindee-scan", "_MINDEE_SCAN_COMPLETE").source(), nl=False)
    return 0
