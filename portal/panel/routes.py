"""Panel health (office and admin), a member's participation, the points rules (admin), and a
member's own points and yearly summary."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_percent, gettext as _, ngettext
from flask_login import current_user

from portal import domain
from portal.audit import history
from portal.charts import bar_chart
from portal.errors import Refused, show_refusal
from portal.panel import activity, bp, points, services
from portal.panel.forms import RulesForm, chosen_member_ids
from portal.permissions import requires
from portal.urls import safe_next


def percent(value) -> str:
    return format_percent(value, "#,##0%") if value is not None else "—"


def _month_label(day) -> str:
    return format_date(day, "yyyy-MM")


def _charts(months: list[services.MonthFigure]):
    labels = [_month_label(m.month) for m in months]
    first, last = _month_label(months[0].month), _month_label(months[-1].month)
    active = bar_chart(
        _("Active members per month"), labels, [m.active for m in months],
        desc=_("Members with at least one activity in each month from %(first)s to %(last)s.",
               first=first, last=last))
    registered = bar_chart(
        _("New registrations per month"), labels, [m.registered for m in months],
        desc=_("Members who registered in each month from %(first)s to %(last)s.", first=first, last=last))
    return active, registered


@bp.get("/staff/panel")
@requires("panel.health")
def health():
    months = services.monthly()
    active_chart, registered_chart = _charts(months)
    taking_part = services.engagement()
    return render_template(
        "panel/health.html", composition=services.composition(), shares=taking_part.shares,
        trials=services.trial_responses(), consultations=services.consultation_responses(),
        funnel=services.invitation_funnel(), months=months, lapsing=taking_part.lapsing,
        active_chart=active_chart, registered_chart=registered_chart, percent=percent,
        lapsing_days=services.LAPSING_DAYS,
    )


@bp.get("/staff/panel/lapsing")
@requires("panel.health")
def lapsing():
    page = services.lapsing_page(request.args.get("from"), per_page=current_app.config["PAGE_SIZE"])
    return render_template("panel/lapsing.html", page=page, lapsing_days=services.LAPSING_DAYS,
                           reengage_days=services.REENGAGE_DAYS)


@bp.post("/staff/panel/lapsing/re-engage")
@requires("members.manage")
def re_engage():
    back = safe_next(request.form.get("next"), url_for("panel.lapsing"))
    ids = chosen_member_ids(request.form.getlist("member"))
    if not ids:
        flash(_("Please tick at least one member to re-engage."), "error")
        return redirect(back)
    result = services.re_engage(ids, current_user._get_current_object())
    if result.sent:
        flash(ngettext("A re-engagement notice was sent to %(num)s member.",
                       "A re-engagement notice was sent to %(num)s members.", len(result.sent)), "success")
    if result.skipped:
        flash(ngettext("%(num)s member was left out: re-engaged in the last %(days)s days, or no longer "
                       "lapsing.",
                       "%(num)s members were left out: re-engaged in the last %(days)s days, or no longer "
                       "lapsing.", result.skipped, days=services.REENGAGE_DAYS), "info")
    return redirect(back)


@bp.route("/admin/points", methods=["GET", "POST"])
@requires("points.manage")
def rules():
    form = RulesForm(data=points.rules())
    status = 200
    if form.validate_on_submit():
        try:
            changed = points.save_rules(form.values(), current_user._get_current_object())
        except Refused as exc:
            show_refusal(form, exc)
            status = 422
        else:
            flash(_("The points are saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("panel.rules"))
    elif form.is_submitted():
        status = 422
    return render_template("panel/rules.html", form=form,
                           history=history(points.RULES_OBJECT, points.RULES_OBJECT_ID)), status


# --- a member's own points (panel.take_part: always their own) --------------------------------


@bp.get("/my/points")
@requires("panel.take_part")
def my_points():
    member = current_user
    page = points.history_page(member.id, request.args.get("from"))
    first = points.first_year(member.id)
    this_year = domain.shanghai_today().year
    years = list(range(this_year, (first or this_year) - 1, -1))
    return render_template("panel/my_points.html", total=points.total(member.id), page=page,
                           kinds=activity.ACTIVITY_ONE, years=years)


@bp.get("/my/points/<int:year>")
@requires("panel.take_part")
def certificate(year: int):
    member = current_user
    if not 2000 <= year <= domain.shanghai_today().year:
        abort(404)
    return render_template("panel/certificate.html", member=member,
                           summary=points.year_summary(member.id, year), kinds=activity.ACTIVITY_KINDS)
