"""Sign-in, registration by invitation, one's own profile, and the staff pages of members.

Views stay thin: guard (`@requires` / `@requires_login`), load, call one service, render or
redirect. Refusals are `AccountError`s, shown next to their field or at the top of the form
with what the person typed kept. Where a page goes afterwards (`next`) is checked by
`portal.urls.safe_next`.
"""
from __future__ import annotations

from datetime import datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_user, logout_user

from portal import permissions
from portal.accounts import bp, consent, profiles, rights, services
from portal.accounts.forms import (
    REGISTRATION_ORDER,
    DeleteAccountForm,
    ForgotPasswordForm,
    InvitationForm,
    LoginForm,
    MemberDetailsForm,
    MemberFilterForm,
    MemberProfileForm,
    PasswordChangeForm,
    PrivacyAcceptForm,
    PrivacyNoticeForm,
    RegistrationForm,
    ResetPasswordForm,
    StaffProfileForm,
)
from portal.db import utcnow
from portal.errors import Refused, show_refusal
from portal.pagination import chosen_filters, paginate
from portal.permissions import requires, requires_login
from portal.text import clean_text
from portal.urls import safe_next


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _stay_signed_in(user) -> None:
    """After `user`'s session generation was raised: this browser's session (and its remember
    cookie, if it had one) carries on under the new id; every other one has ended."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)


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
                return (render_template("accounts/login.html", form=form), 429,
                        {"Retry-After": str(exc.seconds)})
            except services.AccountPaused as exc:
                flash(str(exc), "error")
                status = 403
            except services.WrongPassword as exc:
                # On the password field (typed again in any case), so the error summary names and
                # links a field; the message still does not tell which of the two was wrong.
                form.password.errors = [*form.password.errors, str(exc)]
            else:
                login_user(user, remember=bool(form.remember.data))
                consent.signed_in(user)
                if permissions.is_member(user):
                    _remember_profile(user, profiles.profile_of(user))
                services.settle_language(user, session.get("lang"))
                if user.locale:
                    session["lang"] = user.locale
                return redirect(safe_next(request.args.get("next"), url_for("home.index")))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@requires_login
def logout():
    # Ends this session and every other one of the user, with their remember cookies: a copy
    # of the session cookie is worth nothing after signing out.
    services.end_all_sessions(current_user._get_current_object())
    logout_user()
    session.pop("lang", None)
    flash(_("You have signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/profile/password", methods=["GET", "POST"])
@requires_login
def change_password():
    form = PasswordChangeForm()
    form.user_inputs = (current_user.email, current_user.name)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            user = current_user._get_current_object()
            try:
                services.change_password(user, form.current_password.data, form.new_password.data)
            except services.AccountError as exc:
                show_refusal(form, exc)
                flash(str(exc), "error")
            else:
                _stay_signed_in(user)
                flash(_("Your password was changed. You were signed out on your other devices."), "success")
                return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form), status


# --- forgotten password ----------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "POST":
        if form.validate():
            services.request_password_reset(form.email.data, _client_address())
            # The same answer whether or not an account has this email (see the service).
            flash(_("If an account exists for this address, we sent a link to choose a new password. "
                    "It works once, within one hour. Also look in your spam folder."), "success")
            return redirect(url_for("accounts.login"))
        return render_template("accounts/forgot_password.html", form=form), 422
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        reset = services.find_usable_reset(token)
    except services.ResetLinkError as exc:
        return render_template("accounts/reset_invalid.html", message=str(exc)), exc.status
    form = ResetPasswordForm()
    form.user_inputs = (reset.user.email, reset.user.name)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                services.reset_password(reset, form.password.data)
            except services.ResetLinkError as exc:
                return render_template("accounts/reset_invalid.html", message=str(exc)), exc.status
            except services.AccountError as exc:
                show_refusal(form, exc)
            else:
                if current_user.is_authenticated:
                    logout_user()
                flash(_("Your new password is set, and you were signed out everywhere. Please sign in "
                        "with it."), "success")
                return redirect(url_for("accounts.login"))
        flash(_("Your password was not changed. Please correct the marked fields."), "error")
    return render_template("accounts/reset_password.html", form=form), status


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
    notice = consent.current_notice()
    if notice is None:
        del form.accept_privacy  # nothing published: nothing to agree to
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
                created = services.register_member(invitation, data)
            except services.InvitationError as exc:
                return render_template("accounts/invitation_invalid.html", message=str(exc)), exc.status
            except services.AccountError as exc:
                show_refusal(form, exc)
            else:
                # The same answer whether an account was created or the email already had one
                # (then nothing was created and the invitation is kept): see
                # services.register_member. Hence no automatic sign-in either.
                if created is not None and notice is not None:
                    consent.record_consent(created, notice, signed_in=False)
                flash(_("Thank you. Please sign in with your email and password. If this email already "
                        "had an account, nothing was changed: sign in with that account's password, or "
                        "ask the service office for help."), "success")
                # After signing in, the new member is asked about their profile (they may skip).
                return redirect(url_for("accounts.login",
                                        next=url_for("accounts.member_profile", welcome=1)))
        flash(_("Your account was not created. Please correct the marked fields."), "error")
    return render_template("accounts/register.html", form=form, invitation=invitation,
                           order=[name for name in REGISTRATION_ORDER if name in form],
                           notice=notice), status


# --- profile ---------------------------------------------------------------------------------

@bp.route("/profile", methods=["GET", "POST"])
@requires_login
def profile():
    user = current_user
    member_profile = services.has_member_profile(user)
    if member_profile:
        form = MemberDetailsForm(obj=user if request.method == "GET" else None)
        form.segment = user.segment
        form.organization.flags.required = services.organization_required(user.segment)
    else:
        form = StaffProfileForm(obj=user if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            if member_profile:
                services.update_profile(user, form.name.data, phone=form.phone.data,
                                        district=form.district.data, organization=form.organization.data)
            else:
                services.update_profile(user, form.name.data)
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("accounts.profile"))
        flash(_("Your profile was not saved. Please correct the marked fields."), "error")
    return render_template("accounts/profile.html", form=form, user=user,
                           member_profile=member_profile), status


@bp.post("/profile/sign-out-everywhere")
@requires_login
def sign_out_everywhere():
    user = current_user._get_current_object()
    services.sign_out_everywhere(user)
    _stay_signed_in(user)
    flash(_("You were signed out on every other device."), "success")
    return redirect(url_for("accounts.profile"))


# --- staff: invitations ------------------------------------------------------------------------

NEW_INVITATION = "new_invitation"


@bp.route("/staff/invitations", methods=["GET", "POST"])
@requires("members.manage")
def invitations():
    form = InvitationForm()
    if request.method == "GET":
        form.days.data = current_app.config["INVITATION_DAYS"]
    status = 200
    if request.method == "POST":
        if form.validate():
            created, token = services.create_invitation(
                form.segment.data, form.days.data, created_by=current_user, email=form.email.data)
            # POST-redirect-GET: the link is shown once, on the page the redirect leads to.
            session[NEW_INVITATION] = {"id": created.id,
                                       "link": url_for("accounts.register", token=token, _external=True)}
            return redirect(url_for("accounts.invitations"))
        status = 422
        flash(_("No invitation was created. Please correct the marked fields."), "error")
    shown = session.pop(NEW_INVITATION, None) if request.method == "GET" else None
    created = services.get_invitation(shown["id"]) if shown else None
    link = shown["link"] if created else None
    page = paginate(services.invitations_query(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("accounts/invitations.html", form=form, page=page, link=link,
                           created=created, state=services.invitation_state, now=utcnow()), status


@bp.post("/staff/invitations/<int:invitation_id>/revoke")
@requires("members.manage")
def revoke_invitation(invitation_id: int):
    invitation = services.get_invitation(invitation_id) or abort(404)
    if services.revoke_invitation(invitation, current_user._get_current_object()):
        flash(_("The invitation was withdrawn: its link no longer works."), "success")
    else:
        flash(_("This invitation can no longer be withdrawn: it was used, has expired or was already "
                "withdrawn."), "error")
    return redirect(url_for("accounts.invitations"))


# --- staff: members --------------------------------------------------------------------------

@bp.get("/staff/members")
@requires("members.view")
def members():
    filters = MemberFilterForm(request.args)
    stmt = services.members_query(**chosen_filters(filters))
    page = paginate(stmt, per_page=current_app.config["PAGE_SIZE"])
    return render_template("accounts/members.html", filters=filters, page=page)


def _set_member_status(member_id: int, status: str, done_message):
    member = services.get_member(current_user, member_id) or abort(404)
    services.set_member_status(member, status, actor=current_user)
    flash(done_message(member.name), "success")
    return redirect(safe_next(request.form.get("next"), url_for("accounts.members")))


@bp.post("/staff/members/<int:member_id>/pause")
@requires("members.manage")
def pause_member(member_id: int):
    return _set_member_status(
        member_id, "paused", lambda name: _("%(name)s is paused and can no longer sign in.", name=name))


@bp.post("/staff/members/<int:member_id>/resume")
@requires("members.manage")
def resume_member(member_id: int):
    return _set_member_status(member_id, "active", lambda name: _("%(name)s is active again.", name=name))


# --- member profile (portal.accounts.profiles) ---------------------------------------------------

@bp.route("/profile/details", methods=["GET", "POST"])
@requires("panel.take_part")
def member_profile():
    """The member's profile: only their segment's attributes. `welcome` (after registering)
    offers to skip it."""
    member = current_user._get_current_object()
    saved = profiles.profile_of(member)
    form = MemberProfileForm.for_segment(profiles.fields_for(member.segment))
    if request.method == "GET":
        form.load(saved)
    welcome = request.args.get("welcome") == "1"
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                saved = profiles.save_profile(member, form.values())
            except Refused as exc:
                show_refusal(form, exc)
            else:
                _remember_profile(member, saved)
                flash(_("Thank you: your profile was saved."), "success")
                return redirect(url_for("home.index") if welcome else url_for("accounts.profile"))
        flash(_("Your profile was not saved. Please correct the marked fields."), "error")
    return render_template("accounts/member_profile.html", form=form, saved=saved, welcome=welcome,
                           review_due=profiles.needs_review(saved)), status


_PROFILE_SAVED = "profile_completed"


def _remember_profile(user, profile) -> None:
    """The session keeps when the member last saved their profile (only they change it), so the
    home page's prompt costs no query."""
    done = profile.completed_at.isoformat() if profile is not None and profile.completed_at else ""
    session[_PROFILE_SAVED] = [user.id, done]


