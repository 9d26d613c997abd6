"""Git sources: the hardened git wrapper (gitio), history (refs, objects, the provenance log, reachability),
staged changes and diffs."""
