"""Password rules: 10 characters or more and a zxcvbn score of at least 2, wherever a password is
chosen (registration, password change, a staff account by an administrator or on the command line)."""
import pytest
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import User
from portal.demo import DEMO_PASSWORD
from tests.accounts.test_registration import make_invitation, valid
from tests.factories import PASSWORD

WEAK = ["12345678", "password", "a" * 10, "qwertyuiop", "Password123"]
GOOD = "violet-kettle-harbour"
REFUSED = "Choose a longer or less common password:"


def test_the_shared_passwords_are_good_enough():
    assert services.password_weakness(DEMO_PASSWORD, ["admin@example.com", "Admin"]) is None
    assert services.password_weakness(PASSWORD, ["member1@example.com", "Member 1"]) is None


@pytest.mark.parametrize("password", WEAK)
def test_registration_refuses_weak_passwords(app, client, dbs, password):
    _, token = make_invitation(app)
    response = client.post(f"/join/{token}", data=valid(password=password, confirm=password))
    assert response.status_code == 422
    assert REFUSED in response.get_data(as_text=True)
    assert dbs.scalar(select(User)) is None


def test_registration_refuses_the_persons_own_email_as_password(app, client, dbs):
    _, token = make_invitation(app)
    email = "wang.fang@example.com"
    response = client.post(f"/join/{token}", data=valid(email=email, password=email, confirm=email))
    assert response.status_code == 422
    assert "this one is easy to guess" in response.get_data(as_text=True)


def test_registration_accepts_a_passphrase(app, client, dbs):
    _, token = make_invitation(app)
    assert client.post(f"/join/{token}", data=valid(password=GOOD, confirm=GOOD)).status_code == 302
    assert dbs.scalar(select(User)).check_password(GOOD)


@pytest.mark.parametrize("password", WEAK)
def test_password_change_refuses_weak_passwords(member_client, member, dbs, password):
    response = member_client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": password, "confirm": password})
    assert response.status_code == 422
    assert REFUSED in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(User, member.id).check_password(PASSWORD)


def test_password_change_accepts_a_passphrase(member_client, member, dbs):
    response = member_client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": GOOD, "confirm": GOOD})
    assert response.status_code == 302
    dbs.expire_all()
    assert dbs.get(User, member.id).check_password(GOOD)


@pytest.mark.parametrize("password", WEAK)
def test_staff_creation_refuses_weak_passwords(admin_client, dbs, password):
    response = admin_client.post("/admin/staff/new", data={
        "email": "new.office@example.com", "name": "New Office", "role": "office", "password": password})
    assert response.status_code == 422
    assert REFUSED in response.get_data(as_text=True)
    assert dbs.scalar(select(User).where(User.email == "new.office@example.com")) is None


def test_staff_creation_accepts_a_passphrase(admin_client, dbs):
    response = admin_client.post("/admin/staff/new", data={
        "email": "new.office@example.com", "name": "New Office", "role": "office", "password": GOOD})
    assert response.status_code == 302
    assert dbs.scalar(select(User).where(User.email == "new.office@example.com")).check_password(GOOD)


@pytest.mark.parametrize("password", ["a" * 10, "qwertyuiop", "Password123"])
def test_the_command_line_refuses_weak_passwords(app, dbs, password):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "ops@example.com", "--name", "Ops", "--role", "office",
        "--password", password])
    assert result.exit_code != 0
    assert REFUSED in result.output
    assert dbs.scalar(select(User)) is None


def test_the_command_line_refuses_a_short_password(app, dbs):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "ops@example.com", "--name", "Ops", "--role", "office",
        "--password", "12345678"])
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert dbs.scalar(select(User)) is None


def test_the_command_line_accepts_a_passphrase(app, dbs):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "ops@example.com", "--name", "Ops", "--role", "office", "--password", GOOD])
    assert result.exit_code == 0, result.output
    assert dbs.scalar(select(User)).check_password(GOOD)


def test_the_services_enforce_the_rule_without_a_form(app, dbs):
    with app.test_request_context():
        with pytest.raises(services.WeakPassword):
            services.create_staff_user("ops@example.com", "Ops", "office", "qwertyuiop")
        invitation, _ = services.create_invitation("mobile", 14)
        with pytest.raises(services.WeakPassword):
            services.register_member(invitation, services.Registration(
                name="A", email="a@example.com", password="12345678", district="xuhui", phone="13900000001"))
    assert dbs.scalar(select(User)) is None