@bp.app_template_global()
def profile_needs_review(user) -> bool:
    """For the member home's prompt: never completed, or more than a year old."""
    kept = session.get(_PROFILE_SAVED)
    if not (isinstance(kept, list) and len(kept) == 2 and kept[0] == user.id):
        _remember_profile(user, profiles.profile_of(user))
        kept = session[_PROFILE_SAVED]
    return profiles.needs_review_since(datetime.fromisoformat(kept[1]) if kept[1] else None)


# --- staff: a member's record ------------------------------------------------------------------

@bp.get("/staff/members/<int:member_id>")
@requires("members.view")
def member_record(member_id: int):
    member = services.get_member(current_user, member_id) or abort(404)
    saved = profiles.profile_of(member)
    return render_template("accounts/member_record.html", member=member, saved=saved,
                           shown=profiles.shown_values(saved, member.segment))


# --- privacy notice and consent (portal.accounts.consent) ----------------------------------------

@bp.get("/privacy")
def privacy_notice():
    """The current notice, for anyone (the registration form links it)."""
    return render_template("accounts/privacy_notice.html", notice=consent.current_notice(),
                           locale=str(get_locale()))


@bp.route("/privacy/accept", methods=["GET", "POST"])
@requires_login
def privacy_accept():
    notice = consent.current_notice()
    next_url = safe_next(request.values.get("next"), url_for("home.index"))
    if notice is None:
        return redirect(next_url)
    form = PrivacyAcceptForm()
    if request.method == "GET":
        form.notice_id.data = notice.id
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                consent.accept_current(current_user._get_current_object(), int(form.notice_id.data or 0))
            except Refused as exc:
                flash(str(exc), "error")
                return redirect(url_for("accounts.privacy_accept", next=next_url))
            flash(_("Thank you: you agreed to the privacy notice."), "success")
            return redirect(next_url)
    return render_template("accounts/privacy_accept.html", form=form, notice=notice,
                           next_url=next_url, locale=str(get_locale())), status


