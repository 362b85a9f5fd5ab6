"""A trial's owning team: product staff reach exactly the trials their team owns.

The creator is the first owner; an owner adds co-owners from the active product staff; only the
creator (or an administrator) removes one and the creator stays. A co-owner reaches the trial's
pages, evaluations, results, exports and inbox rows; once removed, every one of them is a 404
again. Someone outside the team cannot add themselves. Every change is in the trial's History."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.trials.models import Trial, TrialOwner
from tests.conftest import login
from tests.factories import make_submission, make_trial, make_user
from tests.triage.test_inbox import rows as inbox_rows
from tests.trials.test_evaluations import ALL_KINDS
from tests.trials.test_evaluations_staff import make_submitted


@pytest.fixture
def creator(dbs):
    return make_user(dbs, role="product", name="Creator Chen")


@pytest.fixture
def colleague(dbs):
    return make_user(dbs, role="product", name="Colleague Wu")


@pytest.fixture
def owned(dbs, creator, member):
    """The creator's running trial with a submitted evaluation and its inbox row."""
    trial = make_trial(dbs, title="Team 5G trial", status="running", questions=ALL_KINDS,
                       created_by_id=creator.id)
    evaluation = make_submitted(dbs, trial, member, text="Team secret words")
    row = make_submission(dbs, member, kind="evaluation", trial_id=trial.id,
                          evaluation_id=evaluation.id, title="Team 5G trial")
    return trial, evaluation, row


def trial_pages(trial, evaluation, row):
    return [
        f"/staff/trials/{trial.id}", f"/staff/trials/{trial.id}/edit",
        f"/staff/trials/{trial.id}/enrollments", f"/staff/trials/{trial.id}/evaluations",
        f"/staff/evaluations/{evaluation.id}", f"/staff/trials/{trial.id}/results",
        f"/staff/trials/{trial.id}/results.csv", f"/staff/trials/{trial.id}/results.xlsx",
        f"/staff/inbox/{row.id}",
    ]


def owner_ids(dbs, trial) -> set[int]:
    dbs.expire_all()
    return set(dbs.scalars(select(TrialOwner.user_id).where(TrialOwner.trial_id == trial.id)))


def as_user(app, dbs, user):
    client = app.test_client()
    client.language("en")
    login(client, user)
    return client


def test_the_creator_is_the_first_owner(dbs, product_client, product_user):
    from tests.trials.test_trials_staff import trial_data

    assert product_client.post("/staff/trials/new", data=trial_data()).status_code == 302
    trial = dbs.scalar(select(Trial))
    assert owner_ids(dbs, trial) == {product_user.id}
    page = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    section = page[page.index('data-testid="owners"'):]
    assert "Owning team" in section and product_user.name in section and "Creator" in section


def test_a_co_owner_reaches_everything_then_nothing_once_removed(app, dbs, owned, creator, colleague):
    trial, evaluation, row = owned
    outsider = as_user(app, dbs, colleague)
    for url in trial_pages(trial, evaluation, row):
        assert outsider.get(url).status_code == 404, url
    assert inbox_rows(outsider.get("/staff/inbox")) == []
    assert "Team 5G trial" not in outsider.get("/staff/trials").get_data(as_text=True)

    owner = as_user(app, dbs, creator)
    page = owner.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert f'<option value="{colleague.id}">' in page  # offered as a co-owner
    response = owner.post(f"/staff/trials/{trial.id}/owners", data={"user_id": str(colleague.id)})
    assert response.status_code == 302
    assert owner_ids(dbs, trial) == {creator.id, colleague.id}

    for url in trial_pages(trial, evaluation, row):
        assert outsider.get(url).status_code == 200, url
    assert inbox_rows(outsider.get("/staff/inbox")) == [row.id]
    assert "Team 5G trial" in outsider.get("/staff/trials").get_data(as_text=True)
    assert "Team secret words" in outsider.get(f"/staff/evaluations/{evaluation.id}").get_data(as_text=True)
    # a co-owner manages the trial like its creator
    detail = outsider.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert "Edit trial" in detail and "Close the trial" in detail

    response = owner.post(f"/staff/trials/{trial.id}/owners/{colleague.id}/remove")
    assert response.status_code == 302
    assert owner_ids(dbs, trial) == {creator.id}
    for url in trial_pages(trial, evaluation, row):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Team secret words" not in response.get_data(as_text=True)
    assert inbox_rows(outsider.get("/staff/inbox")) == []


def test_changes_of_the_team_are_in_the_history(app, dbs, owned, creator, colleague):
    trial, _evaluation, _row = owned
    owner = as_user(app, dbs, creator)
    owner.post(f"/staff/trials/{trial.id}/owners", data={"user_id": str(colleague.id)})
    owner.post(f"/staff/trials/{trial.id}/owners/{colleague.id}/remove")
    entries = list(dbs.scalars(select(AuditEntry).where(AuditEntry.object_type == "trial")
                               .order_by(AuditEntry.id)))
    assert [(e.actor_id, e.action, e.before, e.after) for e in entries] == [
        (creator.id, "owner.add", None, {"owner_id": colleague.id}),
        (creator.id, "owner.remove", {"owner_id": colleague.id}, None),
    ]
    page = owner.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    history = page[page.index('data-testid="history"'):]
    assert "Added to the owning team" in history and "Removed from the owning team" in history
    assert "Owner:" in history and "Colleague Wu" in history


