"""The application layer: the only code that builds a detector and drives a source (issue 17)."""
