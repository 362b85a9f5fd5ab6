"""The Customer Panel Portal."""
from __future__ import annotations

from flask import Flask, jsonify
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import text as sql_text

csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    from portal.requests import PortalRequest

    app.request_class = PortalRequest
    from portal import config as portal_config

    portal_config.load(app, config)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the last `proxies` hops of X-Forwarded-* are believed: those our proxies added.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from portal import db as database, errors, i18n, navigation, permissions, security

    database.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    permissions.init_app(app)
    navigation.init_app(app)
    errors.init_app(app)
    csrf.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    from portal import static_files  # wraps app.wsgi_app: stylesheets never reach Flask

    static_files.init_app(app)
    from portal import idempotency  # after CSRFProtect: one-time form tokens (double submissions)
    idempotency.init_app(app)

    from portal import cli

    cli.init_app(app)

    @app.get("/health")
    def health():
        try:
            with database.get_engine().connect() as conn:
                conn.execute(sql_text("SELECT 1"))
        except Exception as exc:  # the load balancer wants an answer, not a traceback
            app.logger.warning("health check: database unreachable: %s", exc)
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    return app


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from portal.accounts.models import User
    from portal.db import db

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id in the session and the remember cookie is "<id>:<session generation>"
        # (`User.get_id`). Raising the generation (sign-out, "sign out everywhere", a new
        # password, pausing) ends every session and remember cookie carrying the old one; an id
        # without a generation (from before it existed) is refused too.
        user_key, _, generation = (user_id or "").partition(":")
        if not (user_key.isdigit() and generation.isdigit()):
            return None
        user = db.get(User, int(user_key))
        # A paused account's existing sessions and remember cookies stop working at once.
        if user is None or user.status != "active" or user.session_generation != int(generation):
            return None
        return user


# Every domain area's blueprint, in alphabetical order.
BLUEPRINTS = (
    "accounts", "admin", "audit", "dashboards", "exports", "gaps", "home", "improvements",
    "index", "letters", "notifications", "opinions", "panel", "results", "triage", "trials",
    "supervision",
)


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"portal.{name}").bp)


def _register_template_helpers(app: Flask) -> None:
    from portal import domain
    from portal.text import render_markdown

    app.jinja_env.globals["domain"] = domain
    app.jinja_env.filters["markdown"] = render_markdown

    @app.template_filter("number")
    def number(value):
        """A count in the viewer's notation (10,000)."""
        from flask_babel import format_decimal

        return format_decimal(value)

    @app.template_filter("lang")
    def lang(text):
        """`<td{{ s.title|lang }}>`: the element's lang when people's text is in the other
        language than the page."""
        from portal.i18n import html_lang
        from portal.text import lang_attribute

        return lang_attribute(text, html_lang())


