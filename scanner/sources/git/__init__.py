"""Git sources: the hardened git wrapper, history (refs, objects, log), staged changes and diffs."""
