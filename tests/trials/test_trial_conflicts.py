"""Two people editing the same trial or question: the second save from a stale form is refused.

Each edit form (and each status button) carries the version it was shown at. The later save of
two made from the same version answers 409 with the Conflict message, keeps that person's input
in the form, shows the values the first person saved, and the database keeps the first save;
the form then carries the current version, so saving again goes through."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.trials.models import Question, Trial
from tests.conftest import login
from tests.factories import make_trial, make_user
from tests.trials.test_trials_staff import trial_data

CONFLICT = "Someone else changed this while you were editing."
VERSION = re.compile(r'<input[^>]*name="version"[^>]*value="(\d*)"')


def version_on(page: str) -> str:
    match = VERSION.search(page)
    assert match, "no version field on the page"
    return match.group(1)


def conflict_box(page: str) -> str:
    start = page.index('data-testid="conflict"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def editors(app, dbs):
    """Two product staff of the trial's owning team, each signed in in a browser of their own."""
    first_user = make_user(dbs, role="product", name="First Fu")
    second_user = make_user(dbs, role="product", name="Second Su")
    trial = make_trial(dbs, title="Shared trial", status="draft", created_by_id=first_user.id,
                       capacity=20)
    clients = []
    for user in (first_user, second_user):
        client = app.test_client()
        client.language("en")
        login(client, user)
        clients.append(client)
    first, second = clients
    first.post(f"/staff/trials/{trial.id}/owners", data={"user_id": str(second_user.id)})
    return trial, first, second


def stored(dbs, model, obj_id):
    dbs.expire_all()
    return dbs.get(model, obj_id)


def test_second_trial_save_from_a_stale_form_is_a_conflict(dbs, editors):
    trial, first, second = editors
    url = f"/staff/trials/{trial.id}/edit"
    first_version = version_on(first.get(url).get_data(as_text=True))
    second_version = version_on(second.get(url).get_data(as_text=True))
    assert first_version == second_version == "1"

    response = first.post(url, data=trial_data(title="Title by First", capacity="30",
                                               version=first_version))
    assert response.status_code == 302
    response = second.post(url, data=trial_data(title="Title by Second", capacity="40",
                                                segments=["sme"], version=second_version))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CONFLICT in page
    # their input kept in the form...
    assert 'value="Title by Second"' in page and 'value="40"' in page
    assert re.search(r'value="sme"[^>]*checked|checked[^>]*value="sme"', page)
    # ...the first person's values shown above it
    box = conflict_box(page)
    assert "Title by First" in box and "30" in box and "Title by Second" not in box
    # the database holds the first save
    saved = stored(dbs, Trial, trial.id)
    assert (saved.title, saved.capacity) == ("Title by First", 30)
    assert saved.segment_codes == ["household", "mobile"]
    # the form now carries the current version: saving again is a decision made knowingly
    assert version_on(page) == str(saved.version) == "2"
    again = second.post(url, data=trial_data(title="Title by Second", version=version_on(page)))
    assert again.status_code == 302
    assert stored(dbs, Trial, trial.id).title == "Title by Second"


def test_a_change_of_segments_alone_makes_other_forms_stale(dbs, editors):
    trial, first, second = editors
    url = f"/staff/trials/{trial.id}/edit"
    version = version_on(first.get(url).get_data(as_text=True))
    t = trial
    same = dict(title=t.title, kind=t.kind, description=t.description, capacity=str(t.capacity),
                enrollment_opens_on=t.enrollment_opens_on.isoformat(),
                enrollment_closes_on=t.enrollment_closes_on.isoformat(),
                starts_on=t.starts_on.isoformat(), ends_on=t.ends_on.isoformat())
    assert first.post(url, data=trial_data(**same, segments=["sme"], version=version)).status_code == 302
    response = second.post(url, data=trial_data(**same, segments=["household"], version=version))
    assert response.status_code == 409
    assert stored(dbs, Trial, trial.id).segment_codes == ["sme"]


def test_status_buttons_carry_the_version(dbs, editors):
    trial, first, second = editors
    detail = f"/staff/trials/{trial.id}"
    first_page = first.get(detail).get_data(as_text=True)
    second_page = second.get(detail).get_data(as_text=True)
    response = first.post(f"{detail}/status", data={"status": "recruiting",
                                                    "version": version_on(first_page)})
    assert response.status_code == 302
    # the second person, still looking at the draft, edits it meanwhile: stale too
    response = second.post(f"{detail}/status", data={"status": "recruiting",
                                                     "version": version_on(second_page)})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CONFLICT in page and "Close the trial" in page  # the trial as it is now: recruiting
    assert stored(dbs, Trial, trial.id).status == "recruiting"
    # a form from before the status change is stale as well
    response = second.post(f"/staff/trials/{trial.id}/edit", data=trial_data(version="1"))
    assert response.status_code == 409
    # a status post without a version is never taken as current
    response = second.post(f"{detail}/status", data={"status": "closed"})
    assert response.status_code == 409
    assert stored(dbs, Trial, trial.id).status == "recruiting"


def question_form(question, **override) -> dict:
    data = {"kind": question.kind, "prompt": question.prompt, "help_text": question.help_text,
            "required": "y" if question.required else "", "options": "\n".join(question.options)}
    data.update(override)
    return data


