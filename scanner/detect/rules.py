"""Load detection rules from YAML and validate them strictly: a bad rule is an error, never ignored."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from scanner.detect.startup import default_rules_dir, rule_files
from scanner.errors import ConfigError
from scanner.record import field, record

SEVERITIES = ("critical", "high", "medium", "low", "info")
# Named post-filters a rule may ask for; implemented in scanner.detect.filters.
RANDOMNESS_CHECKS = ("random-token", "generic-token", "none")

_RULE_KEYS = {
    "id",
    "description",
    "regex",
    "secret_group",
    "keywords",
    "hyperscan",
    "entropy",
    "allowlist",
    "severity",
    "verifier",
    "context",
    "window",
    "binary",
    "decode_line",
    "randomness",
    "examples",
    "tags",
    "remediation",
}
_ALLOWLIST_KEYS = {"regexes", "stopwords", "match_regexes"}
_EXAMPLE_KEYS = {"match", "no_match"}


@record(frozen=True)
class Rule:
    """One detector: a regex with its secret group, prefilter keywords and the filters that keep it quiet."""

    id: str
    description: str
    regex: re.Pattern[bytes]
    keywords: tuple[str, ...]
    severity: str = "high"
    secret_group: int | str = 0
    hyperscan: str | None = None
    entropy: float | None = None
    allow_regexes: tuple[re.Pattern[str], ...] = ()
    allow_match_regexes: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()
    verifier: str | None = None
    context: tuple[re.Pattern[bytes], ...] = ()
    window: tuple[int, int] = (128, 256)
    binary: bool = False
    # A window where the regex found nothing has its line's base64 values decoded and scanned (the
    # keyword is there, the value is encoded: a Kubernetes secret). Off for rules that match encoded
    # text as it is (generic-secret): in code, most of their windows find nothing.
    decode_line: bool = True
    randomness: str = "none"
    examples_match: tuple[Any, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    remediation: str = ""
    source: str = ""  # file the rule came from, for error messages
    line: int = 0

    @property
    def is_mindee(self) -> bool:
        return self.id.startswith("mindee-")


@record
class RuleSet:
    """Rules in check order: Mindee rules first, then the rest as loaded."""

    rules: list[Rule] = field(default_factory=list)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[str, Any]:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


class _LineDict(dict[str, Any]):
    line: int = 0


@functools.cache
def _line_loader() -> Any:
    """Built on first use: PyYAML takes ~20 ms to import, and a warm start (scanner.detect.rulecache) needs none."""
    import yaml

    class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """A YAML loader that remembers the line of every mapping, so errors can point at it."""

    _LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    return _LineLoader


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML, turning syntax errors into a ConfigError with file and line."""
    import yaml

    try:
        return yaml.load(text, Loader=_line_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        # PyYAML quotes the offending text ('!tag', a character): a message names the line, never the bytes
        problem = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "…", problem.splitlines()[0] if problem else "")
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None


def line_of(obj: Any) -> int:
    return int(getattr(obj, "line", 0))


def _err(source: str, line: int, rule_id: str | None, msg: str) -> ConfigError:
    where = f"{source}:{line}" if line else source
    who = f" rule {rule_id!r}" if rule_id else ""
    return ConfigError(f"{where}:{who} {msg}")


