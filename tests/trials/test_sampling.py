"""Samples: staff draw eligible members at random (quotas and exclusions respected), preview
them, invite them (a notice each); the trial's funnel; starting a trial before its start date."""
from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import domain
from portal.notifications.models import Notification
from portal.trials import sampling
from portal.trials.models import Evaluation, Trial, TrialInvitation
from tests.audit.helpers import history_text
from tests.conftest import login
from tests.factories import (
    make_enrollment,
    make_profile,
    make_quota,
    make_targeting,
    make_trial,
    make_trial_invitation,
    make_user,
)
from tests.queries import sql_statements


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def trial(dbs, product_user):
    return make_trial(dbs, title="Pudong households", segments=("household",), created_by_id=product_user.id,
                      capacity=None)


def household(dbs, district="pudong", **fields):
    return make_user(dbs, segment="household", district=district, **fields)


def draw_ids(app, trial, size=500) -> set[int]:
    with app.app_context():
        from portal.db import db

        return set(sampling.draw(db.get(Trial, trial.id), size))


def test_the_sample_leaves_out_the_right_people(app, dbs, trial):
    fits = [household(dbs) for _ in range(3)]
    paused = household(dbs, status="paused")
    deleted = household(dbs, status="deleted")
    other_segment = make_user(dbs, segment="mobile", district="pudong")
    staff = make_user(dbs, role="office", segment="household", district="pudong")
    running = make_trial(dbs, segments=("household",), status="running")
    closed = make_trial(dbs, segments=("household",), status="closed")
    busy = household(dbs)
    make_enrollment(dbs, running, busy, status="accepted")
    applied_elsewhere = household(dbs)  # only applied to a running trial: still drawn
    make_enrollment(dbs, running, applied_elsewhere, status="applied")
    done_elsewhere = household(dbs)  # accepted in a closed trial: still drawn
    make_enrollment(dbs, closed, done_elsewhere, status="accepted")
    recently_invited = household(dbs)
    make_trial_invitation(dbs, closed, recently_invited, invited_at=datetime.now(UTC) - timedelta(days=29))
    long_ago_invited = household(dbs)
    make_trial_invitation(dbs, closed, long_ago_invited, invited_at=datetime.now(UTC) - timedelta(days=31))
    already_here = household(dbs)
    make_enrollment(dbs, trial, already_here, status="withdrawn")
    invited_here = household(dbs)
    make_trial_invitation(dbs, trial, invited_here, invited_at=datetime.now(UTC) - timedelta(days=60))

    expected = {m.id for m in (*fits, applied_elsewhere, done_elsewhere, long_ago_invited)}
    assert draw_ids(app, trial) == expected
    left_out = {m.id for m in (paused, deleted, other_segment, staff, busy, recently_invited, already_here,
                               invited_here)}
    assert not draw_ids(app, trial) & left_out
    assert len(draw_ids(app, trial, size=2)) == 2


def test_the_sample_follows_districts_and_profile_conditions(app, dbs, product_user):
    trial = make_targeting(dbs, make_trial(dbs, segments=("mobile",), created_by_id=product_user.id),
                           districts=("pudong", "minhang"), handset_os=["android"], network_generation=["5g"])
    fits = []
    for district in ("pudong", "minhang"):
        member = make_user(dbs, segment="mobile", district=district)
        make_profile(dbs, member, handset_os="android", network_generation="5g")
        fits.append(member.id)
    left_out = (("xuhui", "android", "5g"), ("pudong", "ios", "5g"), ("pudong", "android", "4g"))
    for district, os_, net in left_out:
        make_profile(dbs, make_user(dbs, segment="mobile", district=district), handset_os=os_,
                     network_generation=net)
    make_user(dbs, segment="mobile", district="pudong")  # no profile
    assert draw_ids(app, trial) == set(fits)


