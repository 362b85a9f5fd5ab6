"""The triage inbox: every member submission (evaluations, service-gap reports, opinions) in
one list for the service office, with assignment, statuses, tags, notes and item links.

Fed by `signals.submission_received` (receivers.py); its audit entries read as described in
history.py."""
from flask import Blueprint

bp = Blueprint("triage", __name__, template_folder="templates")

from portal.triage import history, receivers, routes  # noqa: E402,F401
