"""The detector for scans that read a few blobs themselves (audit's HEAD check, key recovery, `rules`).

Building a detector is the application layer's job: callers above it get one from here, never from
scanner.detect, so the rules a scan uses are assembled in one layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.detect.engine import Detector
    from scanner.detect.findings import FindingBuilder


def detector_for(config: Config, use_hyperscan: bool = True) -> Detector:
    """The detector a scan with `config` runs (built-in rules, then the config's additions and removals)."""
    from scanner.detect.build import build_detector

    return build_detector(config, use_hyperscan)


# The last detector built for a history scan, with what it was built from: an audit worker scans
# repository after repository with one config, and rebuilding the rules and the Hyperscan database for
# each was the largest part of its per-repository overhead (3.7% of scan time, docs/benchmarks.md).
_LAST_HISTORY_DETECTOR: list[tuple[Config, bool, Detector]] = []


def history_detector(config: Config, use_hyperscan: bool = True) -> Detector:
    """The detector for a history scan, built once per process for equal configs (detection keeps no
    state between scans that changes an answer: its caches are keyed by the text they judged)."""
    for built_from, hyperscan, detector in _LAST_HISTORY_DETECTOR:
        if hyperscan == use_hyperscan and built_from == config:
            return detector
    detector = detector_for(config, use_hyperscan)
    _LAST_HISTORY_DETECTOR[:] = [(config, use_hyperscan, detector)]
    return detector


def finding_builder(config: Config) -> FindingBuilder:
    """Turns a blob's bytes into located findings, as a scan of that blob would."""
    from scanner.detect.findings import FindingBuilder

    return FindingBuilder(detector_for(config))


def other_vendor_named(name: str, secret: str) -> str | None:
    """The vendor a variable's name gives an `md_` key (`MACRODATA_API_KEY=md_…`), judged as a scan judges
    `NAME=key`; None when nothing says it is not Mindee's."""
    from scanner.detect.vendor import judge_md_token

    line = f"{name}={secret}".encode()
    return judge_md_token(secret, line, len(name) + 1).other_vendor


def repository_top(path: str) -> str:
    """The git dir or work tree a scan of the repository at `path` runs in (a clear error if it is none)."""
    from scanner.sources.git.gitio import repo_toplevel

    return repo_toplevel(path)[0]
