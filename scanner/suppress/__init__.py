"""Suppression: what a baseline, an ignore file or an inline allow comment removes from a result."""
