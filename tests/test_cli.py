"""`flask --app portal` commands: all registered in portal/cli.py; migrate, create-user, invite,
seed-demo here (send-outbox: tests/notifications, escalate-overdue: tests/improvements, backup and
restore: tests/test_backup.py)."""
import re

from sqlalchemy import create_engine, func, inspect, select

from portal import create_app
from portal.accounts.forms import PASSWORD_MIN
from portal.accounts.models import Invitation, User
from tests.factories import make_user

COMMANDS = ("migrate", "create-user", "invite", "seed-demo", "send-outbox", "escalate-overdue", "backup",
            "restore", "rebuild-aggregates", "rebuild-themes", "backfill-points", "rebuild-panel-counts")


def test_help_lists_every_command_at_the_top_level(app):
    result = app.test_cli_runner().invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    listed = re.findall(r"^  ([a-z][a-z-]+)\s", result.output.split("Commands:", 1)[1], re.M)
    for name in COMMANDS:
        assert name in listed, result.output
    # Each command has its own help, with its description.
    for name in COMMANDS:
        help_text = app.test_cli_runner().invoke(args=[name, "--help"])
        assert help_text.exit_code == 0 and "Usage:" in help_text.output, (name, help_text.output)


def test_commands_are_registered_in_one_place(app):
    # Blueprints bring no commands of their own: portal/cli.py is the one list.
    assert all(not bp.cli.commands for bp in app.blueprints.values())
    assert set(COMMANDS) <= set(app.cli.commands)


def test_migrate_creates_the_schema_of_a_new_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "k"})
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    engine = create_engine(url)
    try:
        assert {"users", "improvement_items", "outbox_emails"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    app.extensions["portal.engine"].dispose()


def test_create_user_role_choices_are_the_staff_roles(app):
    result = app.test_cli_runner().invoke(args=["create-user", "--help"])
    assert "[product|office|admin]" in result.output


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
    assert f"at least {PASSWORD_MIN} characters" in result.output
    assert dbs.scalar(select(User)) is None


def test_create_user_refuses_member_role(app, dbs):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "a@example.com", "--name", "A", "--role", "member",
        "--password", "long-enough"])
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


def test_rebuild_panel_counts_repairs_a_count_put_out_of_step(app, dbs):
    from sqlalchemy import text

    make_user(dbs, segment="mobile", district="pudong")
    runner = app.test_cli_runner()
    assert "0 row(s) differed" in runner.invoke(args=["rebuild-panel-counts"]).output
    with app.extensions["portal.engine"].begin() as conn:
        conn.execute(text("DELETE FROM panel_member_counts"))
    result = runner.invoke(args=["rebuild-panel-counts"])
    assert result.exit_code == 0 and "Recounted the panel counts; 1 row(s) differed." in result.output
