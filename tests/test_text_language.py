"""People's own text carries its language when it differs from the page's (WCAG 3.1.2): a
member's Chinese title on an English page is read with a Chinese voice, and the other way round."""
from __future__ import annotations

import re

import pytest

from portal.text import lang_attribute, text_language
from tests.factories import make_submission


@pytest.mark.parametrize(("text", "language"), [
    ("营业厅排队四十分钟", "zh-Hans"),
    ("5G 信号差 at home", "zh-Hans"),
    ("Roaming data never arrived", "en"),
    ("2026-05-31 14:30", None),
    ("", None),
    (None, None),
])
def test_text_language(text, language):
    assert text_language(text) == language


def test_lang_attribute_only_when_the_page_speaks_another_language():
    assert str(lang_attribute("漫游", "en")) == ' lang="zh-Hans"'
    assert str(lang_attribute("漫游", "zh-Hans")) == ""
    assert str(lang_attribute("<script>", "zh-Hans")) == ' lang="en"'


def _title_span(page: str, title: str) -> str:
    match = re.search(r"<span[^>]*>" + re.escape(title) + "</span>", page)
    assert match, f"{title!r} not shown in a span"
    return match.group(0)


def test_inbox_marks_each_title_in_the_other_language(office_client, dbs, member):
    make_submission(dbs, member, title="营业厅排队四十分钟")
    make_submission(dbs, member, title="Roaming data never arrived")

    office_client.language("en")
    english = office_client.get("/staff/inbox").get_data(as_text=True)
    assert 'lang="zh-Hans"' in _title_span(english, "营业厅排队四十分钟")
    assert "lang=" not in _title_span(english, "Roaming data never arrived")

    office_client.language("zh_Hans")
    chinese = office_client.get("/staff/inbox").get_data(as_text=True)
    assert "lang=" not in _title_span(chinese, "营业厅排队四十分钟")
    assert 'lang="en"' in _title_span(chinese, "Roaming data never arrived")