def test_second_question_save_from_a_stale_form_is_a_conflict(dbs, editors):
    trial, first, second = editors
    question = trial.questions[0]
    url = f"/staff/trials/{trial.id}/questions/{question.id}/edit"
    first_version = version_on(first.get(url).get_data(as_text=True))
    second_version = version_on(second.get(url).get_data(as_text=True))
    assert first.post(url, data=question_form(question, prompt="Prompt by First",
                                              version=first_version)).status_code == 302
    response = second.post(url, data=question_form(question, prompt="Prompt by Second",
                                                   help_text="Help by Second", version=second_version))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CONFLICT in page
    assert 'value="Prompt by Second"' in page and 'value="Help by Second"' in page
    box = conflict_box(page)
    assert "Prompt by First" in box and "Prompt by Second" not in box
    saved = stored(dbs, Question, question.id)
    assert (saved.prompt, saved.help_text) == ("Prompt by First", "")
    assert version_on(page) == str(saved.version)


def test_reordering_does_not_make_an_open_question_form_stale(dbs, editors):
    trial, first, second = editors
    question = trial.questions[0]
    url = f"/staff/trials/{trial.id}/questions/{question.id}/edit"
    version = version_on(second.get(url).get_data(as_text=True))
    assert first.post(f"/staff/trials/{trial.id}/questions/{question.id}/move",
                      data={"direction": "down"}).status_code == 302
    response = second.post(url, data=question_form(question, prompt="Still fine", version=version))
    assert response.status_code == 302
    dbs.expire_all()
    prompts = list(dbs.scalars(select(Question.prompt).where(Question.trial_id == trial.id)
                               .order_by(Question.position)))
    assert prompts[1] == "Still fine"


def _race_cases(dbs, user):
    """(model, id, the text column another editor changes, the service saving the object at the
    version it was loaded at, the column it would change and to what)."""
    from portal.improvements import services as improvements
    from portal.improvements.models import Department
    from portal.opinions import services as opinions
    from portal.opinions.models import Consultation
    from portal.trials import services as trials
    from tests.factories import make_consultation, make_department

    trial = make_trial(dbs, created_by_id=user.id, status="draft")
    consultation = make_consultation(dbs)
    department = make_department(dbs)
    return [
        (Trial, trial.id, "title", lambda t: trials.save_trial(
            t, {**_trial_values(t), "capacity": 99}, user, version=t.version), ("capacity", 99)),
        (Trial, trial.id, "title", lambda t: trials.change_status(
            t, "recruiting", user, version=t.version), ("status", "recruiting")),
        (Question, trial.questions[0].id, "prompt", lambda q: trials.update_question(
            q, {"kind": q.kind, "prompt": q.prompt, "help_text": "Late help", "required": True,
                "options": ""}, user, version=q.version), ("help_text", "Late help")),
        (Consultation, consultation.id, "title", lambda c: opinions.update_consultation(
            c, user, subject=c.subject, title=c.title, body="Late body", opens_on=c.opens_on,
            closes_on=c.closes_on, version=c.version), ("body", "Late body")),
        (Department, department.id, "name", lambda d: improvements.update_department(
            user, d, name="Late name", a_contact_id=d.a_contact_id, b_contact_id=d.b_contact_id,
            version=d.version), ("name", "Late name")),
    ]


def _trial_values(trial) -> dict:
    names = ("kind", "title", "description", "capacity", "auto_accept", "enrollment_opens_on",
             "enrollment_closes_on", "starts_on", "ends_on")
    return {**{n: getattr(trial, n) for n in names}, "segments": trial.segment_codes}


def test_a_save_slipping_in_after_the_check_is_a_conflict_too(app, dbs):
    """Someone saves between the version check and the UPDATE: the version in the UPDATE's
    WHERE clause catches it, and the unit of work turns it into the same Conflict."""
    from portal.db import db
    from portal.errors import Conflict

    user = make_user(dbs, role="admin")
    cases = _race_cases(dbs, user)
    for n, (model, obj_id, other_column, save, (late_column, late_value)) in enumerate(cases):
        with app.test_request_context():
            loaded = db.get(model, obj_id)
            db.refresh(loaded)
            # another editor's save lands now, after this request loaded the row
            setattr(dbs.get(model, obj_id), other_column, f"Other save {n}")
            dbs.commit()
            with pytest.raises(Conflict):
                save(loaded)
        saved = stored(dbs, model, obj_id)
        assert getattr(saved, other_column) == f"Other save {n}", model
        assert getattr(saved, late_column) != late_value, model


def test_deleting_a_question_edited_meanwhile_is_a_conflict(app, dbs, monkeypatch):
    """The delete names the version it loaded: a question changed in between stays, and the
    page says why (409, not a crash)."""
    from portal.db import db
    from portal.errors import Conflict
    from portal.trials import services

    user = make_user(dbs, role="admin")
    trial = make_trial(dbs, created_by_id=user.id, status="draft")
    question_id = trial.questions[0].id
    with app.test_request_context():
        loaded = db.get(Question, question_id)
        db.refresh(loaded)
        dbs.get(Question, question_id).prompt = "Edited meanwhile"
        dbs.commit()
        with pytest.raises(Conflict):
            services.delete_question(loaded, user)
    assert stored(dbs, Question, question_id).prompt == "Edited meanwhile"

    def edited_meanwhile(*_args):
        raise Conflict()

    monkeypatch.setattr(services, "delete_question", edited_meanwhile)
    client = app.test_client()
    client.language("en")
    login(client, user)
    response = client.post(f"/staff/trials/{trial.id}/questions/{question_id}/delete")
    assert response.status_code == 409 and CONFLICT in response.get_data(as_text=True)
