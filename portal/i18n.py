"""Language: Simplified Chinese unless the person chose English; the choice sticks to the user.

The switch sends the browser back to the page it came from, when that is a path on this site
(`portal.urls.safe_next`), else to the start page.

A moment has two written forms, never with seconds (`format_moment`, the `datetimeformat`
filter): in running text and on detail pages the viewer's locale's medium date with the short
time (2026年5月31日 14:30, "May 31, 2026, 2:30 PM"); in dense tables `'short'`, one ISO-like form in
both languages that sorts and never wraps mid-date (2026-05-31 14:30), as the exports write it.
Days alone keep Babel's medium date (`dateformat`: 2026年5月31日).
"""
from __future__ import annotations

from datetime import datetime

from babel import dates
from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import Babel, format_datetime, get_locale
from flask_login import current_user

from portal.urls import safe_next

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    return str(get_locale()).replace("_", "-")


TABLE_MOMENT = "yyyy-MM-dd HH:mm"


def format_moment(value: datetime | None, format: str | None = None) -> str:
    """A moment in the viewer's time zone: `'short'` for tables, else the text form."""
    if value is None:
        return ""
    if format == "short":
        return format_datetime(value, TABLE_MOMENT)
    if format not in (None, "medium"):
        return format_datetime(value, format)
    locale = get_locale()
    # Babel's medium datetime carries seconds; its medium date and short time, joined the
    # locale's way, do not.
    pattern = (dates.get_datetime_format("medium", locale)
               .replace("{1}", dates.get_date_format("medium", locale).pattern)
               .replace("{0}", dates.get_time_format("short", locale).pattern))
    return format_datetime(value, pattern)


@bp.post("/language/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            from portal.accounts.services import remember_language

            remember_language(current_user, code)
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["datetimeformat"] = format_moment
    app.register_blueprint(bp)
    app.jinja_env.globals["html_lang"] = html_lang
