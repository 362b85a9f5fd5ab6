"""Language: Simplified Chinese unless the person chose English; the choice sticks to the user.

The switch sends the browser back to the page it came from, when that is a path on this site
(`portal.urls.safe_next`), else to the start page.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import Babel
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
    from flask_babel import get_locale

    return str(get_locale()).replace("_", "-")


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
    app.register_blueprint(bp)
    app.jinja_env.globals["html_lang"] = html_lang
