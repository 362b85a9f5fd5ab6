"""Sign-in throttling: per email (5 in the window, growing delay from the third failure) and per
address (100 in the window); the refusal never tells whether an email has an account."""
import re
from datetime import timedelta

from sqlalchemy import func, select, update

from portal.accounts.models import LoginAttempt
from portal.db import utcnow
from tests.accounts.test_login import post_login
from tests.factories import PASSWORD, make_user

WAIT = "Too many failed sign-in attempts. Please wait"
FLASH = re.compile(r'<div class="flash flash-\w+"[^>]*>([^<]*)</div>')


def flashes(response) -> list[str]:
    return FLASH.findall(response.get_data(as_text=True))


def step_back(dbs, seconds: float) -> None:
    """Time passes: every stored attempt happened `seconds` earlier."""
    for attempt in dbs.scalars(select(LoginAttempt)):
        attempt.attempted_at -= timedelta(seconds=seconds)
    dbs.commit()


def fail(client, dbs, email, times, addr="10.9.9.9", step=30):
    """`times` wrong passwords for `email`, each after the delay of the one before has passed."""
    for i in range(times):
        response = post_login(client, email, "wrong-password", addr=addr.format(i=i))
        assert response.status_code == 422, (i, response.get_data(as_text=True)[:500])
        step_back(dbs, step)


def test_five_failures_block_the_account_even_with_the_right_password(client, member, dbs, app):
    # each failure from another address: only the email ties them together
    fail(client, dbs, member.email, app.config["LOGIN_MAX_FAILURES"], addr="10.0.0.{i}")
    response = post_login(client, member.email, PASSWORD, addr="10.0.1.1")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    # the oldest of the five failed 150 s ago: 750 s of the 15 minutes are left
    assert f"{WAIT} 13 minutes and try again." in page
    assert 740 <= int(response.headers["Retry-After"]) <= 750
    assert f'value="{member.email}"' in page
    assert client.get("/profile").status_code == 302


def test_a_blocked_account_does_not_block_another_one_from_the_same_address(client, member, dbs):
    fail(client, dbs, member.email, 5, addr="10.0.2.1")
    other = make_user(dbs, role="member")
    assert post_login(client, other.email, PASSWORD, addr="10.0.2.1").status_code == 302


def test_made_up_emails_from_one_address_do_not_block_a_real_account(client, member):
    for i in range(10):
        response = post_login(client, f"guess{i}@example.com", "wrong-password", addr="192.0.2.7")
        assert response.status_code == 422
    assert post_login(client, member.email, PASSWORD, addr="192.0.2.7").status_code == 302


def test_a_made_up_email_is_held_back_with_the_same_words_as_a_real_account(client, member, dbs):
    """The refusal says nothing about the account: an unknown email and a real one read alike."""
    for _ in range(5):
        post_login(client, member.email, "wrong-password", addr="10.0.3.1")
        post_login(client, "nobody@example.com", "wrong-password", addr="10.0.3.2")
        step_back(dbs, 30)
    real = post_login(client, member.email, PASSWORD, addr="10.0.3.3")
    made_up = post_login(client, "nobody@example.com", "any-password", addr="10.0.3.4")
    assert real.status_code == made_up.status_code == 429
    # (a second may pass between the two answers)
    assert abs(int(real.headers["Retry-After"]) - int(made_up.headers["Retry-After"])) <= 1
    assert flashes(real) == flashes(made_up) == [f"{WAIT} 13 minutes and try again."]


