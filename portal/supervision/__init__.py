"""The internal supervision hotline (服务支撑内部监督热线): district branches file support requests,
the routing table sends them to a department, the department's A contact accepts and answers
(B contact, then the supervision office, are told when it stays untouched), the branch confirms
with a rating; the office assesses departments and branches and writes a monthly bulletin.

Rules live in services.py; who may see what in portal.permissions (support_request_scope);
audit descriptions in history.py; working time in workdays.py."""
from flask import Blueprint

bp = Blueprint("supervision", __name__, template_folder="templates")

from portal.supervision import history, routes  # noqa: E402,F401
