"""Every route is guarded: the walk over the app's URL map that no new route can slip past.

- A visitor (not signed in) who opens any address but the public ones is sent to sign in.
- A signed-in member who opens a staff address (under /staff/ or /admin/, or one whose view
  requires a capability members do not hold) gets 403, or 404 where the object is not theirs.
- Every view names what it requires (`@requires(capability)` or `@requires_login`, both set
  `view.required_capability`), so a route without a guard fails here rather than in production.
- The capability table names only known roles, and asking for an unknown capability is an error.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from portal import create_app, permissions
from portal.permissions import CAPABILITIES, ROLES, can, requires
from portal.trials.models import Evaluation
from tests import factories
from tests.conftest import login
from tests.index.helpers import make_period

# Addresses a visitor may open without signing in.
PUBLIC = {
    "accounts.login",      # sign in
    "accounts.register",   # accept an invitation (/join/<token>)
    "accounts.forgot_password",  # ask for a reset link
    "accounts.reset_password",   # use it (/reset/<token>)
    "accounts.privacy_notice",   # the privacy notice, linked from the registration form
    "i18n.set_language",   # the language switch in every page's header, signed in or not
    "health",              # the load balancer's check
    "static",
    "exports.static",      # the export job page's script
}
# Views that need no guard of their own because they route every visitor themselves: the start
# page sends visitors to sign in (without a "please sign in" notice), members and staff to
# their own home. A visitor is still checked to be sent to sign in.
ROUTES_ITSELF = {"home.index"}

# Values for the URL parts that are not object ids.
FIXED_VALUES = {"fmt": "csv", "commitment": "network_quality", "code": "en", "token": "no-such-token",
                "number": 1}


def _rules():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "collect-only", "TESTING": True})
    rules = {}
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        method = "GET" if "GET" in methods else sorted(methods)[0]
        view = app.view_functions[rule.endpoint]
        rules[rule.endpoint] = (rule.rule, method, sorted(rule.arguments),
                                getattr(view, "required_capability", "missing"))
    return rules


RULES = _rules()
GUARDED = sorted(endpoint for endpoint in RULES if endpoint not in PUBLIC)


def _is_staff_rule(endpoint: str) -> bool:
    path, _, _, capability = RULES[endpoint]
    if path.startswith(("/staff/", "/admin/")) or path in ("/staff", "/admin"):
        return True
    return capability not in (None, "missing") and "member" not in CAPABILITIES.get(capability, ())


STAFF_ENDPOINTS = sorted(endpoint for endpoint in GUARDED if _is_staff_rule(endpoint))


@pytest.fixture
def objects(dbs, member):
    """One object of every kind a URL names, so routes reach their real checks (ids else 1)."""
    office = factories.make_user(dbs, role="office")
    trial = factories.make_trial(dbs)
    enrollment = factories.make_enrollment(dbs, trial, member)
    evaluation = Evaluation(trial_id=trial.id, member_id=member.id, status="submitted", version=1)
    dbs.add(evaluation)
    dbs.commit()
    consultation = factories.make_consultation(dbs)
    submission = factories.make_gap_submission(dbs, member)
    department = factories.make_department(dbs)
    item = factories.make_item(dbs, submissions=[submission], department_id=department.id)
    period = make_period(dbs)
    return {
        "trial_id": trial.id, "enrollment_id": enrollment.id, "question_id": trial.questions[0].id,
        "evaluation_id": evaluation.id, "consultation_id": consultation.id,
        "report_id": submission.gap_report_id, "submission_id": submission.id, "item_id": item.id,
        "department_id": department.id, "period_id": period.id, "member_id": member.id,
        "user_id": office.id,
    }


def _url(app, endpoint: str, objects: dict) -> tuple[str, str]:
    _, method, arguments, _ = RULES[endpoint]
    values = {name: objects.get(name, FIXED_VALUES.get(name, 1)) for name in arguments}
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(endpoint, values, method=method), method


def _open(client, method: str, url: str):
    return client.open(url, method=method, data={} if method != "GET" else None)


@pytest.mark.parametrize("endpoint", GUARDED)
def test_a_visitor_is_sent_to_sign_in(app, client, objects, endpoint):
    url, method = _url(app, endpoint, objects)
    response = _open(client, method, url)
    assert response.status_code == 302, f"{method} {url}: {response.status_code}"
    assert urlsplit(response.headers["Location"]).path == "/login", response.headers["Location"]


@pytest.mark.parametrize("endpoint", STAFF_ENDPOINTS)
def test_a_member_cannot_open_staff_pages(app, client, member, objects, endpoint):
    login(client, member)
    url, method = _url(app, endpoint, objects)
    response = _open(client, method, url)
    assert response.status_code in (403, 404), f"{method} {url}: {response.status_code}"


@pytest.mark.parametrize("endpoint", sorted(e for e in GUARDED if e not in ROUTES_ITSELF))
def test_every_view_names_what_it_requires(endpoint):
    capability = RULES[endpoint][3]
    assert capability != "missing", (
        f"{endpoint} ({RULES[endpoint][0]}) has no @requires(...) / @requires_login guard")
    assert capability is None or capability in CAPABILITIES


def test_the_public_allowlist_names_real_endpoints():
    assert PUBLIC | ROUTES_ITSELF <= set(RULES)


def test_the_walk_covers_the_member_and_staff_areas():
    # A guard against a broken walk that would check nothing.
    staff_pages = {"triage.inbox", "admin.index", "trials.staff_new", "improvements.item_edit"}
    assert staff_pages <= set(STAFF_ENDPOINTS)
    assert "trials.member_list" in GUARDED and "trials.member_list" not in STAFF_ENDPOINTS


# --- the capability table ---------------------------------------------------------------------------

def test_every_capability_names_only_known_roles():
    for capability, roles in CAPABILITIES.items():
        assert roles, capability
        assert set(roles) <= set(ROLES), (capability, roles)
        assert permissions.holders(capability) == roles


@pytest.mark.parametrize("role", ROLES)
def test_can_follows_the_table(dbs, role):
    user = factories.make_user(dbs, role=role)
    for capability, roles in CAPABILITIES.items():
        assert can(capability, user) is (role in roles), (role, capability)


def test_a_visitor_holds_no_capability(app):
    from flask_login import AnonymousUserMixin

    with app.test_request_context():
        assert not any(can(capability, AnonymousUserMixin()) for capability in CAPABILITIES)


def test_an_unknown_capability_is_an_error(dbs):
    user = factories.make_user(dbs, role="admin")
    with pytest.raises(KeyError):
        can("no.such.capability", user)
    with pytest.raises(KeyError):
        requires("no.such.capability")
