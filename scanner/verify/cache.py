"""Each distinct key is checked once per run: results keyed by (secret hash, verifier), never by the key."""

from __future__ import annotations

import threading

from scanner.model import Verification, secret_hash


class VerificationCache:
    """Thread-safe memo of verdicts; stores only the hash, so the cache itself holds no key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], Verification] = {}

    @staticmethod
    def key(secret: str, verifier: str) -> tuple[str, str]:
        return secret_hash(secret), verifier

    def get(self, secret: str, verifier: str) -> Verification | None:
        with self._lock:
            return self._results.get(self.key(secret, verifier))

    def put(self, secret: str, verifier: str, verification: Verification) -> None:
        with self._lock:
            self._results[self.key(secret, verifier)] = verification

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)
