"""Errors shown to people are one line."""

from __future__ import annotations


def first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""


def describe(exc: BaseException) -> str:
    """`TypeName: first line of the message`."""
    message = first_line(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
