"""Text in and out: typed text cleaned for storage, and the one rich-text path (Markdown rendered,
then sanitized against an allowlist)."""
from __future__ import annotations

import bleach
import markdown
from markupsafe import Markup

ALLOWED_TAGS = [
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
]
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


def clean_text(value: str | None) -> str:
    """Typed text as stored: line breaks as LF (browsers send CRLF), no NUL (PostgreSQL cannot
    store it), no surrounding whitespace."""
    if value is None:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def render_markdown(source: str | None) -> Markup:
    html = markdown.markdown(source or "", extensions=["tables", "sane_lists"])
    clean = bleach.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    clean = bleach.linkify(clean, callbacks=[bleach.callbacks.nofollow])
    return Markup(clean)
