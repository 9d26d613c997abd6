"""Renderers: pure functions `render(result, options) -> str`, one module per format, imported on demand."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from scanner.model import ScanResult
from scanner.record import record

FORMATS: dict[str, str] = {
    "text": "scanner.report.text",
    "json": "scanner.report.json_report",
    "jsonl": "scanner.report.jsonl",
    "sarif": "scanner.report.sarif",
    "html": "scanner.report.html",
    "junit": "scanner.report.junit",
    "csv": "scanner.report.csv_report",
    "gitlab": "scanner.report.gitlab",  # gl-secret-detection-report.json
}


@record(frozen=True)
class RenderOptions:
    show_secrets: bool = False
    color: bool = False
    verbose: bool = False
    quiet: bool = False
    hook: str | None = None  # "pre-commit" / "pre-push": text output explains how to unblock


def available_formats() -> list[str]:
    import importlib.util

    return [name for name, module in FORMATS.items() if importlib.util.find_spec(module) is not None]


def render(result: ScanResult, fmt: str, options: RenderOptions) -> str:
    module = importlib.import_module(FORMATS[fmt])
    text: str = module.render(result, options)
    return text


def render_chunks(result: ScanResult, fmt: str, options: RenderOptions) -> Iterator[str]:
    """The same text as `render`, in pieces as they are made: a report of 30,000 findings is written out
    without being held whole (formats with a `chunks` function; the others in one piece)."""
    module = importlib.import_module(FORMATS[fmt])
    chunks = getattr(module, "chunks", None)
    if chunks is None:
        yield module.render(result, options)
    else:
        yield from chunks(result, options)