def test_the_sample_respects_the_quotas_free_places(app, dbs, trial):
    trial_segments = make_trial(dbs, segments=("household", "mobile"), capacity=None)
    make_quota(dbs, trial_segments, 3, segment="household")  # 1 accepted: 2 free
    make_quota(dbs, trial_segments, 1, district="xuhui")     # full already
    make_enrollment(dbs, trial_segments, household(dbs, "xuhui"), status="accepted")
    households = [household(dbs, "pudong") for _ in range(6)]
    in_xuhui = [make_user(dbs, segment="mobile", district="xuhui") for _ in range(3)]
    mobiles = [make_user(dbs, segment="mobile", district="pudong") for _ in range(4)]
    for _ in range(5):  # random: whatever the order, never more than the free places
        drawn = draw_ids(app, trial_segments, size=20)
        assert len(drawn & {m.id for m in households}) == 2
        assert not drawn & {m.id for m in in_xuhui}
        assert {m.id for m in mobiles} <= drawn
        assert len(drawn) == 6


def test_preview_then_invite(app, dbs, product_client, trial):
    members = [household(dbs, name=f"Household {i}") for i in range(4)]
    make_profile(dbs, members[0], broadband_package="fibre_500", household_size=3)
    preview = product_client.get(f"/staff/trials/{trial.id}/sample?size=3")
    assert preview.status_code == 200
    page = text(preview)
    assert "Drawn members (3)" in page and "Household customer" in page and "Pudong" in page
    assert dbs.scalar(select(func.count(TrialInvitation.id))) == 0  # a preview stores nothing
    ids = [m.id for m in members if f'value="{m.id}"' in page and f"Household {members.index(m)}" in page]
    assert len(ids) == 3

    response = product_client.post(f"/staff/trials/{trial.id}/sample/invite", data={"member_id": ids})
    assert response.status_code == 302
    detail = text(product_client.get(response.headers["Location"]))
    assert "3 members were invited." in detail
    assert set(dbs.scalars(select(TrialInvitation.member_id))) == set(ids)
    notices = dbs.scalars(select(Notification).where(Notification.kind == "trial_invited")).all()
    assert {n.user_id for n in notices} == set(ids) and all(n.trial_id == trial.id for n in notices)
    assert "Members invited from a sample" in history_text(detail)

    # The invited member reads the notice, which leads to the trial.
    invited = next(m for m in members if m.id == ids[0])
    product_client.post("/logout")
    login(product_client, invited)
    product_client.language("en")
    listing = text(product_client.get("/notifications"))
    assert f"You are invited to take part in the trial “{trial.title}”." in listing
    notice = next(n for n in notices if n.user_id == invited.id)
    opened = product_client.get(f"/notifications/{notice.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/trials/{trial.id}")


def test_invited_notice_in_chinese(app, dbs, product_client, trial):
    member = household(dbs)
    product_client.post(f"/staff/trials/{trial.id}/sample/invite", data={"member_id": [member.id]})
    product_client.post("/logout")
    login(product_client, member)
    product_client.language("zh_Hans")
    page = text(product_client.get("/notifications"))
    assert trial.title in page


def test_invite_checks_again_and_needs_a_recruiting_trial(dbs, product_client, trial):
    fits, now_busy = household(dbs), household(dbs)
    running = make_trial(dbs, segments=("household",), status="running")
    make_enrollment(dbs, running, now_busy, status="accepted")
    response = product_client.post(f"/staff/trials/{trial.id}/sample/invite",
                                   data={"member_id": [fits.id, now_busy.id]}, follow_redirects=True)
    page = text(response)
    assert "1 member was invited." in page
    assert "1 drawn member was left out: they no longer fit the sample." in page
    draft = make_trial(dbs, segments=("household",), status="draft", created_by_id=trial.created_by_id)
    response = product_client.post(f"/staff/trials/{draft.id}/sample/invite", data={"member_id": [fits.id]},
                                   follow_redirects=True)
    assert "Members can be invited only while the trial is recruiting." in text(response)
    assert dbs.scalar(select(func.count(TrialInvitation.id))) == 1


