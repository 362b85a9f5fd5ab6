"""`flask --app portal` commands: create-user, invite, seed-demo."""
import re

from sqlalchemy import func, select

from portal.accounts.models import Invitation, User
from tests.factories import make_user


def test_create_user_creates_a_staff_account(app, dbs):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--email", "Ops@Example.com", "--name", "Ops",
                                 "--role", "office", "--password", "office-pass-1"])
    assert result.exit_code == 0, result.output
    assert "Created office account ops@example.com." in result.output
    user = dbs.scalar(select(User).where(User.email == "ops@example.com"))
    assert user.role == "office" and user.check_password("office-pass-1")


def test_create_user_refuses_duplicate_email(app, dbs):
    make_user(dbs, role="admin", email="boss@example.com")
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "BOSS@example.com", "--name", "Other", "--role", "admin",
        "--password", "admin-pass-1"])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert dbs.scalar(select(func.count()).select_from(User)) == 1


def test_create_user_refuses_short_password(app, dbs):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "a@example.com", "--name", "A", "--role", "product", "--password", "short"])
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    assert dbs.scalar(select(User)) is None


def test_create_user_refuses_member_role(app, dbs):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "a@example.com", "--name", "A", "--role", "member", "--password", "long-enough"])
    assert result.exit_code != 0
    assert dbs.scalar(select(User)) is None


def test_invite_prints_a_link_that_registers_a_member(app, client, dbs):
    result = app.test_cli_runner().invoke(args=["invite", "--segment", "sme", "--email", "shop@example.com",
                                                "--days", "3", "--base-url", "https://panel.example.com"])
    assert result.exit_code == 0, result.output
    match = re.search(r"https://panel\.example\.com/join/(\S+)", result.stdout)
    assert match, result.stdout
    token = match.group(1)
    invitation = dbs.scalar(select(Invitation))
    assert invitation.segment == "sme" and invitation.email == "shop@example.com"

    page = client.get(f"/join/{token}").get_data(as_text=True)
    assert "SME customer" in page and 'value="shop@example.com"' in page
    response = client.post(f"/join/{token}", data={
        "name": "Shop Owner", "email": "shop@example.com", "password": "panel-pass-1",
        "confirm": "panel-pass-1", "district": "qingpu", "phone": "13700000000",
        "organization": "Corner Shop"})
    assert response.status_code == 302
    member = dbs.scalar(select(User).where(User.email == "shop@example.com"))
    assert (member.role, member.segment, member.organization) == ("member", "sme", "Corner Shop")


def test_invite_refuses_unknown_segment(app, dbs):
    result = app.test_cli_runner().invoke(args=["invite", "--segment", "martian"])
    assert result.exit_code != 0
    assert dbs.scalar(select(Invitation)) is None


def test_seed_demo_if_empty_runs_once(app, dbs):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    users = dbs.scalar(select(func.count()).select_from(User))
    assert users >= 1
    assert dbs.scalar(select(User).where(User.role == "admin")) is not None
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "demo data not loaded" in second.output
    assert dbs.scalar(select(func.count()).select_from(User)) == users
