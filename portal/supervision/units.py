"""Units: the operator's departments and district branches (one table, `Department`, alias `Unit`).

A unit's name is stored text (a department's name as the operator writes it, in Chinese, like
every department name of the portal). A district branch is shown in the viewer's language from
its district (portal.domain.DISTRICTS): "Xuhui branch" / "徐汇分公司".
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal import domain
from portal.db import db
from portal.improvements.models import Unit

DEPARTMENT = "department"
DISTRICT_BRANCH = "district_branch"


def unit_label(unit: Unit | None) -> str:
    """What a page calls `unit`: a district branch by its district in the viewer's language,
    a department by its stored name."""
    if unit is None:
        return ""
    if unit.kind == DISTRICT_BRANCH and unit.district in domain.DISTRICTS:
        return _("%(district)s branch", district=domain.DISTRICTS[unit.district])
    return unit.name


def departments() -> list[Unit]:
    """Every department (not district branch), by name: the routing table's and forms' choices
    (a few dozen rows at most)."""
    return list(db.scalars(select(Unit).where(Unit.kind == DEPARTMENT).order_by(Unit.name)))


def district_branches() -> list[Unit]:
    return list(db.scalars(
        select(Unit).where(Unit.kind == DISTRICT_BRANCH).order_by(Unit.district, Unit.name)))
