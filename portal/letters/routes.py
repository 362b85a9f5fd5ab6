"""Letters, the scoreboard and its drill-downs, typed-in figures, service stars and classic cases.

Views load (getters answer None for what the viewer may not see: 404), check (`@requires`), call
one service and render or redirect. A refused save re-renders the page with what was typed and the
message next to its field (422); a stale letter page answers 409 with the current letter."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from portal import domain as portal_domain, permissions
from portal.audit import history
from portal.errors import Conflict, show_refusal
from portal.letters import bp, domain, exports, services
from portal.letters.domain import Period
from portal.letters.forms import (
    CaseFilterForm,
    CaseForm,
    EntryForm,
    PrepareForm,
    ScoreboardFilterForm,
    SignOffForm,
    StarForm,
    TargetForm,
    TaskForm,
    VersionOnlyForm,
    year_choices,
)
from portal.letters.measures import MEASURES
from portal.permissions import requires

NOT_SAVED = _l("Nothing was saved. Please correct the marked fields.")


def _int(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if value.isdigit() and len(value) < 10 else None


def _year() -> int:
    year = _int(request.args.get("year"))
    if year and domain.FIRST_YEAR <= year <= domain.LAST_YEAR:
        return year
    return portal_domain.shanghai_today().year


def _letter(letter_id: int):
    found = services.get_letter(current_user, letter_id)
    if found is None:
        abort(404)
    return found


# --- letters ---------------------------------------------------------------------------------


@bp.get("/staff/letters")
@requires("letters.view")
def letter_list():
    year = _year()
    letters = services.letters_of(year)
    rows = [(unit, letters.get(unit.id)) for unit in services.units()
            if permissions.may_see_unit(current_user, unit.id)]
    form = PrepareForm(formdata=None, year=str(year))
    form.year.choices = year_choices(portal_domain.shanghai_today().year)
    return render_template("letters/letter_list.html", year=year, rows=rows, form=form,
                           years=year_choices(portal_domain.shanghai_today().year))


@bp.post("/staff/letters/prepare")
@requires("letters.manage")
def prepare():
    form = PrepareForm()
    form.year.choices = year_choices(portal_domain.shanghai_today().year)
    if not form.validate():
        abort(400)
    made = services.prepare_letters(current_user, _int(form.year.data))
    flash(_("%(count)s draft letters were prepared.", count=made), "success")
    return redirect(url_for("letters.letter_list", year=form.year.data))


def _letter_page(letter, status: int = 200, **forms):
    """The letter as a document, with its progress and (for the office, on a draft) its forms."""
    version = str(letter.version)
    target_form = forms.get("target_form") or TargetForm(formdata=None)
    target_form.measure.choices = [(code, m.label) for code, m in MEASURES.items()
                                   if m.applies_to(letter.unit)]
    task_form = forms.get("task_form") or TaskForm(formdata=None)
    sign_form = forms.get("sign_form") or SignOffForm(formdata=None)
    for form in (target_form, task_form, sign_form):
        form.version.data = version
    return render_template(
        "letters/letter.html", letter=letter, progress=services.progress(letter),
        tasks=services.task_rows(letter), target_form=target_form, task_form=task_form,
        sign_form=sign_form, history=history("letter", letter.id, limit=None)
        if permissions.can("letters.manage") else [],
    ), status


def _refused(letter, exc, form_name: str, form):
    if isinstance(exc, Conflict):
        flash(str(exc), "error")
        return _letter_page(services.get_letter(current_user, letter.id), 409, **{form_name: form})
    show_refusal(form, exc, NOT_SAVED)
    return _letter_page(letter, 422, **{form_name: form})


@bp.get("/staff/letters/<int:letter_id>")
@requires("letters.view")
def letter_detail(letter_id: int):
    return _letter_page(_letter(letter_id))


@bp.post("/staff/letters/<int:letter_id>/targets")
@requires("letters.manage")
def set_target(letter_id: int):
    letter = _letter(letter_id)
    form = TargetForm()
    form.measure.choices = [(code, m.label) for code, m in MEASURES.items()]
    if not form.validate():
        flash(str(NOT_SAVED), "error")
        return _letter_page(letter, 422, target_form=form)
    try:
        services.set_target(current_user, letter, form.version_number(), form.measure.data,
                            form.target.data)
    except (services.LetterRefused, Conflict) as exc:
        return _refused(letter, exc, "target_form", form)
    flash(_("The target was saved."), "success")
    return redirect(url_for("letters.letter_detail", letter_id=letter.id))


@bp.post("/staff/letters/<int:letter_id>/targets/<int:target_id>/remove")
@requires("letters.manage")
def remove_target(letter_id: int, target_id: int):
    letter = _letter(letter_id)
    form = VersionOnlyForm()
    try:
        services.remove_target(current_user, letter, form.version_number(), target_id)
    except (services.LetterRefused, Conflict) as exc:
        flash(str(exc), "error")
    else:
        flash(_("The target was removed."), "success")
    return redirect(url_for("letters.letter_detail", letter_id=letter.id))


@bp.post("/staff/letters/<int:letter_id>/tasks")
@requires("letters.manage")
def add_task(letter_id: int):
    letter = _letter(letter_id)
    form = TaskForm()
    if not form.validate():
        flash(str(NOT_SAVED), "error")
        return _letter_page(letter, 422, task_form=form)
    try:
        services.add_task(current_user, letter, form.version_number(), form.title.data,
                          form.due_on.data)
    except (services.LetterRefused, Conflict) as exc:
        return _refused(letter, exc, "task_form", form)
    flash(_("The key task was added."), "success")
    return redirect(url_for("letters.letter_detail", letter_id=letter.id))


@bp.post("/staff/letters/<int:letter_id>/tasks/<int:task_id>/done")
@requires("letters.manage")
def task_done(letter_id: int, task_id: int):
    letter = _letter(letter_id)
    try:
        services.set_task_done(current_user, letter, task_id, request.form.get("done") == "1")
    except services.LetterRefused as exc:
        flash(str(exc), "error")
    else:
        flash(_("The key task was updated."), "success")
    return redirect(url_for("letters.letter_detail", letter_id=letter.id))


@bp.post("/staff/letters/<int:letter_id>/sign-off")
@requires("letters.manage")
def sign_off(letter_id: int):
    letter = _letter(letter_id)
    form = SignOffForm()
    if not form.validate():
        flash(str(NOT_SAVED), "error")
        return _letter_page(letter, 422, sign_form=form)
    try:
        services.sign_off(current_user, letter, form.version_number(), form.unit_head.data)
    except (services.LetterRefused, Conflict) as exc:
        return _refused(letter, exc, "sign_form", form)
    flash(_("The letter was signed off."), "success")
    return redirect(url_for("letters.letter_detail", letter_id=letter.id))


# --- the scoreboard and its drill-downs ------------------------------------------------------


def _scoreboard_args():
    year = _year()
    period = Period.parse(request.args.get("period"))
    form = ScoreboardFilterForm(request.args)
    form.year.choices = year_choices(portal_domain.shanghai_today().year)
    form.period.choices = domain.period_choices(year)
    if period is None or period.year != year:
        period = Period(year)
    form.year.data, form.period.data = str(year), period.code
    return year, period, form


@bp.get("/staff/scoreboard")
@requires("letters.view")
def scoreboard():
    year, period, form = _scoreboard_args()
    board = services.scoreboard(year, period)
    return render_template("letters/scoreboard.html", board=board, form=form,
                           may_see_unit=lambda unit_id: permissions.may_see_unit(current_user, unit_id))


@bp.get("/staff/scoreboard.<fmt>")
@requires("exports.download")
def scoreboard_export(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    year, period, _form = _scoreboard_args()
    return exports.scoreboard_download(current_user, year, period, fmt)


@bp.get("/staff/letters/figures/<measure>/<int:unit_id>")
@requires("letters.view")
def records(measure: str, unit_id: int):
    found = services.records(current_user, measure, unit_id, request.args.get("period"))
    if found is None:
        abort(404)
    return render_template("letters/records.html", found=found)


# --- typed-in figures ------------------------------------------------------------------------


@bp.route("/staff/letters/figures", methods=["GET", "POST"])
@requires("letters.manage")
def entries():
    year = _year()
    units = services.units()
    if request.method == "GET":
        form = EntryForm(formdata=None).setup(units, year)
        return _entries_page(form, year)
    form = EntryForm().setup(units, year)
    period = Period.parse(form.period.data)
    if period is not None:  # the period chosen may be of another year than the page's
        year = period.year
        form.period.choices = domain.period_choices(year, with_year=False)
    if not form.validate():
        flash(str(NOT_SAVED), "error")
        return _entries_page(form, year, 422)
    try:
        services.set_entry(current_user, _int(form.unit_id.data), form.measure.data,
                           form.period.data, form.value.data)
    except services.LetterRefused as exc:
        show_refusal(form, exc, NOT_SAVED)
        return _entries_page(form, year, 422)
    flash(_("The figure was saved."), "success")
    return redirect(url_for("letters.entries", year=year))


def _entries_page(form, year: int, status: int = 200):
    return render_template("letters/entries.html", form=form, year=year,
                           entries=services.entries_of(year),
                           years=year_choices(portal_domain.shanghai_today().year)), status


# --- service stars ---------------------------------------------------------------------------


@bp.get("/staff/stars")
@requires("recognition.view")
def stars():
    year = _year()
    return render_template("letters/stars.html", year=year, stars=services.stars_of(year),
                           years=year_choices(portal_domain.shanghai_today().year))


def _star_form(form: StarForm) -> StarForm:
    form.user_id.choices = [("", _l("Choose a staff member"))] + [
        (str(u.id), f"{u.name} ({u.email})") for u in services.star_candidates()]
    form.year.choices = year_choices(portal_domain.shanghai_today().year)
    return form


@bp.route("/staff/stars/new", methods=["GET", "POST"])
@requires("recognition.manage")
def star_new():
    if request.method == "GET":
        form = _star_form(StarForm(formdata=None, year=str(portal_domain.shanghai_today().year),
                                   items=request.args.get("items", "")))
        return render_template("letters/star_form.html", form=form)
    form = _star_form(StarForm())
    if not form.validate():
        flash(str(NOT_SAVED), "error")
        return render_template("letters/star_form.html", form=form), 422
    try:
        star = services.nominate_star(current_user, _int(form.user_id.data), _int(form.year.data),
                                      form.citation.data, form.items.data, form.requests.data)
    except services.LetterRefused as exc:
        show_refusal(form, exc, NOT_SAVED)
        return render_template("letters/star_form.html", form=form), 422
    flash(_("%(name)s is a service star of %(year)s.", name=star.user.name, year=star.year), "success")
    return redirect(url_for("letters.stars", year=star.year))


# --- classic cases ---------------------------------------------------------------------------


def _cursor(name: str) -> int | None:
    return _int(request.args.get(name))


@bp.get("/staff/cases")
@requires("recognition.view")
def cases():
    units = services.units()
    form = CaseFilterForm(request.args)
    form.unit_id.choices = [("", _l("All"))] + [(str(u.id), u.name) for u in units]
    form.year.choices = [("", _l("All"))] + [(str(y), str(y)) for y in services.case_years()]
    form.validate()

    def good(f):
        return None if f.errors or f.data in ("", None) else f.data

    filters = services.CaseFilters(commitment=good(form.commitment), unit_id=_int(good(form.unit_id)),
                                   year=_int(good(form.year)))
    page = services.case_page(filters, before=_cursor("before"), after=_cursor("after"))
    return render_template("letters/cases.html", form=form, page=page, args=filters.to_args())


@bp.route("/staff/cases/new", methods=["GET", "POST"])
@requires("recognition.manage")
def case_new():
    if request.method == "GET":
        kind = "support_request" if request.args.get("request") else "item"
        number = request.args.get("request") or request.args.get("item") or ""
        form = CaseForm(formdata=None, record_kind=kind, record_id=number).setup()
        return render_template("letters/case_form.html", form=form)
    form = CaseForm().setup()
    if not form.validate():
        flash(str(NOT_SAVED), "error")
        return render_template("letters/case_form.html", form=form), 422
    try:
        services.mark_case(current_user, form.record_kind.data, _int(form.record_id.data),
                           form.lesson.data)
    except services.LetterRefused as exc:
        show_refusal(form, exc, NOT_SAVED)
        return render_template("letters/case_form.html", form=form), 422
    flash(_("The classic case was added to the library."), "success")
    return redirect(url_for("letters.cases"))


@bp.post("/staff/cases/<int:case_id>/remove")
@requires("recognition.manage")
def case_remove(case_id: int):
    try:
        services.remove_case(current_user, case_id)
    except services.LetterRefused:
        abort(404)
    flash(_("The classic case was taken out of the library."), "success")
    return redirect(url_for("letters.cases"))


@bp.context_processor
def _vocabularies():
    """The letters' vocabularies, for this area's templates."""
    return {"rag": domain.RAG, "rag_symbols": domain.RAG_SYMBOLS,
            "letter_statuses": domain.LETTER_STATUSES, "unit_kinds": domain.UNIT_KINDS,
            "record_kinds": domain.RECORD_KINDS, "task_states": domain.TASK_STATES,
            "measure_labels": {code: m.label for code, m in MEASURES.items()},
            "unit_name": _unit_name}


def _unit_name(unit) -> str:
    """A unit as pages call it (a district branch by its district, in the viewer's language)."""
    try:
        from portal.supervision.units import unit_label
    except ImportError:
        return unit.name if unit is not None else ""
    return unit_label(unit)
