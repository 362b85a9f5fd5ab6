from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import domain
from portal.accounts import bp, services
from portal.accounts.forms import (REGISTRATION_ORDER, InvitationForm, LoginForm, MemberDetailsForm,
                                   MemberFilterForm, PasswordChangeForm, RegistrationForm,
                                   StaffProfileForm)
from portal.accounts.models import User
from portal.db import db, utcnow
from portal.pagination import paginate
from portal.security import roles_required


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: not `//host`, not `/\\host`, no scheme."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\"))
            and "\\" not in target and ":" not in target.split("?", 1)[0]):
        return target
    return None


def _client_address() -> str:
    return request.remote_addr or "unknown"


# --- sign-in ---------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                user = services.authenticate(form.email.data, form.password.data, _client_address())
            except services.LoginThrottled as exc:
                flash(str(exc), "error")
                status = 429
            except services.AccountPaused as exc:
                flash(str(exc), "error")
                status = 403
            except services.WrongPassword as exc:
                flash(str(exc), "error")
            else:
                login_user(user, remember=bool(form.remember.data))
                services.settle_language(user, session.get("lang"))
                if user.locale:
                    session["lang"] = user.locale
                return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.pop("lang", None)
    flash(_("You have signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                services.change_password(current_user, form.current_password.data, form.new_password.data)
            except services.WrongPassword as exc:
                form.current_password.errors.append(str(exc))
                flash(str(exc), "error")
            else:
                flash(_("Your password was changed."), "success")
                return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form), status


# --- registration by invitation ----------------------------------------------------------------

@bp.route("/join/<token>", methods=["GET", "POST"])
def register(token: str):
    try:
        invitation = services.find_usable_invitation(token)
    except services.InvitationError as exc:
        return render_template("accounts/invitation_invalid.html", message=str(exc)), exc.status
    form = RegistrationForm()
    form.segment = invitation.segment
    form.organization.flags.required = services.organization_required(invitation.segment)
    if request.method == "GET" and invitation.email:
        form.email.data = invitation.email
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            data = services.Registration(
                name=form.name.data, email=form.email.data, password=form.password.data,
                district=form.district.data, phone=form.phone.data,
                organization=form.organization.data,
            )
            try:
                user = services.register_member(invitation, data)
            except services.InvitationError as exc:
                return render_template("accounts/invitation_invalid.html", message=str(exc)), exc.status
            except services.EmailTaken as exc:
                form.email.errors.append(str(exc))
            else:
                logout_user()
                login_user(user)
                flash(_("Welcome to the customer panel, %(name)s.", name=user.name), "success")
                return redirect(url_for("home.index"))
        flash(_("Your account was not created. Please correct the marked fields."), "error")
    return render_template("accounts/register.html", form=form, invitation=invitation,
                           order=REGISTRATION_ORDER), status


# --- profile ---------------------------------------------------------------------------------

@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    if user.is_member:
        form = MemberDetailsForm(obj=user if request.method == "GET" else None)
        form.segment = user.segment
        form.organization.flags.required = services.organization_required(user.segment)
    else:
        form = StaffProfileForm(obj=user if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            if user.is_member:
                services.update_profile(user, form.name.data, phone=form.phone.data,
                                        district=form.district.data, organization=form.organization.data)
            else:
                services.update_profile(user, form.name.data)
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("accounts.profile"))
        flash(_("Your profile was not saved. Please correct the marked fields."), "error")
    return render_template("accounts/profile.html", form=form, user=user), status


# --- staff: invitations ------------------------------------------------------------------------

@bp.route("/staff/invitations", methods=["GET", "POST"])
@roles_required("office", "admin")
def invitations():
    form = InvitationForm()
    if request.method == "GET":
        form.days.data = current_app.config["INVITATION_DAYS"]
    link = None
    created = None
    status = 200
    if request.method == "POST":
        if form.validate():
            created, token = services.create_invitation(
                form.segment.data, form.days.data, created_by=current_user, email=form.email.data)
            link = url_for("accounts.register", token=token, _external=True)
            form = InvitationForm(formdata=None, days=current_app.config["INVITATION_DAYS"])
        else:
            status = 422
            flash(_("No invitation was created. Please correct the marked fields."), "error")
    page = paginate(services.invitations_query(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("accounts/invitations.html", form=form, page=page, link=link,
                           created=created, state=services.invitation_state, now=utcnow()), status


# --- staff: members --------------------------------------------------------------------------

@bp.get("/staff/members")
@roles_required("office", "admin")
def members():
    filters = MemberFilterForm(request.args)

    def chosen(value, vocabulary):
        return value if value in vocabulary else None

    stmt = services.members_query(
        segment=chosen(filters.segment.data, domain.SEGMENTS),
        district=chosen(filters.district.data, domain.DISTRICTS),
        status=chosen(filters.status.data, domain.MEMBER_STATUSES),
        q=(filters.q.data or "")[:100],
    )
    page = paginate(stmt, per_page=current_app.config["PAGE_SIZE"])
    return render_template("accounts/members.html", filters=filters, page=page)


def _member_or_404(member_id: int) -> User:
    member = db.get(User, member_id)
    if member is None or member.role != "member":
        abort(404)
    return member


@bp.post("/staff/members/<int:member_id>/pause")
@roles_required("office", "admin")
def pause_member(member_id: int):
    member = _member_or_404(member_id)
    services.set_member_status(member, "paused", actor=current_user)
    flash(_("%(name)s is paused and can no longer sign in.", name=member.name), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.members"))


@bp.post("/staff/members/<int:member_id>/resume")
@roles_required("office", "admin")
def resume_member(member_id: int):
    member = _member_or_404(member_id)
    services.set_member_status(member, "active", actor=current_user)
    flash(_("%(name)s is active again.", name=member.name), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.members"))
