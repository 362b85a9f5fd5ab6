"""What a user sees when something fails.

- `Refused` is the one base of every domain refusal ("the capacity cannot be lower than..."):
  services raise it (or an area's subclass) inside a unit of work, which rolls back; the view
  shows `str(exc)` next to `exc.field` or at the top of the form, with the person's input kept.
- `Conflict` is a refusal because someone else saved the same object in between.
- Error pages (`init_app`): every error a visitor can meet (400, an expired form, 403, 404, 405,
  413, 429, 500, 503) is a page of the site's own layout in the viewer's language, saying what
  happened and offering a way on (back to the form, try again, the start page). A request that
  prefers JSON gets ``{"error": {"code": ..., "message": ...}}`` instead.
- A database that cannot be reached is a 503 ("try again in a minute"), not a crash. The error
  pages then show the layout as to a visitor: loading the signed-in user and the unread count
  would ask the database again. A 500 rolls the request's session back first (this is the one
  place outside `unit_of_work` that rolls back), so the page itself can still read.
- 429 and 503 say when to come back (`Retry-After`).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import InternalServerError

from portal.urls import is_safe_path


class Refused(Exception):
    """The change cannot be made; `str(exc)` says why in the viewer's language. `field` names
    the form field the message belongs to, when there is one."""

    def __init__(self, message: str | None = None, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(self.message)

    default_message = _l("This change cannot be made.")

    def __str__(self) -> str:
        return str(self.message)


class Conflict(Refused):
    """Someone else saved the object since it was shown to this user: nothing was saved."""

    default_message = _l(
        "Someone else changed this while you were editing. Your changes were not saved: "
        "review the current values below and save again."
    )



def show_refusal(form, exc: Refused, summary=None) -> None:
    """Show a refusal where the person will look: next to its field when it names one of `form`'s
    (with `summary`, e.g. "correct the marked fields", at the top if given), else at the top.
    The form keeps everything typed, since the view re-renders it."""
    from flask import flash

    target = form._fields.get(exc.field) if (form is not None and exc.field) else None
    if target is None:
        flash(str(exc), "error")
        return
    target.errors = [*target.errors, str(exc)]
    if summary is not None:
        flash(str(summary), "error")


@pass_context
def form_errors_shown(context) -> bool:
    """Whether the page being rendered shows a rejected form: a form of its context has errors,
    or the template set `form_has_errors` (a form that is not a WTForms one). The layout then
    prefixes the title with "Error:" and leaves the error flashes to the form's error summary
    (templates/macros/forms.html), so the page says it once."""
    from wtforms import Form

    if context.get("form_has_errors"):
        return True
    return any(isinstance(value, Form) and value.errors for value in context.get_all().values())


# ---------------------------------------------------------------------------------------------
# Error pages

# code -> (heading and <title>, what happened and what to do)
PAGES = {
    400: (_l("Request not understood"),
          _l("The site could not read what this page sent. Go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your account cannot open this page.")),
    404: (_l("Not found"), _l("There is nothing at this address, or it is not yours to see.")),
    405: (_l("Not possible here"),
          _l("This address does not take that kind of request. Use the links and buttons on the "
             "site's pages.")),
    413: (_l("Upload too large"),
          _l("The files sent were larger than the site accepts. Photos may be at most 5 MB each.")),
    429: (_l("Too many requests"),
          _l("Too many requests came in a short time. Wait a minute and try again.")),
    500: (_l("Something went wrong"),
          _l("The site could not finish this request. Try again in a moment; if it keeps "
             "happening, tell the service office.")),
    503: (_l("Briefly unavailable"), _l("The service is briefly unavailable, try again in a minute.")),
}
# A CSRF failure is a 400 of its own: the person did nothing wrong, the form just went stale
# (a long pause, a sign-out in another tab) or came from elsewhere.
FORM_EXPIRED = (
    _l("Form expired"),
    _l("Your form expired or was sent from another page. Please sign in / send it again."),
)
# Seconds a client is asked to wait on 429 and 503 when the error does not say.
RETRY_AFTER = 60
# SQLite reports mistakes in SQL ("no such table") as OperationalError too; only these mean the
# database file cannot be used right now.
_SQLITE_UNAVAILABLE = ("unable to open database", "database is locked", "disk i/o error")
# The last resort when even the layout cannot be rendered.
_BARE_PAGE = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>{code} · Customer Panel '
    "Portal</title></head><body><h1>{code}</h1><p>页面暂时无法显示，请一分钟后再试。</p>"
    '<p lang="en">The page cannot be shown right now, try again in a minute.</p>'
    '<p><a href="/">Customer Panel Portal</a></p></body></html>'
)


def init_app(app) -> None:
    """Register the site's error pages."""
    for code in (400, 403, 404, 405, 413, 429, 503):
        app.register_error_handler(code, _http_error)
    app.register_error_handler(CSRFError, _form_expired)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.jinja_env.globals["form_errors_shown"] = form_errors_shown


