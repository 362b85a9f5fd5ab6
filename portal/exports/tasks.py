"""The export tasks: write an export job's file, and delete expired files daily at 04:00 (Beijing)."""
from __future__ import annotations

import logging

from portal.jobs import huey, shanghai_crontab

log = logging.getLogger("huey.portal")


@huey.task(name="run_export_job")
def run_export_job(job_id: int) -> None:
    from portal.exports.jobs import run

    run(job_id)


@huey.periodic_task(shanghai_crontab(minute="0", hour="4"), name="delete_expired_exports")
def delete_expired_exports() -> None:
    from portal.exports.jobs import delete_expired

    log.info("delete_expired_exports: %d file(s) deleted", delete_expired())
