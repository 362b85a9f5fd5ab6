"""Composing outbox emails: plain text plus HTML, in the recipient's language, absolute links.

Rules:
- Every link in an email is absolute: PUBLIC_BASE_URL (PORTAL_BASE_URL in the environment)
  followed by the page's path. When it is unset the links use DEFAULT_BASE_URL, the address
  `make run` serves, so a fresh clone's emails caught by a local SMTP sink lead to the local
  site. Such links are useless anywhere else, so `mail.send_pending` will not hand emails to a
  server other than this machine (a real relay) until PUBLIC_BASE_URL is set: they wait.
- The text is composed inside `force_locale(recipient's locale)`: their saved language, else
  Simplified Chinese.
- The HTML part comes from one small layout (`notifications/email_layout.html`), autoescaped
  like every page: a title or note typed by a person is text, never markup. It loads nothing
  from elsewhere (no images, fonts, style sheets or scripts): the styles are inline.
- `queue_email` adds the row to the caller's transaction: the email leaves only if the change
  that causes it is committed. Other areas (invitations, password reset) use it too.
- One notice to many people (a new trial to a whole segment) is composed once per language: a
  `Draft` leaves the recipient's name and link as markers (NAME, LINK: NUL characters, which
  no text typed on the site can hold) and each email fills them in, escaped in the HTML part.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, gettext as _
from markupsafe import escape
from sqlalchemy import insert

from portal.db import db, utcnow
from portal.notifications.models import OutboxEmail

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
LAYOUT = "notifications/email_layout.html"
# Where a Draft puts each recipient's own name and link.
NAME, LINK = "\x00name\x00", "\x00link\x00"


def base_url() -> str:
    """The site's address as people reach it, without a trailing slash."""
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    return configured or DEFAULT_BASE_URL


def base_url_configured() -> bool:
    return bool((current_app.config.get("PUBLIC_BASE_URL") or "").strip())


def route(endpoint: str, **values) -> str:
    """The path of a page, from the site's root (no request needed: jobs mail too)."""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build(endpoint, values)


def absolute(endpoint: str, **values) -> str:
    return base_url() + route(endpoint, **values)


def locale_of(user) -> str:
    languages = current_app.config.get("LANGUAGES", ("zh_Hans", "en"))
    locale = getattr(user, "locale", None)
    return locale if locale in languages else "zh_Hans"


@dataclass
class Message:
    """What an email says, in words already in the recipient's language."""

    subject: str
    greeting: str
    paragraphs: list[str] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    quote: tuple[str, str] | None = None          # (label, a person's text shown apart)
    action: tuple[str, str] | None = None         # (label, absolute URL)
    preferences_url: str | None = None            # shown in the footer when given


def render_text(message: Message) -> str:
    lines = [message.greeting, ""]
    lines += message.paragraphs
    if message.details:
        lines.append("")
        lines += [_("%(label)s: %(value)s", label=label, value=value) for label, value in message.details]
    if message.quote:
        lines += ["", message.quote[0], message.quote[1]]
    if message.action:
        lines += ["", _("%(action)s: %(link)s", action=message.action[0], link=message.action[1])]
    lines += ["", "-- ", _("You receive this email as a user of the Customer Panel Portal.")]
    if message.preferences_url:
        lines.append(_("Choose which emails you receive: %(link)s", link=message.preferences_url))
    return "\n".join(str(line) for line in lines) + "\n"


def render_html(message: Message, locale: str) -> str:
    template = current_app.jinja_env.get_template(LAYOUT)
    return template.render(message=message, lang=locale.replace("_", "-"))


@dataclass
class Draft:
    """An email composed once, in one language, for any number of recipients."""

    subject: str
    text: str
    html: str

    def values(self, to_address: str, name: str = "", link: str = "") -> dict:
        """The outbox row's values for one recipient."""
        text = self.text.replace(NAME, name).replace(LINK, link)
        html = self.html.replace(NAME, str(escape(name))).replace(LINK, str(escape(link)))
        return dict(to_address=to_address, subject=self.subject, body=text, html_body=html,
                    status="waiting", attempts=0, created_at=utcnow())


def draft(locale: str, compose) -> Draft:
    """Compose in `locale`: `compose()` returns the Message; the layout's own words follow it."""
    with force_locale(locale):
        message = compose()
        subject = " ".join(str(message.subject).split())[:300]
        return Draft(subject=subject, text=render_text(message), html=render_html(message, locale))


def queue_email(to_address: str, locale: str, compose) -> OutboxEmail:
    """Add an email to the outbox (no commit). `compose()` returns the Message; it runs in
    `locale`, as do the layout's own words."""
    row = OutboxEmail(**draft(locale, compose).values(to_address))
    db.add(row)
    return row


def queue_many(rows: list[dict]) -> None:
    """Add many outbox rows (Draft.values) at once (no commit)."""
    if rows:
        db.execute(insert(OutboxEmail), rows)