def _str_list(value: Any, what: str, source: str, line: int, rid: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(source, line, rid, f"{what} must be a list of strings")
    return tuple(value)


class LazyPattern:
    """A rule regex compiled on first use, led by its first-byte lookahead (detect/regex.py: same matches, faster).

    Rules read back from the start-up cache were compiled and checked when it was written; compiling
    ~50 patterns again costs ~45 ms per run, while a pre-commit run whose prefilter finds nothing
    never needs one of them.
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: bytes) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[bytes] | None = None

    def compiled(self) -> re.Pattern[bytes]:
        if self._compiled is None:
            from scanner.detect.regex import compile_hinted

            # The same matches, found 2-9x faster where a pattern opens with an alternation or a
            # lookbehind; `pattern` stays as written (Hyperscan and the rule cache get that).
            self._compiled = compile_hinted(self.pattern)
        return self._compiled

    def finditer(self, string: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[bytes]]:
        return self.compiled().finditer(string, pos, endpos)

    def search(self, string: bytes, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[bytes] | None:
        return self.compiled().search(string, pos, endpos)

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self.compiled().groupindex

    @property
    def groups(self) -> int:
        return self.compiled().groups

    def __getstate__(self) -> bytes:
        return self.pattern

    def __setstate__(self, state: bytes) -> None:
        self.pattern = state
        self._compiled = None


def compile_regex(
    pattern: Any, source: str, line: int, rid: str | None, what: str = "regex", check_risk: bool = True
) -> re.Pattern[bytes]:
    if not isinstance(pattern, str) or not pattern:
        raise _err(source, line, rid, f"{what} must be a non-empty string")
    if not check_risk:
        # Read back from the start-up cache: checked when the cache was written; compile when used.
        return LazyPattern(pattern.encode("utf-8"))  # type: ignore[return-value]
    from scanner.detect.regex import backtracking_risk, has_nested_quantifier

    if has_nested_quantifier(pattern):
        raise _err(source, line, rid, f"{what} has a nested unbounded quantifier (catastrophic backtracking risk)")
    try:
        compiled = re.compile(pattern.encode("utf-8"))
    except re.error as exc:
        raise _err(source, line, rid, f"{what} does not compile: {exc}") from None
    risk = backtracking_risk(pattern)
    if risk:
        raise _err(source, line, rid, f"{what} has {risk} (catastrophic backtracking risk)")
    # Checked: from here on it is a rule regex like one read from the cache, `.pattern` as the user wrote
    # it (Hyperscan gets that) and compiled with its first-byte hint only if a scan needs it.
    return LazyPattern(compiled.pattern)  # type: ignore[return-value]


def _compile_str(pattern: Any, source: str, line: int, rid: str | None, what: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise _err(source, line, rid, f"{what} must be a non-empty string")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise _err(source, line, rid, f"{what} does not compile: {exc}") from None
    # An allowlist regex runs on every candidate a rule finds: checked like the rule's own regex.
    from scanner.detect.regex import backtracking_risk

    risk = backtracking_risk(pattern)
    if risk:
        raise _err(source, line, rid, f"{what} has {risk} (catastrophic backtracking risk)")
    return compiled


def parse_rule(raw: Any, source: str, check_risk: bool = True) -> Rule:
    """Validate one rule mapping; every problem names the file, line and rule.

    `check_risk=False` only for rules read back from the start-up cache, which were checked when it was
    written: the backtracking analysis re-parses every pattern (half a pre-commit hook's CPU time).
    """
    line = line_of(raw)
    if not isinstance(raw, Mapping):
        raise _err(source, line, None, "each rule must be a mapping")
    rid = raw.get("id")
    if not isinstance(rid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", rid or ""):
        raise _err(source, line, None, "rule id must be a lowercase string of [a-z0-9._-]")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _err(source, line, rid, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    for required in ("description", "regex"):
        if required not in raw:
            raise _err(source, line, rid, f"missing required key {required!r}")
    description = raw["description"]
    if not isinstance(description, str):
        raise _err(source, line, rid, "description must be a string")
    regex = compile_regex(raw["regex"], source, line, rid, check_risk=check_risk)

    secret_group: int | str
    if not check_risk and "secret_group" not in raw:
        # Cached rules were validated when the cache was written; infer the group without compiling.
        secret_group = "secret" if "(?P<secret>" in raw["regex"] else 1
    elif "secret_group" in raw:
        secret_group = raw["secret_group"]
        if isinstance(secret_group, bool) or not isinstance(secret_group, int | str):
            raise _err(source, line, rid, "secret_group must be a group number or name")
    elif "secret" in regex.groupindex:
        secret_group = "secret"
    elif regex.groups >= 1:
        secret_group = 1
    else:
        raise _err(source, line, rid, "regex has no secret group: add (?P<secret>...) or a numbered group")
    if not check_risk:
        pass
    elif isinstance(secret_group, int) and not 0 <= secret_group <= regex.groups:
        raise _err(source, line, rid, f"secret_group {secret_group} does not exist in the regex")
    elif isinstance(secret_group, str) and secret_group not in regex.groupindex:
        raise _err(source, line, rid, f"secret_group {secret_group!r} is not a named group of the regex")

    keywords = tuple(k.lower() for k in _str_list(raw.get("keywords"), "keywords", source, line, rid))
    if not keywords:
        raise _err(source, line, rid, "keywords must list at least one literal for the prefilter")

    hyperscan = raw.get("hyperscan")
    if hyperscan is not None and (not isinstance(hyperscan, str) or not hyperscan):
        raise _err(source, line, rid, "hyperscan must be a non-empty pattern string")

    entropy = raw.get("entropy")
    if entropy is not None and (isinstance(entropy, bool) or not isinstance(entropy, int | float) or entropy < 0):
        raise _err(source, line, rid, "entropy must be a non-negative number")

    severity = raw.get("severity", "high")
    if severity not in SEVERITIES:
        raise _err(source, line, rid, f"severity must be one of {', '.join(SEVERITIES)}")

    allow = raw.get("allowlist") or {}
    if not isinstance(allow, Mapping):
        raise _err(source, line, rid, "allowlist must be a mapping")
    unknown = set(allow) - _ALLOWLIST_KEYS
    if unknown:
        raise _err(source, line, rid, f"unknown allowlist key(s): {', '.join(sorted(map(str, unknown)))}")
    allow_regexes = tuple(
        _compile_str(p, source, line, rid, "allowlist regex")
        for p in _str_list(allow.get("regexes"), "allowlist.regexes", source, line, rid)
    )
    allow_match = tuple(
        _compile_str(p, source, line, rid, "allowlist match regex")
        for p in _str_list(allow.get("match_regexes"), "allowlist.match_regexes", source, line, rid)
    )
    stopwords = tuple(s.lower() for s in _str_list(allow.get("stopwords"), "allowlist.stopwords", source, line, rid))

    verifier = raw.get("verifier")
    if verifier is not None and verifier not in ("mindee-v1", "mindee-v2"):
        raise _err(source, line, rid, "verifier must be mindee-v1 or mindee-v2 (or absent)")

    context = tuple(
        compile_regex(p, source, line, rid, "context regex", check_risk=check_risk)
        for p in _str_list(raw.get("context"), "context", source, line, rid)
    )

    window = raw.get("window", [128, 256])
    if (
        not isinstance(window, list)
        or len(window) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 65536 for w in window)
    ):
        raise _err(source, line, rid, "window must be [bytes_before, bytes_after], each 0..65536")

    binary = raw.get("binary", False)
    if not isinstance(binary, bool):
        raise _err(source, line, rid, "binary must be true or false")

    decode_line = raw.get("decode_line", True)
    if not isinstance(decode_line, bool):
        raise _err(source, line, rid, "decode_line must be true or false")

    randomness = raw.get("randomness", "none")
    if randomness not in RANDOMNESS_CHECKS:
        raise _err(source, line, rid, f"randomness must be one of {', '.join(RANDOMNESS_CHECKS)}")

    examples = raw.get("examples")
    if not isinstance(examples, Mapping) or not examples.get("match"):
        raise _err(source, line, rid, "examples must have a non-empty 'match' list (and usually 'no_match')")
    unknown = set(examples) - _EXAMPLE_KEYS
    if unknown:
        raise _err(source, line, rid, f"unknown examples key(s): {', '.join(sorted(map(str, unknown)))}")
    match_examples = examples.get("match") or []
    if not isinstance(match_examples, list):
        raise _err(source, line, rid, "examples.match must be a list")
    for ex in match_examples:
        ok = isinstance(ex, str) or (
            isinstance(ex, Mapping) and isinstance(ex.get("text"), str) and isinstance(ex.get("secret"), str)
        )
        if not ok:
            raise _err(source, line, rid, "each examples.match entry is a string or {text, secret}")
    no_match = _str_list(examples.get("no_match"), "examples.no_match", source, line, rid)

    remediation = raw.get("remediation", "")
    if not isinstance(remediation, str):
        raise _err(source, line, rid, "remediation must be a string")

    return Rule(
        id=rid,
        description=description.strip(),
        regex=regex,
        keywords=keywords,
        severity=severity,
        secret_group=secret_group,
        hyperscan=hyperscan,
        entropy=float(entropy) if entropy is not None else None,
        allow_regexes=allow_regexes,
        allow_match_regexes=allow_match,
        stopwords=stopwords,
        verifier=verifier,
        context=context,
        window=(window[0], window[1]),
        binary=binary,
        decode_line=decode_line,
        randomness=randomness,
        examples_match=tuple(dict(e) if isinstance(e, Mapping) else e for e in match_examples),
        examples_no_match=no_match,
        tags=_str_list(raw.get("tags"), "tags", source, line, rid),
        remediation=remediation.strip(),
        source=source,
        line=line,
    )


def parse_rule_file(text: str, source: str) -> list[Rule]:
    data = load_yaml(text, source)
    if not isinstance(data, Mapping) or set(data) != {"rules"} or not isinstance(data["rules"], list):
        raise ConfigError(f"{source}: a rule file is a mapping with one key, 'rules', holding a list")
    return [parse_rule(raw, source) for raw in data["rules"]]


def load_rule_files(paths: Iterable[str]) -> list[Rule]:
    rules: list[Rule] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read rule file: {exc}") from None
        rules.extend(parse_rule_file(text, str(path)))
    return rules


def build_ruleset(rules: Iterable[Rule], disabled: Iterable[str] = ()) -> RuleSet:
    """Check ids are unique, drop disabled ones, and order Mindee rules first."""
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id]
            raise ConfigError(
                f"{rule.source}:{rule.line}: rule {rule.id!r} duplicates the id defined at {first.source}:{first.line}"
            )
        seen[rule.id] = rule
    disabled_set = set(disabled)
    unknown = disabled_set - set(seen)
    if unknown:
        raise ConfigError(f"cannot disable unknown rule(s): {', '.join(sorted(unknown))}")
    kept = [r for r in seen.values() if r.id not in disabled_set]
    kept.sort(key=lambda r: 0 if r.is_mindee else 1)
    return RuleSet(kept)


def load_default_rules() -> list[Rule]:
    return load_rule_files(rule_files(default_rules_dir()))
