"""Text in and out: typed text cleaned for storage, and the one rich-text path (Markdown rendered,
then sanitized against an allowlist)."""
from __future__ import annotations

import re

import bleach
import markdown
from markupsafe import Markup

ALLOWED_TAGS = [
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
]
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


# CJK ideographs (unified, extension A, compatibility) and CJK punctuation.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATIN = re.compile(r"[A-Za-z]")


def text_language(text: str | None) -> str | None:
    """The language people's own text is written in, as far as a screen reader needs it:
    "zh-Hans" when it holds Chinese characters, "en" when it holds Latin letters and none,
    None when it holds neither (numbers, punctuation)."""
    if not text:
        return None
    if _CJK.search(text):
        return "zh-Hans"
    return "en" if _LATIN.search(text) else None


def lang_attribute(text: str | None, page_language: str) -> Markup:
    """` lang="..."` for an element holding `text` when its language differs from the page's
    (a member's Chinese title on an English page is then read with a Chinese voice), else
    nothing."""
    language = text_language(text)
    if language is None or language == page_language:
        return Markup("")
    return Markup(' lang="%s"') % language


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