@bp.route("/admin/privacy", methods=["GET", "POST"])
@requires("privacy.manage")
def privacy_admin():
    form = PrivacyNoticeForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                published = consent.publish(current_user._get_current_object(), form.version.data,
                                            clean_text(form.text_zh.data), clean_text(form.text_en.data))
            except Refused as exc:
                show_refusal(form, exc)
            else:
                flash(_("Version %(version)s is published: members are asked to agree to it.",
                        version=published.version), "success")
                return redirect(url_for("accounts.privacy_admin"))
        flash(_("Nothing was published. Please correct the marked fields."), "error")
    return render_template("accounts/privacy_admin.html", form=form, notices=consent.notices()), status


# --- a member's data: a copy, erasure (portal.accounts.rights) ------------------------------------

@bp.post("/profile/data")
@requires("panel.take_part")
def download_data():
    content = rights.export_zip(current_user._get_current_object())
    name = f"my-data-{utcnow():%Y%m%d}.zip"
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.route("/profile/delete", methods=["GET", "POST"])
@requires("panel.take_part")
def delete_account():
    form = DeleteAccountForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                rights.erase_account(current_user._get_current_object(), form.password.data)
            except Refused as exc:
                show_refusal(form, exc)
            else:
                # The farewell reads in the language the member was using, which the erased
                # account no longer holds: the new, empty session keeps it.
                language = str(get_locale()) if get_locale() else None
                logout_user()
                session.clear()
                if language:
                    session["lang"] = language
                flash(_("Your account was deleted. Thank you for taking part in the panel."), "success")
                return redirect(url_for("accounts.login"))
        flash(_("Your account was not deleted. Please correct the marked fields."), "error")
    return render_template("accounts/delete_account.html", form=form), status
