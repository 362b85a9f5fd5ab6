"""`flask --app portal ...` commands, all registered here.

Rules:
- Every command is a thin shell around one service function: it parses options, calls the
  service (which owns its unit of work) and prints the outcome. No rule lives here.
- The commands: migrate, create-user, invite, seed-demo (setting up), send-outbox (the email
  outbox) and escalate-overdue (overdue improvement items), which the job consumer also runs on
  its own (portal/jobs), backup and restore (the database), rebuild-aggregates (the dashboard's
  day counts, which database triggers otherwise keep).
- Messages are English: they are read by whoever operates the server, not by panel members
  (a service's refusal, too, is said in English and ends the command with an error).
"""
from __future__ import annotations

from functools import wraps

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale

from portal import domain, permissions
from portal.errors import Refused


def init_app(app: Flask) -> None:
    for each in COMMANDS:
        app.cli.add_command(each)


def command(name: str):
    """A `flask --app portal <name>` command run in the app context, in English; a `Refused`
    from the service it calls becomes the command's error message (exit status 1)."""

    def decorator(function):
        @wraps(function)
        def run(*args, **kwargs):
            with force_locale("en"):
                try:
                    return function(*args, **kwargs)
                except Refused as exc:
                    raise click.ClickException(str(exc)) from None

        return click.command(name)(with_appcontext(run))

    return decorator


@command("migrate")
def migrate_command():
    """Bring the database schema up to date (alembic upgrade head)."""
    from portal.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is up to date.")


@command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
# Staff accounts are the roles that have a staff home; members join by invitation only.
@click.option("--role", type=click.Choice(permissions.holders("staff.home")), required=True)
@click.password_option()
def create_user_command(email, name, role, password):
    """Create a staff or admin account."""
    from portal.accounts.forms import PASSWORD_MIN
    from portal.accounts.services import create_staff_user

    if len(password) < PASSWORD_MIN:
        raise click.ClickException(f"The password must have at least {PASSWORD_MIN} characters.")
    user = create_staff_user(email, name, role, password)
    click.echo(f"Created {role} account {user.email}.")


@command("invite")
@click.option("--segment", type=click.Choice(list(domain.SEGMENTS)), required=True)
@click.option("--email", default=None, help="Optional: the person the invitation is meant for.")
@click.option("--days", type=click.IntRange(1, 365), default=None, help="Days until it expires.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def invite_command(segment, email, days, base_url):
    """Create a member invitation for a segment and print its link."""
    from portal.accounts.services import create_invitation

    days = days or current_app.config["INVITATION_DAYS"]
    invitation, token = create_invitation(segment, days, email=email)
    with current_app.test_request_context(base_url=base_url):
        link = url_for("accounts.register", token=token, _external=True)
    click.echo(link)
    click.echo(f"Expires {invitation.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)


@command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo_command(if_empty):
    """Load demo data: staff, members, trials, consultations and reports."""
    from portal.demo import seed

    if if_empty and _has_users():
        click.echo("Database already has data; demo data not loaded.")
        return
    seed()
    click.echo("Demo data loaded.")


def _has_users() -> bool:
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.db import db

    return db.scalar(select(User.id).limit(1)) is not None


@command("send-outbox")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
def send_outbox_command(limit):
    """Send waiting outbox emails through SMTP (does nothing when SMTP_HOST is not set)."""
    from portal.notifications.mail import send_pending

    result = send_pending(limit)
    if result is None:
        click.echo("SMTP is not configured (SMTP_HOST); the outbox waits.")
    else:
        click.echo(f"Sent {result.sent}, failed {result.failed}.")


@command("escalate-overdue")
def escalate_overdue_command():
    """Tell departments' B contacts about overdue improvement items (once per due date)."""
    from portal.improvements.services import escalate_overdue

    count = escalate_overdue(domain.shanghai_today())
    click.echo(f"Escalated {count} overdue item(s).")


@command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE when it exists.")
def backup_command(file, force):
    """Back up the database to FILE (SQLite: online backup; PostgreSQL: pg_dump -Fc)."""
    from portal.backup import backup

    path = backup(current_app.config["DATABASE_URL"], file, force=force)
    click.echo(f"Backed up the database to {path}.")


@command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file, yes):
    """Replace every row of the database with those of the backup FILE."""
    from portal.backup import restore
    from portal.db import get_engine

    if not yes:
        click.confirm("This replaces everything in the database with the backup. Continue?", abort=True)
    get_engine().dispose()  # no connection of ours holds a lock while the rows are replaced
    restore(current_app.config["DATABASE_URL"], file)
    click.echo(f"Restored the database from {file}. Run `migrate` if the backup is from an older "
               "version of the portal.")


@command("rebuild-aggregates")
def rebuild_aggregates_command():
    """Recount the office dashboard's day aggregates and the inbox's facet counts from the
    submissions and gap reports."""
    from portal.dashboards.aggregates import rebuild

    result = rebuild()
    rows = ", ".join(f"{table}: {n} rows" for table, n in result.rows.items())
    click.echo(f"Recounted the maintained aggregates ({rows}); {result.differed} row(s) differed.")


@command("rebuild-themes")
def rebuild_themes_command():
    """Recount "What members are saying" (the themes of every member text) from the submissions:
    after upgrading to migration 0024, or to repair the counts."""
    from portal.themes.services import rebuild

    click.echo(f"Counted the themes of {rebuild()} texts.")


@command("rebuild-panel-counts")
def rebuild_panel_counts_command():
    """Recount the panel health page's maintained counts (members by segment and district,
    registrations and active members per month) from the accounts and activity rows."""
    from portal.panel.counts import rebuild

    click.echo(f"Recounted the panel counts; {rebuild()} row(s) differed.")


@command("backfill-points")
def backfill_points_command():
    """Record past evaluations, opinions and gap reports in the points ledger (only those missing)."""
    from portal.panel.activity import backfill

    result = backfill()
    added = ", ".join(f"{kind}: {n}" for kind, n in result.added.items())
    click.echo(f"Added to the points ledger: {added}.")


COMMANDS = (
    migrate_command, create_user_command, invite_command, seed_demo_command, send_outbox_command,
    escalate_overdue_command, backup_command, restore_command, rebuild_aggregates_command,
    backfill_points_command, rebuild_themes_command, rebuild_panel_counts_command,
)
