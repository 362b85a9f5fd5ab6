"""Forms of service-gap reports: filing one (member) and filtering the list (service office)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal import domain
from portal.fields import SelectField
from portal.gaps import photos as photo_checks, services
from portal.text import clean_text

TITLE_MAX = 200
PLACE_MAX = 200
DESCRIPTION_MAX = 5000
SEARCH_MAX = 100
TOO_LONG = _l("Please use at most %(max)s characters.")


def _strip(value):
    return clean_text(value) if isinstance(value, str) else value


def _search(value):
    """Typed text, and at most SEARCH_MAX characters are looked for."""
    return clean_text(value)[:SEARCH_MAX] if isinstance(value, str) else value


class GapReportForm(FlaskForm):
    channel = SelectField(
        _l("Channel"), choices=domain.choices(domain.CHANNELS, blank=_l("Choose a channel")),
        validators=[DataRequired(_l("Please choose a channel."))],
    )
    commitment = SelectField(
        _l("Service commitment"),
        choices=domain.choices(domain.COMMITMENTS, blank=_l("Choose a service commitment")),
        validators=[DataRequired(_l("Please choose the service commitment it touches."))],
    )
    district = SelectField(
        _l("District"), choices=domain.choices(domain.DISTRICTS),
        validators=[DataRequired(_l("Please choose a district."))],
    )
    place = StringField(
        _l("Place"), filters=[_strip], validators=[Optional(), Length(max=PLACE_MAX, message=TOO_LONG)],
        description=_l("For example the store, street or website page."),
        render_kw={"maxlength": PLACE_MAX},
    )
    occurred_on = DateField(
        _l("Date it happened"), validators=[InputRequired(_l("Please give the date."))],
        invalid_value_message=_l("Please give a date such as 2024-05-31."),
    )
    occurred_time = TimeField(
        _l("Time it happened"), format=["%H:%M", "%H:%M:%S"],
        validators=[InputRequired(_l("Please give the time."))],
        invalid_value_message=_l("Please give a time such as 14:30."),
        description=_l("Shanghai time."),
    )
    severity = RadioField(
        _l("Severity"), coerce=int, choices=domain.choices(domain.SEVERITIES),
        validators=[InputRequired(_l("Please choose a severity."))],
    )
    title = StringField(
        _l("Title"), filters=[_strip],
        validators=[DataRequired(_l("Please give a title.")), Length(max=TITLE_MAX, message=TOO_LONG)],
        render_kw={"maxlength": TITLE_MAX},
    )
    description = TextAreaField(
        _l("What happened"), filters=[_strip],
        validators=[DataRequired(_l("Please describe what happened.")),
                    Length(max=DESCRIPTION_MAX, message=TOO_LONG)],
        render_kw={"rows": 8, "maxlength": DESCRIPTION_MAX},
    )
    photos = MultipleFileField(
        _l("Photos"),
        description=_l("Up to 3 photos, JPEG, PNG or WebP, at most 5 MB each."),
        # portal.js checks the count and sizes before the form is sent, with these messages.
        render_kw={
            "accept": "image/jpeg,image/png,image/webp",
            "data-max-bytes": photo_checks.MAX_PHOTO_BYTES,
            "data-max-files": photo_checks.MAX_PHOTOS,
            "data-too-large": _l("%(name)s is larger than %(mb)s MB.", name="{name}",
                                 mb=photo_checks.MAX_PHOTO_MB),
            "data-too-many": _l("You chose %(count)s photos; a report can have at most %(max)s.",
                                count="{count}", max=photo_checks.MAX_PHOTOS),
        },
    )

    checked_photos: list[photo_checks.CheckedPhoto]
    occurred_at = None

    def validate_occurred_time(self, field):
        if self.occurred_on.data is None or field.data is None:
            return
        moment = services.shanghai_to_utc(self.occurred_on.data, field.data)
        problem = services.occurred_at_problem(moment)
        if problem:
            raise ValidationError(problem)
        self.occurred_at = moment

    def validate_photos(self, field):
        self.checked_photos = []
        try:
            self.checked_photos = photo_checks.check_photos(field.data)
        except photo_checks.PhotosRefused as exc:
            field.errors.extend(exc.errors)

    def photos_were_chosen(self) -> bool:
        return any(getattr(f, "filename", "") for f in (self.photos.data or []))


class StaffFilterForm(FlaskForm):
    """The GET filters of the service office's list, the one description of them: a value not
    in a field's choices is ignored (see `portal.pagination.chosen_filters`)."""

    class Meta:
        csrf = False

    channel = SelectField(_l("Channel"), choices=domain.choices(domain.CHANNELS, blank=_l("All")))
    commitment = SelectField(
        _l("Service commitment"), choices=domain.choices(domain.COMMITMENTS, blank=_l("All"))
    )
    district = SelectField(
        _l("District"), choices=domain.choices(domain.DISTRICTS, blank=_l("All"))
    )
    severity = SelectField(
        _l("Severity"), choices=domain.choices(domain.SEVERITIES, blank=_l("All"))
    )
    status = SelectField(
        _l("Status"), choices=domain.choices(domain.SUBMISSION_STATUSES, blank=_l("All"))
    )
    q = StringField(_l("Search"), filters=[_search], render_kw={"maxlength": SEARCH_MAX})
