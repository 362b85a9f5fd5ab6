"""How the audit entries of exports are told (see portal.audit.history).

Every download of a list leaves an entry of object type "export": the list, the format, the
filters set and the number of rows (a trial's results export names the trial instead of a list).
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal import domain
from portal.audit import Field, describe
from portal.audit.history import EMPTY, as_number

# The filters whose codes are shown in words.
_FILTER_VOCABULARIES = {
    "kind": domain.SUBMISSION_KINDS, "segment": domain.SEGMENTS, "district": domain.DISTRICTS,
    "channel": domain.CHANNELS, "commitment": domain.COMMITMENTS, "priority": domain.PRIORITIES,
    "dmaic_phase": domain.DMAIC_PHASES, "severity": domain.SEVERITIES,
}


def filters_text(filters: Any) -> str:
    """An export's filters as "key=value; ...", codes in words where the key says which."""
    if not isinstance(filters, dict):
        return str(filters)
    parts = []
    for key, value in filters.items():
        text = Field(key, _FILTER_VOCABULARIES.get(key)).text(value, {})
        parts.append(f"{key}={text or EMPTY}")
    return "; ".join(parts)


describe(
    "export",
    list=Field(_l("List"), domain.EXPORT_LISTS),
    format=Field(_l("Format")),
    filters=Field(_l("Filters"), format=filters_text),
    rows=Field(_l("Rows")),
    trial_id=Field(_l("Trial"), format=as_number),
)
