"""The office dashboard (``dashboard.view``) and "what changed thanks to the panel" (everyone
signed in)."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import format_date, gettext as _

from portal import domain
from portal.charts import bar_chart
from portal.dashboards import bp, services
from portal.dashboards.forms import WindowForm, window_days
from portal.improvements import confirmations
from portal.permissions import requires, requires_login
from portal.themes import services as themes
from portal.themes.forms import ThemeFilterForm


def _bar_chart(days: list[services.DayCount]):
    """The per-day chart."""
    labels = [format_date(d.day, "MM-dd") for d in days]
    values = [d.count for d in days]
    return bar_chart(
        _("New submissions per day"), labels, values,
        desc=_("New submissions on each of the last %(days)s days, from %(first)s to %(last)s; "
               "%(total)s in all.", days=len(days), first=format_date(days[0].day),
               last=format_date(days[-1].day), total=sum(values)),
    )


@bp.get("/staff/dashboard")
@requires("dashboard.view")
def office():
    form = WindowForm(formdata=request.args)
    days = window_days(request.args.get("window"))
    form.window.data = str(days)
    overview = services.office_overview(days)
    return render_template(
        "dashboards/office.html",
        per_day=overview.per_day, per_day_total=overview.per_day_total,
        chart=_bar_chart(overview.per_day), departments=overview.departments, form=form, window=days,
        matrix=overview.matrix, index=overview.index, index_components=overview.index_components,
        districts=domain.DISTRICTS, commitments=domain.COMMITMENTS,
        fix_rates=confirmations.rates(),
        **_themes(),
    )


def _themes() -> dict:
    """"What members are saying": its filter and the top themes (one statement)."""
    form = ThemeFilterForm(formdata=request.args)
    days = themes.period_days(request.args.get("themes_period"))
    form.themes_period.data = str(days)
    commitment = request.args.get("themes_commitment")
    commitment = commitment if commitment in domain.COMMITMENTS else None
    form.themes_commitment.data = commitment or ""
    return dict(theme_form=form, themes=themes.top_themes(days, commitment),
                themes_first=themes.period_start(days),
                themes_commitment=commitment)


@bp.get("/changes")
@requires_login
def changes():
    return render_template("dashboards/changes.html", page=services.changes_page())
