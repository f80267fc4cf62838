"""Bytes of a page to text, surviving what real sites send: a wrong charset in the header
(a Shift_JIS page served as UTF-8), none at all (Lao text with no declaration), or one
only in a `<meta>` tag (EUC-JP). Strict decodes are tried in order of trust; the first
that succeeds wins, so mojibake never reaches the page objects."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

FALLBACKS = ("utf-8", "cp932", "euc_jp", "cp1252")


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """(text, encoding used)."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace"), "utf-8"
    tried: list[str] = []
    for declared in (
        http_content_type_encoding(content_type or ""),
        html_body_declared_encoding(body[:4096]),
        *FALLBACKS,
    ):
        name = resolve_encoding(declared) if declared else None
        if not name or name in tried:
            continue
        tried.append(name)
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("utf-8", errors="replace"), "utf-8"
