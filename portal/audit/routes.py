from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from portal.audit import bp, services
from portal.audit.forms import AuditFilterForm
from portal.permissions import requires

# Where an entry's object is shown, when the page exists.
_OBJECT_PAGES = {
    "submission": ("triage.detail", "submission_id"),
    "item": ("improvements.item_detail", "item_id"),
    "trial": ("trials.staff_detail", "trial_id"),
    "consultation": ("opinions.staff_detail", "consultation_id"),
    "department": ("improvements.department_edit", "department_id"),
}


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _filters(form: AuditFilterForm) -> services.AuditFilters:
    """The filters from the form; a value that does not validate is left out."""
    form.validate()

    def good(field):
        return None if field.errors or field.data in ("", None) else field.data

    return services.AuditFilters(
        actor=good(form.actor), action=good(form.action), object_type=good(form.object_type),
        object_id=good(form.object_id), date_from=good(form.date_from), date_to=good(form.date_to),
    )


def object_url(entry) -> str | None:
    page = _OBJECT_PAGES.get(entry.object_type)
    if page is None or entry.object_id is None:
        return None
    try:
        return url_for(page[0], **{page[1]: entry.object_id})
    except BuildError:
        return None


@bp.get("/admin/audit")
@requires("audit.view")
def index():
    form = AuditFilterForm(request.args)
    form.actor.choices = ([("", _l("All")), (services.SYSTEM, _l("System"))]
                          + services.actor_choices())
    form.action.choices = [("", _l("All"))] + services.action_choices()
    filters = _filters(form)
    page = services.audit_page(filters, before=_cursor("before"), after=_cursor("after"),
                               per_page=services.PER_PAGE)
    args = {k: v for k, v in request.args.items() if k not in ("before", "after")}
    rows = zip(page.entries, services.describe_entries(page.entries), strict=True)
    return render_template("audit/index.html", form=form, page=page, rows=rows, args=args,
                           object_url=object_url, object_types=services.OBJECT_TYPES)
