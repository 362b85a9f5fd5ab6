"""Forms of the internal supervision hotline."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal import domain
from portal.fields import SelectField
from portal.gaps.photos import MAX_PHOTO_MB, MAX_PHOTOS
from portal.supervision import units
from portal.supervision.services import TEXT_MAX, TITLE_MAX
from portal.text import clean_text
from portal.versioning import VersionedForm

TOO_LONG = _l("Please use at most %(max)s characters.")
NOT_A_NUMBER = _l("Please give a number, such as 12.")
DONT_KNOW = _l("I don't know: route it by the routing table")


def _strip(value):
    return clean_text(value) if isinstance(value, str) else value


def department_choices(blank):
    return [("", blank)] + [(str(d.id), d.name) for d in units.departments()]


class RequestForm(FlaskForm):
    title = StringField(
        _l("What does the front line need?"), filters=[_strip],
        validators=[DataRequired(_l("Please say in a few words what the front line needs.")),
                    Length(max=TITLE_MAX, message=TOO_LONG)],
        render_kw={"maxlength": TITLE_MAX})
    description = TextAreaField(
        _l("Description"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 5, "maxlength": TEXT_MAX})
    category = SelectField(
        _l("Problem category"),
        choices=domain.choices(domain.SUPPORT_CATEGORIES, blank=_l("Choose a category")),
        validators=[DataRequired(_l("Please choose a problem category."))])
    urgency = SelectField(_l("Urgency"), choices=domain.choices(domain.SUPPORT_URGENCIES),
                          default="normal",
                          description=_l("Urgent: accepted within 4 working hours; normal: within "
                                         "2 working days."))
    department_id = SelectField(_l("From which department"), choices=[], default="")
    case_text = TextAreaField(
        _l("The customer case it concerns"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3, "maxlength": TEXT_MAX})
    submission_id = IntegerField(
        _l("Member submission number (optional)"), validators=[Optional()],
        description=_l("A submission of a member of your district."))
    item_id = IntegerField(_l("Improvement item number (optional)"), validators=[Optional()])
    attachments = MultipleFileField(
        _l("Photos or screenshots (optional)"),
        description=_l("At most %(count)s JPEG, PNG or WebP images of %(mb)s MB each.",
                       count=MAX_PHOTOS, mb=MAX_PHOTO_MB),
        render_kw={"accept": "image/jpeg,image/png,image/webp"})

    def setup(self) -> RequestForm:
        self.department_id.choices = department_choices(DONT_KNOW)
        for f in (self.submission_id, self.item_id):
            f.gettext = lambda s: str(NOT_A_NUMBER)  # noqa: B023 - same message for both
        return self


class RouteForm(VersionedForm):
    department_id = SelectField(_l("Department"), choices=[],
                                validators=[DataRequired(_l("Please choose a department from the list."))])


class AnswerForm(VersionedForm):
    answer = TextAreaField(
        _l("Answer"), filters=[_strip],
        validators=[DataRequired(_l("Please write the answer the district branch will read.")),
                    Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 5, "maxlength": TEXT_MAX})


class SendBackForm(VersionedForm):
    reason = TextAreaField(
        _l("Why does the answer not solve it?"), filters=[_strip],
        validators=[DataRequired(_l("Please say why the answer does not solve the problem.")),
                    Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3, "maxlength": TEXT_MAX})


class ConfirmForm(VersionedForm):
    rating = SelectField(
        _l("How well did the department support you? (1 poor - 5 excellent)"),
        choices=domain.choices({str(n): str(n) for n in range(5, 0, -1)}, blank=_l("Choose a rating")),
        validators=[DataRequired(_l("Please rate the support from 1 to 5."))])


class StepForm(VersionedForm):
    """Accept or close: nothing but the version."""


class RuleForm(FlaskForm):
    category = SelectField(_l("Problem category"),
                           choices=domain.choices(domain.SUPPORT_CATEGORIES, blank=_l("Any")))
    commitment = SelectField(_l("Service commitment"),
                             choices=domain.choices(domain.COMMITMENTS, blank=_l("Any")))
    department_id = SelectField(_l("Department"), choices=[],
                                validators=[DataRequired(_l("Please choose a department from the list."))])


# --- the monthly bulletin -------------------------------------------------------------------------


class PickForm(FlaskForm):
    """Pick a request into the bulletin (the request's number is the button's hidden field)."""
    request_id = IntegerField(
        validators=[DataRequired(_l("Please pick a support request filed in this month."))])


class AnalysisForm(VersionedForm):
    analysis = TextAreaField(
        _l("What went wrong"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3, "maxlength": TEXT_MAX})
    root_cause = TextAreaField(
        _l("Root cause"), filters=[_strip],
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3, "maxlength": TEXT_MAX})
    changes_made = TextAreaField(
        _l("What was changed"), filters=[_strip],
        description=_l("So that it does not happen again: the rule, process or system changed."),
        validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
        render_kw={"rows": 3, "maxlength": TEXT_MAX})

    def texts(self) -> dict[str, str]:
        return {"analysis": self.analysis.data, "root_cause": self.root_cause.data,
                "changes_made": self.changes_made.data}


class PublishForm(VersionedForm):
    """Publish the bulletin: nothing but the version."""
