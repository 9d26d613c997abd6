"""Each distinct key is checked once per run: results keyed by (secret hash, verifier), never by the key."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.model import Secret, Verification


class VerificationCache:
    """Thread-safe memo of verdicts; stores only the hash, so the cache itself holds no key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], Verification] = {}

    @staticmethod
    def key(secret: Secret, verifier: str) -> tuple[str, str]:
        return secret.hash, verifier

    def get(self, secret: Secret, verifier: str) -> Verification | None:
        with self._lock:
            return self._results.get(self.key(secret, verifier))

    def put(self, secret: Secret, verifier: str, verification: Verification) -> None:
        with self._lock:
            self._results[self.key(secret, verifier)] = verification

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)
