"""mindee-scan: find leaked Mindee API keys in files and git history, verify them, guide revocation."""

__version__ = "0.1.0"
