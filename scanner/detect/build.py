"""Build the detector from the built-in rules and a config; a user's rules must pass their own examples."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from scanner.detect.engine import Detector, GlobalAllowlist
from scanner.detect.rulecache import default_rules
from scanner.detect.rules import Rule, build_ruleset
from scanner.errors import ConfigError

if TYPE_CHECKING:
    from scanner.config import Config  # the settings object is built above detection; only its fields are read


def build_detector(config: Config, use_hyperscan: bool = True) -> Detector:
    rules = [*default_rules(), *config.extra_rules]  # cached: no YAML parse on a warm start
    try:
        ruleset = build_ruleset(rules, disabled=config.disabled_rules)
    except ConfigError as exc:
        raise ConfigError(f"{config.source}: {exc}" if config.source else str(exc)) from None
    kept = [r for r in ruleset if not config.only_rules or r.id in config.only_rules]
    allow = GlobalAllowlist(regexes=config.allow_regexes, stopwords=config.stopwords)
    detector = Detector(kept, allow, use_hyperscan=use_hyperscan)
    if config.extra_rules:
        check_examples(detector, config.extra_rules)
    return detector


def check_examples(detector: Detector, rules: Iterable[Rule]) -> None:
    """A user's rule must find its own `match` examples and none of its `no_match` ones, or it is an error."""
    for rule in rules:
        for example in rule.examples_match:
            text = example["text"] if isinstance(example, dict) else example
            if not any(m.rule_id == rule.id for m in detector.scan(text.encode())):
                raise ConfigError(
                    f"{rule.source}:{rule.line}: rule {rule.id!r} does not find its own example {text!r} "
                    "(check the regex, keywords and filters: placeholder-like values are ignored)"
                )
        for text in rule.examples_no_match:
            if any(m.rule_id == rule.id for m in detector.scan(text.encode())):
                raise ConfigError(f"{rule.source}:{rule.line}: rule {rule.id!r} matches its no_match example {text!r}")
