"""Language: Simplified Chinese unless the person chose English; the choice sticks to the user."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import Babel
from flask_login import current_user

from portal.db import db

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
            current_user.locale = code
            db.commit()
    target = request.form.get("next") or ""
    # Only same-site paths: the form is ours, but its field is still user input.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    return redirect(target)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.globals["html_lang"] = html_lang
