"""Members filling in a trial's questionnaire; staff reading evaluations."""
from flask import abort

from portal.security import member_required, roles_required
from portal.trials import bp


@bp.route("/trials/<int:trial_id>/evaluation", methods=["GET", "POST"])
@member_required
def evaluation_form(trial_id: int):
    abort(404)


@bp.get("/staff/trials/<int:trial_id>/evaluations")
@roles_required("product", "office", "admin")
def staff_evaluations(trial_id: int):
    abort(404)


@bp.get("/staff/evaluations/<int:evaluation_id>")
@roles_required("product", "office", "admin")
def staff_evaluation(evaluation_id: int):
    abort(404)
