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

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from babel import dates
from babel.lists import format_list
from flask import Blueprint, Flask, current_app, g, redirect, request, session, url_for
from flask_babel import (
    Babel,
    format_datetime,
    get_locale,
    get_translations,
    gettext as flask_gettext,
    lazy_pgettext,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user

from portal.domain import SHANGHAI
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


# --- translations resolved once per locale ------------------------------------------------------
# Flask-Babel finds the catalogue anew for every string (the request's context, its domain, its
# locale, through Werkzeug's context-local proxies): some 50 microseconds each, and a list page
# translates hundreds of strings and vocabulary labels. The catalogue and each vocabulary's
# labels are kept here per locale instead. The locale in force is still Flask-Babel's (read from
# its per-request state, so `force_locale` blocks are honoured).

_CATALOGS: dict[str, Any] = {}
_LABELS: dict[tuple[str, int], dict[Any, str]] = {}


def _locale_key() -> str | None:
    """The identifier of the locale in force, once Flask-Babel has chosen it this request."""
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return None
    if getattr(state, "portal_locale", None) is not locale:  # first time, or force_locale
        state.portal_locale = locale
        state.portal_locale_key = str(locale)
    return state.portal_locale_key


def locale_key() -> str:
    """The identifier of the locale in force ("zh_Hans", "en"), choosing it if need be."""
    catalog()
    return _locale_key() or ""


def catalog():
    """The translations of the locale in force (cached per locale)."""
    key = _locale_key()
    if key is None:
        translations = get_translations()  # chooses the locale for this request
        key = _locale_key()
        if key is None:  # outside a request: nothing to cache
            return translations
        return _CATALOGS.setdefault(key, translations)
    found = _CATALOGS.get(key)
    if found is None:
        found = _CATALOGS[key] = get_translations()
    return found


def plain(value: Any) -> str:
    """`value` as text in the locale in force: a lazy `gettext` string through the per-locale
    catalogue (not Flask-Babel's per-string look-up), anything else as `str()` makes it."""
    if isinstance(value, LazyString) and value._func is flask_gettext and not value._kwargs:
        return catalog().ugettext(*value._args)
    return str(value)


def labels(vocabulary: Mapping[Any, Any]) -> dict[Any, str]:
    """`vocabulary`'s labels as plain text in the locale in force: one dict per vocabulary and
    locale, built on first use (the vocabularies are module constants of `portal.domain`)."""
    catalog()  # makes sure the locale is chosen
    key = (_locale_key() or "", id(vocabulary))
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS[key] = {code: plain(text) for code, text in vocabulary.items()}
    return found


def label(code: Any, vocabulary: Mapping[Any, Any]) -> str:
    """A stored code shown with its label in the language in force (the code itself when the
    vocabulary has no such code, "" for none)."""
    if code is None:
        return ""
    return labels(vocabulary).get(code, code)


def alternatives(values) -> str:
    """Values as a list of alternatives in the locale's words: "Pudong or Minhang",
    "浦东或闵行" (a trial's districts, a condition's accepted values)."""
    values = [str(v) for v in values]
    return format_list(values, style="or", locale=get_locale() or "zh_Hans") if values else ""


def colon() -> str:
    """What stands between a label and its value: ": " in English, a full-width "：" in Chinese
    (templates write `{{ _("Status") }}{{ colon() }}{{ value }}`)."""
    return catalog().upgettext("between a label and its value", ": ")


# For the message extraction (the call above reads the catalogue directly).
_COLON = lazy_pgettext("between a label and its value", ": ")


def html_lang() -> str:
    catalog()
    key = _locale_key()
    return (key or str(get_locale())).replace("_", "-")


TABLE_MOMENT = "yyyy-MM-dd HH:mm"


def format_moment(value: datetime | None, format: str | None = None) -> str:
    """A moment in the viewer's time zone: `'short'` for tables, else the text form."""
    if value is None:
        return ""
    if format == "short":
        # Digits only, the same in both languages: written directly (Babel's formatting costs
        # ~40 microseconds a cell, and a list shows fifty) in the portal's one time zone
        # (BABEL_DEFAULT_TIMEZONE; a naive value is UTC, as Flask-Babel takes it).
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
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
    # Templates translate through the per-locale catalogue (see `catalog`), not Flask-Babel's
    # per-string look-up; Jinja's newstyle gettext still escapes and formats the variables.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["datetimeformat"] = format_moment
    app.register_blueprint(bp)
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["colon"] = colon