def test_an_address_is_blocked_after_a_hundred_failures(client, member, dbs, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    assert limit == 100
    dbs.add_all(LoginAttempt(email=f"guess{i}@example.com", ip_address="198.51.100.9", succeeded=False)
                for i in range(limit - 1))
    dbs.commit()
    last = post_login(client, "guess-last@example.com", "wrong-password", addr="198.51.100.9")
    assert last.status_code == 422
    response = post_login(client, member.email, PASSWORD, addr="198.51.100.9")
    assert response.status_code == 429
    assert f"{WAIT} 15 minutes and try again." in response.get_data(as_text=True)
    # the account itself is not held back elsewhere
    assert post_login(client, member.email, PASSWORD, addr="198.51.100.10").status_code == 302


def test_ninety_nine_failures_do_not_block_an_address(client, member, dbs):
    dbs.add_all(LoginAttempt(email=f"guess{i}@example.com", ip_address="198.51.100.20", succeeded=False)
                for i in range(99))
    dbs.commit()
    assert post_login(client, member.email, PASSWORD, addr="198.51.100.20").status_code == 302


def test_from_the_third_failure_each_attempt_waits_longer(client, member, dbs):
    for _ in range(3):
        assert post_login(client, member.email, "wrong-password").status_code == 422
    # 2^0 = 1 second after the third failure, even with the right password
    response = post_login(client, member.email, PASSWORD)
    assert response.status_code == 429
    assert f"{WAIT} 1 second and try again." in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "1"
    assert client.get("/profile").status_code == 302
    step_back(dbs, 1.1)
    assert post_login(client, member.email, "wrong-password").status_code == 422  # the 4th
    response = post_login(client, member.email, "wrong-password")
    assert response.status_code == 429
    assert f"{WAIT} 2 seconds and try again." in response.get_data(as_text=True)
    step_back(dbs, 1.1)
    assert post_login(client, member.email, "wrong-password").status_code == 429  # 2 s not yet over
    step_back(dbs, 1)
    assert post_login(client, member.email, "wrong-password").status_code == 422  # the 5th
    # refused tries were not counted
    assert dbs.scalar(select(func.count()).select_from(LoginAttempt)) == 5


def test_the_right_password_after_the_delay_signs_in(client, member, dbs):
    for _ in range(3):
        post_login(client, member.email, "wrong-password")
    step_back(dbs, 1.1)
    assert post_login(client, member.email, PASSWORD).status_code == 302


def test_refused_attempts_during_the_block_are_not_counted(client, member, dbs):
    fail(client, dbs, member.email, 5)
    for _ in range(3):
        assert post_login(client, member.email, "wrong-password").status_code == 429
    assert len(dbs.scalars(select(LoginAttempt)).all()) == 5


def test_block_ends_when_the_window_has_passed(client, member, dbs, app):
    fail(client, dbs, member.email, 5)
    assert post_login(client, member.email, PASSWORD).status_code == 429
    past = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 1)
    dbs.execute(update(LoginAttempt).values(attempted_at=past))
    dbs.commit()
    assert post_login(client, member.email, PASSWORD).status_code == 302


def test_wait_time_counts_down_in_minutes(client, member, dbs):
    fail(client, dbs, member.email, 5)
    dbs.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(minutes=11)))
    dbs.commit()
    response = post_login(client, member.email, PASSWORD)
    assert response.status_code == 429
    assert f"{WAIT} 4 minutes" in response.get_data(as_text=True)


def test_the_last_minute_of_waiting_reads_in_seconds(client, member, dbs):
    fail(client, dbs, member.email, 5)
    dbs.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(seconds=14 * 60 + 30)))
    dbs.commit()
    page = post_login(client, member.email, PASSWORD).get_data(as_text=True)
    assert f"{WAIT} 30 seconds and try again" in page or f"{WAIT} 29 seconds and try again" in page


def test_a_successful_sign_in_resets_the_email_count(client, member, dbs):
    fail(client, dbs, member.email, 4, addr="10.1.0.{i}")
    assert post_login(client, member.email, PASSWORD, addr="10.1.0.9").status_code == 302
    client.post("/logout")
    assert post_login(client, member.email, "wrong-password", addr="10.1.0.10").status_code == 422
    assert post_login(client, member.email, PASSWORD, addr="10.1.0.11").status_code == 302


def test_the_wait_message_reads_in_chinese(client, member, dbs):
    fail(client, dbs, member.email, 5)
    client.language("zh_Hans")
    response = post_login(client, member.email, PASSWORD)
    assert response.status_code == 429
    assert WAIT not in response.get_data(as_text=True)
