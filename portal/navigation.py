"""The main navigation: which links a role sees, written once per locale, role and page.

Every link appears exactly when the viewer holds the capability its page requires (the
capabilities are the role's, `portal.permissions`). The links of one role, in one language, on
one page never change, so they are rendered once and kept: building them asked `can()` eighteen
times and `url_for` a dozen on every page, about a quarter of a signed-in page's floor.
"""
from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from portal import permissions
from portal.i18n import locale_key, plain

# (capability, endpoint, label), in the order they are shown.
LINKS = (
    ("panel.take_part", "home.index", _l("My home")),
    ("panel.take_part", "trials.member_list", _l("Trials")),
    ("panel.take_part", "opinions.member_list", _l("Consultations")),
    ("panel.take_part", "gaps.member_list", _l("My service-gap reports")),
    ("panel.take_part", "dashboards.changes", _l("What changed")),
    ("inbox.view", "triage.inbox", _l("Inbox")),
    ("trials.view", "trials.staff_list", _l("Trials")),
    ("consultations.view", "opinions.staff_list", _l("Consultations")),
    ("gaps.view_all", "gaps.staff_list", _l("Service-gap reports")),
    ("members.view", "accounts.members", _l("Members")),
    ("items.view", "improvements.item_list", _l("Improvement items")),
    ("index.view", "index.overview", _l("Service index")),
    ("supervision.view", "supervision.request_list", _l("Supervision hotline")),
    ("items.edit", "improvements.supervision", _l("Supervision")),
    ("letters.view", "letters.scoreboard", _l("Responsibility letters")),
    ("recognition.view", "letters.cases", _l("Classic cases")),
    ("dashboard.view", "dashboards.office", _l("Dashboard")),
    ("panel.health", "panel.health", _l("Panel health")),
    ("departments.manage", "improvements.departments", _l("Departments")),
    ("staff_accounts.manage", "admin.index", _l("Administration")),
    ("outbox.manage", "notifications.outbox_list", _l("Email outbox")),
    ("privacy.manage", "accounts.privacy_admin", _l("Privacy notice")),
)

_RENDERED: dict[tuple, Markup] = {}


def main_nav() -> Markup:
    """The signed-in viewer's links (none for a visitor), the current page's marked for screen
    readers (aria-current)."""
    role = permissions.role_of(current_user)
    key = (locale_key(), role, request.endpoint, request.script_root)
    found = _RENDERED.get(key)
    if found is None:
        links = []
        for capability, endpoint, label in LINKS:
            if role in permissions.holders(capability):
                current = ' aria-current="page"' if request.endpoint == endpoint else ""
                links.append(f'<a href="{escape(url_for(endpoint))}"{current}>'
                             f"{escape(plain(label))}</a>")
        found = _RENDERED[key] = Markup("\n".join(links))
    return found


def init_app(app: Flask) -> None:
    app.jinja_env.globals["main_nav"] = main_nav