def test_an_outsider_cannot_add_themselves(app, dbs, owned, creator, colleague):
    trial, _evaluation, _row = owned
    outsider = as_user(app, dbs, colleague)
    response = outsider.post(f"/staff/trials/{trial.id}/owners", data={"user_id": str(colleague.id)})
    assert response.status_code == 404
    assert "Team 5G trial" not in response.get_data(as_text=True)
    response = outsider.post(f"/staff/trials/{trial.id}/owners/{creator.id}/remove")
    assert response.status_code == 404
    assert owner_ids(dbs, trial) == {creator.id}
    assert dbs.scalar(select(AuditEntry)) is None


def test_office_and_members_cannot_change_the_team(app, dbs, owned, creator, office_user, member):
    trial, _evaluation, _row = owned
    for user in (office_user, member):
        client = as_user(app, dbs, user)
        assert client.post(f"/staff/trials/{trial.id}/owners",
                           data={"user_id": str(user.id)}).status_code == 403
    office = as_user(app, dbs, office_user)
    page = office.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    section = page[page.index('data-testid="owners"'):page.index('data-testid="history"')]
    assert "Creator Chen" in section  # office reads the team...
    assert "Add to the owning team" not in section and "Remove" not in section  # ...and changes none
    assert owner_ids(dbs, trial) == {creator.id}


def test_only_active_product_staff_join(app, dbs, owned, creator, office_user, member):
    trial, _evaluation, _row = owned
    paused = make_user(dbs, role="product", name="Paused Product", status="paused")
    admin = make_user(dbs, role="admin", name="Admin Ann")
    owner = as_user(app, dbs, creator)
    page = owner.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    for name in ("Paused Product", "Admin Ann", office_user.name, member.name):
        assert f">{name} (" not in page, name
    for user in (paused, admin, office_user, member):
        response = owner.post(f"/staff/trials/{trial.id}/owners", data={"user_id": str(user.id)})
        assert response.status_code == 422
        assert "Choose an active member of the product staff." in response.get_data(as_text=True)
    response = owner.post(f"/staff/trials/{trial.id}/owners", data={"user_id": str(creator.id)})
    assert response.status_code == 422
    assert "already in the owning team" in response.get_data(as_text=True)
    assert owner_ids(dbs, trial) == {creator.id}


def test_only_the_creator_or_an_admin_removes_and_never_the_creator(app, dbs, owned, creator, colleague):
    trial, _evaluation, _row = owned
    third = make_user(dbs, role="product", name="Third Tang")
    make_user(dbs, role="product", name="Fourth Fang")  # still to be offered
    owner = as_user(app, dbs, creator)
    for user in (colleague, third):
        assert owner.post(f"/staff/trials/{trial.id}/owners",
                          data={"user_id": str(user.id)}).status_code == 302
    co_owner = as_user(app, dbs, colleague)
    detail = co_owner.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    assert "Add to the owning team" in detail and f"/owners/{third.id}/remove" not in detail
    # a co-owner adds, but does not remove
    assert co_owner.post(f"/staff/trials/{trial.id}/owners/{third.id}/remove").status_code == 403
    assert co_owner.post(f"/staff/trials/{trial.id}/owners/{creator.id}/remove").status_code == 403
    # the creator stays, whoever asks
    response = owner.post(f"/staff/trials/{trial.id}/owners/{creator.id}/remove")
    assert response.status_code == 409
    assert "creator always stays in its owning team." in response.get_data(as_text=True)
    admin = as_user(app, dbs, make_user(dbs, role="admin"))
    assert admin.post(f"/staff/trials/{trial.id}/owners/{creator.id}/remove").status_code == 409
    assert owner_ids(dbs, trial) == {creator.id, colleague.id, third.id}
    # an administrator removes a co-owner
    assert admin.post(f"/staff/trials/{trial.id}/owners/{third.id}/remove").status_code == 302
    assert owner_ids(dbs, trial) == {creator.id, colleague.id}


def test_the_staff_list_and_home_count_the_teams_trials(app, dbs, owned, creator, colleague):
    trial, _evaluation, _row = owned
    make_trial(dbs, title="Colleague own trial", created_by_id=colleague.id)
    as_user(app, dbs, creator).post(f"/staff/trials/{trial.id}/owners",
                                    data={"user_id": str(colleague.id)})
    listing = as_user(app, dbs, colleague).get("/staff/trials").get_data(as_text=True)
    assert "Colleague own trial" in listing and "Team 5G trial" in listing
    listing = as_user(app, dbs, creator).get("/staff/trials").get_data(as_text=True)
    assert "Team 5G trial" in listing and "Colleague own trial" not in listing
