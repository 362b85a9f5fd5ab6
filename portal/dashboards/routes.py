"""The office dashboard (office, admin) and "what changed thanks to the panel" (everyone signed in)."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required

from portal import domain
from portal.dashboards import bp, services
from portal.dashboards.forms import WindowForm, window_days
from portal.security import roles_required


def _bar_chart(days: list[services.DayCount]):
    """The per-day chart, or None until the shared chart module is there."""
    try:
        from portal.charts import bar_chart
    except ImportError:
        return None
    labels = [format_date(d.day, "MM-dd") for d in days]
    values = [d.count for d in days]
    return bar_chart(
        _("New submissions per day"), labels, values,
        desc=_("New submissions on each of the last %(days)s days, from %(first)s to %(last)s; "
               "%(total)s in all.", days=len(days), first=format_date(days[0].day),
               last=format_date(days[-1].day), total=sum(values)),
    )


@bp.get("/staff/dashboard")
@roles_required(*services.VIEW_ROLES)
def office():
    form = WindowForm(formdata=request.args)
    days = window_days(request.args.get("window"))
    form.window.data = str(days)
    per_day = services.submissions_per_day()
    return render_template(
        "dashboards/office.html",
        per_day=per_day, per_day_total=sum(d.count for d in per_day), chart=_bar_chart(per_day),
        departments=services.items_by_department(), form=form, window=days,
        matrix=services.gap_matrix(days), index=services.latest_index(),
        index_components=services.index_components(),
        index_url_endpoint="index.overview" if "index.overview" in current_app.view_functions else None,
        districts=domain.DISTRICTS, commitments=domain.COMMITMENTS,
    )


@bp.get("/changes")
@login_required
def changes():
    return render_template("dashboards/changes.html", page=services.changes_page())
