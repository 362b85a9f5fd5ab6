"""Where the site may send a browser back to: the one check of a "next" address.

A form or a link may carry where to go afterwards (`?next=` on the sign-in page, the `next`
field of the language switch and of list actions). That value is user input, so a redirect
follows it only when it is a path on this site:

- it starts with exactly one `/` (not `//host`, which browsers read as another site);
- it holds no backslash (browsers read `/\\host` as `//host`), no whitespace and no control
  character anywhere. This is checked on the value as received, before anything strips it:
  browsers and `urllib.parse` drop a tab or a line break inside a URL, so `/\\t/evil.example`
  would become `//evil.example` after a "harmless" cleaning;
- its path, once percent-decoded, obeys the same rules (`/%09/evil.example` is refused too);
- `urllib.parse` finds neither a scheme nor a host in it.

Anything else falls back to a page of our choosing.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

# Longer than any address of the site with its filters; a longer one is not ours.
MAX_LENGTH = 2000


def _plain(text: str) -> bool:
    """No whitespace, no control or format character, no backslash."""
    for ch in text:
        if ch == "\\" or ch.isspace() or unicodedata.category(ch).startswith("C"):
            return False
    return True


def is_safe_path(target: object) -> bool:
    """Is `target` a path on this site that a redirect may follow?"""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    if not _plain(target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    path = target.split("?", 1)[0].split("#", 1)[0]
    decoded = unquote(path)
    if not _plain(decoded) or decoded.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: object, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`."""
    return target if is_safe_path(target) else fallback  # type: ignore[return-value]
