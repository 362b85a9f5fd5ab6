from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.accounts import bp
from portal.accounts.forms import LoginForm
from portal.accounts.models import User
from portal.db import db, utcnow
from portal.security import roles_required


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.scalar(select(User).where(User.email == email))
        if user is None or not user.check_password(form.password.data):
            flash(_("Wrong email or password."), "error")
        elif not user.is_active:
            flash(_("Your account is paused. Please contact the service office."), "error")
        else:
            user.last_login_at = utcnow()
            db.commit()
            login_user(user, remember=form.remember.data)
            if user.locale:
                session["lang"] = user.locale
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.pop("lang", None)
    return redirect(url_for("accounts.login"))


@bp.get("/profile")
@login_required
def profile():
    return render_template("accounts/profile.html")


@bp.get("/staff/members")
@roles_required("office", "admin")
def members():
    return render_template("accounts/members.html")
