"""Export jobs: large CSV and every XLSX go through the job queue (immediate mode in tests)."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import utcnow
from portal.exports import jobs
from portal.exports.models import ExportJob
from portal.notifications.models import Notification, OutboxEmail
from tests.conftest import login
from tests.exports.test_exports import _bulk_submissions, make_submission
from tests.factories import make_user


def _job_id(response) -> int:
    assert response.status_code == 303
    match = re.search(r"/staff/exports/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_a_large_csv_export_runs_as_a_job_and_downloads_every_row(office_client, dbs, member,
                                                                     office_user):
    _bulk_submissions(dbs, member, jobs.LARGE + 1)
    job_id = _job_id(office_client.get("/staff/exports/submissions.csv"))

    page = office_client.get(f"/staff/exports/{job_id}").get_data(as_text=True)
    assert "Your export is ready: 5001 rows." in page
    assert f'href="/staff/exports/{job_id}/download"' in page
    assert office_client.get(f"/staff/exports/{job_id}.json").get_json() == {
        "status": "done", "rows_done": 5001, "rows_total": 5001,
        "download": f"/staff/exports/{job_id}/download"}

    response = office_client.get(f"/staff/exports/{job_id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="submissions-')
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 5002 and rows[0][0] == "ID"
    ids = [int(r[0]) for r in rows[1:]]
    assert len(set(ids)) == 5001
    assert rows[1][4] == "排队 0"  # newest first, as the inbox

    entry = dbs.scalars(select(AuditEntry)).one()
    assert entry.after["rows"] == 5001 and entry.after["format"] == "csv"
    notice = dbs.scalars(select(Notification)).one()
    assert notice.user_id == office_user.id and notice.kind == "export_ready"
    assert notice.dedupe_key == f"export_ready:{job_id}" and notice.export_job_id == job_id
    # The notice names the file and leads to the job's page; an email says the same.
    page = office_client.get("/notifications").get_data(as_text=True)
    assert dbs.get(ExportJob, job_id).file_name in page
    opened = office_client.get(f"/notifications/{notice.id}/open")
    assert opened.headers["Location"].endswith(f"/staff/exports/{job_id}")
    mail = dbs.scalars(select(OutboxEmail).where(OutboxEmail.to_address == office_user.email)).one()
    assert f"/notifications/{notice.id}/open" in mail.body


def test_every_xlsx_export_is_a_job(office_client, dbs, member):
    first = make_submission(dbs, member, title="=HYPERLINK(\"x\")")
    job_id = _job_id(office_client.get("/staff/exports/submissions.xlsx"))
    job = dbs.get(ExportJob, job_id)
    assert (job.status, job.format, job.list, job.rows_done) == ("done", "xlsx", "submissions", 1)
    assert job.expires_at - job.finished_at == timedelta(days=7)
    response = office_client.get(f"/staff/exports/{job_id}/download")
    ws = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[1][0] == first.id and values[1][4] == "'=HYPERLINK(\"x\")"


def test_a_small_csv_export_still_streams_at_once(office_client, dbs, member):
    make_submission(dbs, member)
    response = office_client.get("/staff/exports/submissions.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert dbs.scalars(select(ExportJob)).all() == []


def test_the_job_page_polls_without_inline_script(office_client, dbs, office_user):
    job = ExportJob(user_id=office_user.id, list="submissions", format="xlsx", filters={},
                    status="running", rows_done=1000, rows_total=3000)
    dbs.add(job)
    dbs.commit()
    page = office_client.get(f"/staff/exports/{job.id}").get_data(as_text=True)
    assert "Preparing the file: 1000 of 3000 rows." in page
    assert f'href="/staff/exports/{job.id}">Refresh</a>' in page
    assert '<script src="/static/exports/export_job.js"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert 'http-equiv="refresh"' not in page
    assert office_client.get(f"/staff/exports/{job.id}/download").status_code == 404
    assert office_client.get("/static/exports/export_job.js").status_code == 200


def test_another_user_gets_404_on_the_job_and_its_file(app, office_client, dbs, member):
    make_submission(dbs, member)
    job_id = _job_id(office_client.get("/staff/exports/submissions.xlsx"))
    other = app.test_client()
    login(other, make_user(dbs, role="admin"))
    for url in (f"/staff/exports/{job_id}", f"/staff/exports/{job_id}.json",
                f"/staff/exports/{job_id}/download"):
        assert other.get(url).status_code == 404, url
    assert office_client.get(f"/staff/exports/{job_id}/download").status_code == 200


def test_members_cannot_see_jobs(member_client, dbs, member):
    job = ExportJob(user_id=member.id, list="submissions", format="csv", filters={}, status="done")
    dbs.add(job)
    dbs.commit()
    assert member_client.get(f"/staff/exports/{job.id}").status_code == 403


def test_expired_files_are_deleted_and_the_job_marked(app, office_client, dbs, member):
    make_submission(dbs, member)
    job_id = _job_id(office_client.get("/staff/exports/improvements.xlsx"))
    with app.app_context():
        job = dbs.get(ExportJob, job_id)
        path = jobs.file_path(job)
        assert path.is_file()
        assert jobs.delete_expired() == 0
        assert jobs.delete_expired(utcnow() + timedelta(days=7, minutes=1)) == 1
    assert not path.exists()
    dbs.expire_all()
    assert dbs.get(ExportJob, job_id).status == "expired"
    assert office_client.get(f"/staff/exports/{job_id}/download").status_code == 404
    assert "This export has expired." in office_client.get(f"/staff/exports/{job_id}").get_data(as_text=True)


def test_a_job_runs_once(app, office_client, dbs, member):
    make_submission(dbs, member)
    job_id = _job_id(office_client.get("/staff/exports/submissions.xlsx"))
    with app.test_request_context("/"):
        jobs.run(job_id)  # a second delivery of the task: nothing more
    assert len(dbs.scalars(select(Notification)).all()) == 1
    assert len(dbs.scalars(select(AuditEntry)).all()) == 1


def test_export_dir_from_the_environment(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_EXPORT_DIR", str(tmp_path / "shared"))
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    assert app.config["EXPORT_DIR"] == str(tmp_path / "shared")
    with app.app_context():
        assert jobs.export_dir() == tmp_path / "shared" and (tmp_path / "shared").is_dir()
