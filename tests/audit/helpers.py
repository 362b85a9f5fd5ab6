"""Reading an object's History (macros/history.html) as the person sees it."""
from __future__ import annotations

import html as html_lib
import re


def history_html(page: str) -> str:
    """The History section's markup."""
    start = page.index('data-testid="history"')
    return page[start:page.index("</section>", start)]


def history_text(page: str) -> str:
    """The History section as text: tags dropped, entities read, spaces collapsed
    ("Status: Received → In review", "状态：已批准 → 进行中")."""
    text = re.sub(r"<[^>]+>", " ", history_html(page))
    text = html_lib.unescape(text)
    return re.sub(r"\s+", " ", text).replace(" :", ":").replace("： ", "：").strip()