def _http_error(error):
    title, message = PAGES[error.code]
    return _page(error.code, title, message, _headers(error))


def _form_expired(error):
    title, message = FORM_EXPIRED
    return _page(400, title, message, _headers(error))


def _server_error(error):
    """An unhandled exception (Flask has logged it with its traceback already) or abort(500)."""
    _discard_session()
    if getattr(error, "original_exception", None) is None:
        current_app.logger.error("500 on %s %s: %s", request.method, request.path, error.description)
    title, message = PAGES[500]
    return _page(500, title, message, _headers(error))


def _database_error(error):
    """A database error escaped the view. Unreachable -> 503; anything else stays a crash (500,
    or raised on in tests), since it is a bug, not an outage."""
    if not _database_unreachable(error):
        raise error
    current_app.logger.error("database unreachable on %s %s: %s", request.method, request.path,
                             getattr(error, "orig", error))
    _discard_session()
    _as_visitor()
    title, message = PAGES[503]
    return _page(503, title, message, [])


def _database_unreachable(error) -> bool:
    if getattr(error, "connection_invalidated", False) or isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    orig = getattr(error, "orig", None)
    if type(orig).__module__ == "sqlite3":
        return any(text in str(orig).lower() for text in _SQLITE_UNAVAILABLE)
    return True


def _discard_session() -> None:
    """Roll back what the failed request left in its session, so the page can still read (and
    nothing half-done is committed by anyone later)."""
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception as exc:  # the connection itself may be gone; the teardown closes the session
        current_app.logger.warning("rollback after an error failed: %s", exc)


def _as_visitor() -> None:
    """Render the rest of this request as for a visitor. Without the database the signed-in user
    cannot be loaded, and the layout would ask for them and their unread count. Their session
    cookie is untouched: they are still signed in once the database is back."""
    from portal import login_manager

    g._login_user = login_manager.anonymous_user()


def _headers(error) -> list[tuple[str, str]]:
    """The error's own headers (Allow on 405, Retry-After when given) without its Content-Type."""
    return [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _same_site_referrer() -> str | None:
    """Where the person came from, when that is a page of this site (for "back to the form")."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    # Often the very address that failed (a form posts to its own page): loading it again
    # gives a fresh form.
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if is_safe_path(path) else None


def _page(code: int, title, message, headers):
    if code in (429, 503) and not any(k.lower() == "retry-after" for k, _ in headers):
        headers = [*headers, ("Retry-After", str(RETRY_AFTER))]
    if _wants_json():
        return jsonify(error={"code": code, "message": str(message)}), code, headers

    def render():
        return render_template(
            "error.html", code=code, title=title, message=message,
            back_url=_same_site_referrer(),
            retry_url=request.full_path.rstrip("?") if request.method == "GET" and code in (429, 500, 503)
            else None,
            offer_sign_in=code in (400, 403) and not current_user.is_authenticated,
        )

    try:
        return render(), code, headers
    except Exception:
        current_app.logger.exception("the %s page could not be rendered; showing it as to a visitor", code)
    try:
        _discard_session()
        _as_visitor()
        return render(), code, headers
    except Exception:
        current_app.logger.exception("the %s page could not be rendered at all", code)
    return _BARE_PAGE.format(code=code), code, [*headers, ("Content-Type", "text/html; charset=utf-8")]