@pytest.mark.parametrize("size, message", [("0", "Number must be between 1 and 500."),
                                           ("abc", "Not a valid integer value."),
                                           ("501", "Number must be between 1 and 500.")])
def test_bad_sample_size(dbs, product_client, trial, size, message):
    response = product_client.get(f"/staff/trials/{trial.id}/sample?size={size}")
    assert response.status_code == 422 and message in text(response)


def test_samples_need_trials_manage_on_the_trial(dbs, client, trial, office_user, admin_user):
    url = f"/staff/trials/{trial.id}/sample?size=5"
    login(client, office_user)
    assert client.get(url).status_code == 403
    invite = f"/staff/trials/{trial.id}/sample/invite"
    assert client.post(invite, data={"member_id": ["1"]}).status_code == 403
    client.post("/logout")
    login(client, make_user(dbs, role="product"))  # not an owner
    assert client.get(url).status_code == 404
    client.post("/logout")
    login(client, household(dbs))
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(client, admin_user)
    assert client.get(url).status_code == 200


def test_funnel_counts(app, dbs, product_client, trial):
    invited = [household(dbs) for _ in range(3)]
    for m in invited:
        make_trial_invitation(dbs, trial, m)
    walk_in = household(dbs)
    make_enrollment(dbs, trial, invited[0], status="accepted")
    make_enrollment(dbs, trial, invited[1], status="declined")
    make_enrollment(dbs, trial, walk_in, status="accepted")
    dbs.add_all([Evaluation(trial_id=trial.id, member_id=invited[0].id, status="submitted", version=1),
                 Evaluation(trial_id=trial.id, member_id=walk_in.id, status="draft", version=0)])
    dbs.commit()
    page = product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True)
    funnel = page[page.index('data-testid="funnel"'):]
    funnel = funnel[:funnel.index("</section>")]
    for step, count in (("invited", 3), ("applied", 3), ("accepted", 2), ("evaluated", 1)):
        assert f'data-step="{step}">{count}<' in funnel
    assert "of whom invited: 2" in funnel and "of whom invited: 1" in funnel

    def statements():
        with sql_statements(app) as sent:
            assert product_client.get(f"/staff/trials/{trial.id}").status_code == 200
        return len(sent)

    before = statements()
    for _ in range(5):
        make_trial_invitation(dbs, trial, household(dbs))
    assert statements() == before


# -- starting a trial before its start date ----------------------------------------------------


def test_starting_early_needs_a_confirmation_which_is_recorded(dbs, product_client, product_user):
    starts = domain.shanghai_today() + timedelta(days=5)
    trial = make_trial(dbs, created_by_id=product_user.id, starts_on=starts,
                       ends_on=starts + timedelta(days=30))
    page = text(product_client.get(f"/staff/trials/{trial.id}"))
    assert "starting it now is before its start date" in page
    assert "I confirm starting this trial before its start date" in page

    url = f"/staff/trials/{trial.id}/status"
    response = product_client.post(url, data={"status": "running", "version": str(trial.version)})
    assert response.status_code == 409
    assert "To start it now, tick the box confirming the early start." in text(response)
    dbs.expire_all()
    assert dbs.get(Trial, trial.id).status == "recruiting"

    response = product_client.post(url, data={"status": "running", "version": str(trial.version),
                                              "confirm_early_start": "y"})
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(Trial, trial.id).status == "running"
    history = history_text(product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    assert "Started before its start date (confirmed)" in history


def test_starting_on_or_after_the_start_date_needs_no_confirmation(dbs, product_client, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id, starts_on=domain.shanghai_today())
    assert "I confirm starting" not in text(product_client.get(f"/staff/trials/{trial.id}"))
    response = product_client.post(f"/staff/trials/{trial.id}/status",
                                   data={"status": "running", "version": str(trial.version)})
    assert response.status_code == 302
    history = history_text(product_client.get(f"/staff/trials/{trial.id}").get_data(as_text=True))
    assert "Started before its start date" not in history
