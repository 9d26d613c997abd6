"""The user's `.mindee-scan.yaml`: excludes, allowlists, extra and disabled rules, limits.

Validated as strictly as the rules: an unknown key or a wrong type is an error naming file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from scanner.detect.rules import Rule, line_of, load_yaml, parse_rule
from scanner.errors import ConfigError
from scanner.record import field, record

CONFIG_NAME = ".mindee-scan.yaml"
# Large files and blobs are streamed through the detector in bounded windows (memory stays constant):
# the cap is for what is too big to be anything but data (disk images, videos), not for big text.
DEFAULT_MAX_FILE_SIZE = 1024 * 1024 * 1024

_TOP_KEYS = {"exclude", "allowlist", "rules", "max_file_size", "follow_symlinks", "baseline", "ignore_file"}
_ALLOW_KEYS = {"paths", "regexes", "stopwords"}
_RULES_KEYS = {"disable", "add", "only"}


@record(frozen=True)
class Config:
    source: str | None = None
    exclude: tuple[str, ...] = ()
    allow_paths: tuple[str, ...] = ()
    allow_regexes: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    only_rules: tuple[str, ...] = ()
    extra_rules: tuple[Rule, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    follow_symlinks: bool = False
    baseline: str | None = None
    ignore_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Who wrote it (scanner.trust): "team" for --config, "repository" for the scanned root's own file.
    origin: str = "default"
    # The scanned repository whose own files may be read (its .mindee-scan-ignore, what its config
    # names); None with --config or --ignore-repo-config, and when no single repository is scanned.
    repo_root: str | None = None
    refused: tuple[str, ...] = ()  # what the repository's config asked for and was not granted

    def suppression_files(self) -> tuple[str | None, str | None]:
        """`baseline:` and `ignore_file:` as paths; relative ones are taken from the config file's folder,
        as users write them next to it."""
        base = os.path.dirname(self.source) if self.source else ""
        baseline = os.path.join(base, self.baseline) if self.baseline else None
        ignore_file = os.path.join(base, self.ignore_file) if self.ignore_file else None
        return baseline, ignore_file


def _size(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where}: max_file_size must be a size such as 10MB or 1048576")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*", value, re.IGNORECASE)
        if m:
            unit = (m.group(2) or "b").lower()[0]
            factor = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
            return int(float(m.group(1)) * factor)
    raise ConfigError(f"{where}: max_file_size must be a size such as 10MB or 1048576")


def parse_size(value: str | None) -> int | None:
    """`--max-file-size`; None when it was not given."""
    return _size(value, "--max-file-size") if value else None


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {what} must be a list of strings")
    return tuple(value)


def parse_config(text: str, source: str) -> Config:
    data = load_yaml(text, source)
    if data is None:
        return Config(source=source)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the config must be a mapping of settings")
    top_line = line_of(data)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{source}:{top_line}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")

    def where(obj: Any) -> str:
        line = line_of(obj) or top_line
        return f"{source}:{line}" if line else source

    allow = data.get("allowlist") or {}
    if not isinstance(allow, Mapping):
        raise ConfigError(f"{where(data)}: allowlist must be a mapping")
    unknown = set(allow) - _ALLOW_KEYS
    if unknown:
        raise ConfigError(f"{where(allow)}: unknown allowlist key(s): {', '.join(sorted(map(str, unknown)))}")
    from scanner.detect.regex import backtracking_risk

    regexes: list[re.Pattern[str]] = []
    for pattern in _strings(allow.get("regexes"), where(allow), "allowlist.regexes"):
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{where(allow)}: allowlist regex {len(regexes) + 1} does not compile: {exc}") from None
        # Each candidate secret meets every allowlist regex: `^(\w+)+!` would hang the scan on one line.
        risk = backtracking_risk(pattern)
        if risk:
            raise ConfigError(
                f"{where(allow)}: allowlist regex {len(regexes) + 1} has {risk} (catastrophic backtracking risk)"
            )
        regexes.append(compiled)

    rules_cfg = data.get("rules") or {}
    if not isinstance(rules_cfg, Mapping):
        raise ConfigError(f"{where(data)}: rules must be a mapping with disable/add/only")
    unknown = set(rules_cfg) - _RULES_KEYS
    if unknown:
        raise ConfigError(f"{where(rules_cfg)}: unknown rules key(s): {', '.join(sorted(map(str, unknown)))}")
    added = rules_cfg.get("add") or []
    if not isinstance(added, list):
        raise ConfigError(f"{where(rules_cfg)}: rules.add must be a list of rules")
    extra_rules = tuple(parse_rule(raw, source) for raw in added)

    follow = data.get("follow_symlinks", False)
    if not isinstance(follow, bool):
        raise ConfigError(f"{where(data)}: follow_symlinks must be true or false")
    for key in ("baseline", "ignore_file"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{where(data)}: {key} must be a path")

    return Config(
        source=source,
        exclude=_strings(data.get("exclude"), where(data), "exclude"),
        allow_paths=_strings(allow.get("paths"), where(allow), "allowlist.paths"),
        allow_regexes=tuple(regexes),
        stopwords=tuple(s.lower() for s in _strings(allow.get("stopwords"), where(allow), "allowlist.stopwords")),
        disabled_rules=_strings(rules_cfg.get("disable"), where(rules_cfg), "rules.disable"),
        only_rules=_strings(rules_cfg.get("only"), where(rules_cfg), "rules.only"),
        extra_rules=extra_rules,
        max_file_size=_size(data.get("max_file_size", DEFAULT_MAX_FILE_SIZE), where(data)),
        follow_symlinks=follow,
        baseline=data.get("baseline"),
        ignore_file=data.get("ignore_file"),
    )


def load_config(explicit: str | None, root: str | os.PathLike[str] | None) -> Config:
    """`--config FILE` (the team's) is the whole configuration: the repository's own files are not read.
    Else `.mindee-scan.yaml` at the scan root `root`, within what scanner.trust lets a repository do.
    `root` None (--ignore-repo-config, several paths, stdin): no file of the scanned code is read."""
    from scanner.record import replace
    from scanner.trust import read_repo_file, read_trusted_file, restrict_repository_config

    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(f"{explicit}: config file not found")
        return replace(parse_config(read_trusted_file(explicit, "config"), explicit), origin="team")
    if root is None:
        return Config()
    repo_root = os.fspath(root)
    path = os.path.join(repo_root, CONFIG_NAME)
    if not os.path.lexists(path):
        return Config(repo_root=repo_root)
    # The scanned repository's own file: a regular file inside it, size-capped, never quoted.
    config = parse_config(read_repo_file(path, repo_root, "config"), path)
    return restrict_repository_config(config, repo_root)
