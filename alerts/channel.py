"""The one small interface every channel implements (Apprise style): send one payload to
one destination, or raise `DeliveryError` saying whether and when to try again."""

from __future__ import annotations

from typing import Any, Protocol


class DeliveryError(Exception):
    """A send that did not succeed. Never carries a secret (webhook URL, password).

    `retry_after`: the destination asked us to wait this many seconds (Slack 429).
    `permanent`: trying again cannot help (a rejected recipient, a payload refused as
    invalid); the row is marked failed at once.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    def destination(self, payload: dict[str, Any]) -> str:
        """A label for pacing and logs (never the secret itself)."""
        ...

    def send(self, payload: dict[str, Any]) -> str | None:
        """Deliver; return a note worth keeping (partial refusal), or None."""
        ...

    def close(self) -> None: ...
