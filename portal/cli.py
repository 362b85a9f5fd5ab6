"""`flask --app portal ...` commands: migrate, create-user, invite, seed-demo."""
from __future__ import annotations

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal import domain


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(invite_command)
    app.cli.add_command(seed_demo_command)


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Bring the database schema up to date (alembic upgrade head)."""
    from portal.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is up to date.")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(domain.STAFF_ROLES), required=True)
@click.password_option()
def create_user_command(email, name, role, password):
    """Create a staff or admin account."""
    from portal.accounts.models import User
    from portal.accounts.services import create_staff_user
    from portal.db import db

    if db.scalar(select(User).where(func.lower(User.email) == email.strip().lower())):
        raise click.ClickException(f"A user with the email {email} already exists.")
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    user = create_staff_user(email, name, role, password)
    click.echo(f"Created {role} account {user.email}.")


@click.command("invite")
@with_appcontext
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


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo_command(if_empty):
    """Load demo data: staff, members, trials, consultations and reports."""
    from portal.accounts.models import User
    from portal.db import db
    from portal.demo import seed

    if if_empty and db.scalar(select(func.count()).select_from(User)):
        click.echo("Database already has data; demo data not loaded.")
        return
    seed()
    click.echo("Demo data loaded.")
