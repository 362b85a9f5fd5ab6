"""The layout every page shares (templates/base.html, macros/tables.html) and how its stylesheet,
script and icon are served (portal/static_files.py): the skip link, the current page in the nav,
the menu that folds on a phone, labelled cards and scroll regions, and year-long caching of
content-hashed, compressed files. The phone layout itself is checked in Chromium
(tests/browser/test_phone_layout.py)."""
import gzip
import hashlib
import re
from pathlib import Path

from portal.notifications.models import Notification
from tests import factories
from tests.conftest import login

STATIC = Path(__file__).resolve().parents[1] / "portal" / "static"
HASHED_CSS = re.compile(r'<link rel="stylesheet" href="(/static/portal\.([0-9a-f]{12})\.css)">')


def _body(html: str) -> str:
    return html.split("<body>", 1)[1]


def test_the_first_thing_to_tab_to_is_the_skip_link_to_the_main_content(member_client):
    html = member_client.get("/").get_data(as_text=True)
    first_focusable = re.search(r"<(a|button|input|select|textarea|summary)\b[^>]*>", _body(html))
    assert first_focusable.group(0) == '<a class="skip-link" href="#main">'
    assert re.search(r'<main id="main" tabindex="-1">', html)
    assert ">Skip to content</a>" in html


def test_the_nav_marks_the_page_shown_and_only_that_one(member_client):
    for path in ("/", "/reports"):
        html = member_client.get(path).get_data(as_text=True)
        nav = html.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
        assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [path]
    detail_page = member_client.get("/reports/new").get_data(as_text=True)
    assert 'aria-current' not in detail_page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]


def test_the_nav_folds_into_a_menu_that_needs_no_script(office_client):
    html = office_client.get("/staff/inbox").get_data(as_text=True)
    menu = re.search(r'<details class="nav-menu">\s*<summary>Menu</summary>\s*<nav class="main-nav"',
                     html)
    assert menu, "the nav links are inside a <details> menu"
    # Signed out there is nothing to fold: no empty menu button.
    office_client.post("/logout")
    assert "nav-menu" not in office_client.get("/login").get_data(as_text=True)


def test_the_unread_count_is_said_in_words_not_an_aria_label_on_a_span(client, dbs, member):
    trial = factories.make_trial(dbs)
    dbs.add(Notification(user_id=member.id, kind="enrollment_accepted", trial_id=trial.id))
    dbs.commit()
    login(client, member)
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'<a href="/notifications" class="notifications-link">(.*?)</a>', html).group(1)
    assert '<span class="badge badge-unread" aria-hidden="true">1</span>' in link
    assert '<span class="visually-hidden">1 unread</span>' in link
    assert "aria-label" not in link


def test_member_lists_label_every_value_for_the_phone_cards(client, dbs, member):
    factories.make_gap_report(dbs, member)
    login(client, member)
    html = client.get("/reports").get_data(as_text=True)
    table = re.search(r'<table class="data cards">.*?</table>', html, re.S).group(0)
    headers = re.findall(r"<th>([^<]+)</th>", table)
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r"<td([^>]*)>", row)
    assert 'class="card-title' in cells[0]
    assert [re.search(r'data-label="([^"]+)"', c).group(1) for c in cells[1:]] == headers[1:]


def test_a_wide_staff_table_scrolls_in_a_named_focusable_region(office_client, dbs, member):
    factories.make_gap_submission(dbs, member)
    html = office_client.get("/staff/inbox").get_data(as_text=True)
    region = re.search(r'<div class="table-scroll" tabindex="0" role="region" aria-label="([^"]+)">'
                       r'\s*<table class="data inbox cards">', html)
    assert region and region.group(1) == "Inbox"


def test_pages_have_an_icon_and_a_description(client):
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'<meta name="description" content="[^"]{40,}">', html)
    icon = re.search(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]{12}\.svg)" type="image/svg\+xml">',
                     html)
    assert icon and client.get(icon.group(1)).status_code == 200
    response = client.get("/favicon.ico")  # asked for by browsers whatever the page says
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_the_stylesheet_name_carries_a_hash_of_its_content(client):
    html = client.get("/login").get_data(as_text=True)
    url, digest = HASHED_CSS.search(html).groups()
    assert digest == hashlib.sha256((STATIC / "portal.css").read_bytes()).hexdigest()[:12]
    assert re.search(r'<script src="/static/portal\.[0-9a-f]{12}\.js" defer></script>', html)


def test_hashed_files_are_cached_for_a_year_and_sent_compressed(client):
    url = HASHED_CSS.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    css = (STATIC / "portal.css").read_bytes()
    assert gzip.decompress(response.get_data()) == css
    assert len(response.get_data()) < len(css) / 2
    plain = client.get(url)  # no Accept-Encoding: the file as it is
    assert plain.get_data() == css and "Content-Encoding" not in plain.headers


def test_the_plain_name_still_answers_but_is_kept_only_briefly(client):
    response = client.get("/static/portal.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=60, public"
    response.close()


def test_copies_of_former_versions_are_deleted_after_a_month(app, tmp_path):
    import os
    import time

    from portal.static_files import StaticFiles

    build = tmp_path / "static-build"
    build.mkdir()
    old = build / "portal.0123456789ab.css"
    recent = build / "portal.ba9876543210.css"
    for path in (old, recent, build / "portal.0123456789ab.css.gz"):
        path.write_text("body{}")
    month_ago = time.time() - 31 * 24 * 60 * 60
    os.utime(old, (month_ago, month_ago))
    os.utime(build / "portal.0123456789ab.css.gz", (month_ago, month_ago))

    files = StaticFiles(app, build)

    assert not old.exists() and not (build / "portal.0123456789ab.css.gz").exists()
    assert recent.exists()  # a former version of the last month: still served
    current = build / files.url("portal.css").removeprefix("/static/")
    os.utime(current, (month_ago, month_ago))
    assert files.prune() == 0 and current.exists()  # the current version is never deleted
