"""One reading of `Retry-After` for the crawler and for Slack delivery (config/http.py)."""

from __future__ import annotations

import pytest

from config.http import retry_after_seconds

NOW = 4_000_000_000.0  # 2096-10-02 07:06:40 UTC


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (b"2", 2.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Tue, 02 Oct 2096 07:07:40 GMT", 60.0),
        ("Tue, 02 Oct 2096 07:07:40 -0000", 60.0),  # no zone said: UTC, not a crash
        ("Tue, 02 Oct 2096 09:07:40 +0200", 60.0),
        ("Mon, 01 Oct 2096 07:07:40 GMT", 0.0),  # already past
        ("soon", None),
        ("inf", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(
    header: str | bytes | None, seconds: float | None
) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds
