"""The accessibility crawl of tests/browser/test_accessibility.py: visit every distinct page a role
can reach, run axe-core and the sideways-scroll check on it at each width, keep its HTML for the
Nu HTML checker, and turn what they find into reports a person can act on.

A "distinct page" is a Flask endpoint: /staff/inbox/3 and /staff/inbox/7 are the same template,
so the crawl visits at most `per_endpoint` of each (the first ones its links lead to).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.base import AXE_SCRIPT
from werkzeug.exceptions import HTTPException

WIDTHS = {390: 844, 1366: 900}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# Pages that are files, side effects or redirects rather than pages to read.
SKIPPED_ENDPOINTS = {
    "static", "health", "gaps.photo", "notifications.open", "results.raw_export",
    "exports.items", "exports.submissions", "exports.download", "exports.job_status",
    "exports.static", "exports.job_page",
}

# After a change of width: time for the page's debounced resize handlers, then a frame drawn.
SETTLE_S = 0.4
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# The button that sends a page's form (not a search form's, which is GET).
# The first one a person can press: a form whose content adds buttons of its own repeats its
# sending button, hidden (aria-hidden, 1 px), as its first (macros/forms.html default_submit).
SEND = "main form[method=post] button[type=submit]:not([aria-hidden=true])"

# The elements that stick out past the right edge while their parent does not: where the
# sideways scroll comes from.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  const roots = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement;
    if (right > width + 1 && parent && parent.getBoundingClientRect().right <= width + 1) {
      roots.push(name(parent) + ' > ' + name(el) + ' (' + Math.round(right) + ' px)');
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, roots: roots.slice(0, 3)};
}"""


@dataclass
class Visit:
    role: str
    lang: str
    url: str  # path and query, as visited
    endpoint: str
    status: int = 200


@dataclass
class Findings:
    visits: list[Visit] = field(default_factory=list)
    # (rule id, impact, help) -> [(visit, width, target, html)]
    axe: dict[tuple[str, str, str], list] = field(default_factory=lambda: defaultdict(list))
    # (visit, width, document width, roots)
    overflow: list[tuple[Visit, int, int, list[str]]] = field(default_factory=list)
    # message -> [(visit, line, extract)]
    vnu: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    html: list[tuple[Visit, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    vnu_ran: bool = False


class Crawler:
    """Crawls the roles side by side in one browser: each role is a generator that yields while
    axe-core works in its page, so the other roles' pages (other renderer processes) use the
    second core meanwhile."""

    def __init__(self, app, findings: Findings, per_endpoint: int, max_pages: int):
        self.adapter = app.url_map.bind("localhost")
        self.findings = findings
        self.per_endpoint = per_endpoint
        self.max_pages = max_pages

    def endpoint(self, path: str) -> str | None:
        try:
            endpoint, _ = self.adapter.match(path, method="GET")
        except HTTPException:
            return None
        return endpoint

    def role(self, context, role: str, start: list[str], enter, other_language, refused=()):
        """A role's crawl in Chinese from `start` after `enter(page)`, and the forms of `refused`
        sent empty (the page that lists what is missing); then the same again after
        `other_language(page)`."""
        context.add_init_script(AXE_SCRIPT)
        page = context.new_page()
        try:
            enter(page)
            assert page_lang(page) == "zh-Hans", f"{role} starts in {page_lang(page)}"
            paths = yield from self.crawl(page, role, start, context_base(page))
            for path in refused:
                yield from self.check(page, role, path, send_empty=True)
            other_language(page)
            for path in paths:
                yield from self.check(page, role, path)
            for path in refused:
                yield from self.check(page, role, path, send_empty=True)
        finally:
            context.close()

    def crawl(self, page, role: str, start: list[str], base: str):
        """Breadth first from `start`; returns the paths visited."""
        queue, queued, seen = list(start), set(start), defaultdict(int)
        visited = []
        while queue and len(visited) < self.max_pages:
            path = queue.pop(0)
            endpoint = self.endpoint(urlsplit(path).path) or "(no route)"
            if endpoint in SKIPPED_ENDPOINTS or seen[endpoint] >= self.per_endpoint:
                continue
            visit = yield from self.check(page, role, path)
            if visit is None:
                continue
            seen[visit.endpoint] += 1
            visited.append(path)
            for link in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
                parts = urlsplit(link)
                if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith("/static/"):
                    continue
                target = parts.path  # the filters' query strings render the same template
                if target not in queued:
                    queued.add(target)
                    queue.append(target)
        return visited

    def check(self, page, role: str, path: str, send_empty: bool = False):
        """Load `path` (and send its form as it is, with `send_empty`), keep its HTML, run axe and
        the width check at both widths; returns the Visit, or None for what is not a page."""
        try:
            response = page.goto(path)
            if send_empty:
                # (expect_navigation can settle on a same-document navigation of the page's script)
                with page.expect_response(lambda r: r.request.is_navigation_request()
                                          and r.request.method == "POST") as sent:
                    page.locator(SEND).first.click()
                response = sent.value
                page.wait_for_load_state()
        except Exception as error:  # a download: not a page
            self.findings.skipped.append(f"{role} {path}: {str(error).splitlines()[0]}")
            return None
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            self.findings.skipped.append(f"{role} {path}: not HTML")
            return None
        final = urlsplit(page.url)
        shown = path if final.path == urlsplit(path).path else f"{path} -> {final.path}"
        visit = Visit(role, page_lang(page), f"{shown} (sent empty)" if send_empty else shown,
                      self.endpoint(final.path) or "(no route)", response.status)
        self.findings.visits.append(visit)
        self.findings.html.append((visit, response.text()))
        current = page.viewport_size["width"]
        for width in sorted(WIDTHS, key=lambda w: w != current):
            if width != current:
                page.set_viewport_size({"width": width, "height": WIDTHS[width]})
                # As if loaded at this width: the page's (debounced) resize handlers run first, e.g.
                # a table's scroll region becomes a focus stop once the table no longer fits.
                resized = time.monotonic()
                yield
                page.wait_for_timeout(max(0.0, SETTLE_S - (time.monotonic() - resized)) * 1000)
                page.evaluate(NEXT_FRAME)
            page.evaluate("options => { window.__axeRun = axe.run(document, options); }", AXE_OPTIONS)
            yield
            self.record_axe(page.evaluate("() => window.__axeRun"), visit, width)
            measured = page.evaluate(OVERFLOW_JS)
            if measured["scroll"] > measured["width"]:
                self.findings.overflow.append((visit, width, measured["scroll"], measured["roots"]))
        return visit

    def record_axe(self, results: dict, visit: Visit, width: int) -> None:
        for violation in results["violations"]:
            key = (violation["id"], violation.get("impact") or "", violation["help"])
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                self.findings.axe[key].append((visit, width, target, node["html"][:160]))


def run_side_by_side(jobs: list) -> None:
    """Step the generators in turn until all are done."""
    while jobs:
        for job in list(jobs):
            try:
                next(job)
            except StopIteration:
                jobs.remove(job)


def context_base(page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def page_lang(page) -> str:
    return page.evaluate("document.documentElement.lang") or "?"


def run_vnu(findings: Findings, folder: Path, jar: str) -> None:
    """Check every kept page in one run of the Nu HTML checker (Java starts slowly)."""
    shutil.rmtree(folder, ignore_errors=True)  # an earlier run's pages are not this run's
    folder.mkdir(parents=True)
    names = {}
    for n, (visit, html) in enumerate(findings.html):
        name = f"{n:04d}-{visit.role}-{visit.lang}.html"
        (folder / name).write_text(html, encoding="utf-8")
        names[name] = visit
    done = subprocess.run(
        ["java", "-Xss1m", "-jar", jar, "--format", "json", "--errors-only", "--exit-zero-always",
         "--skip-non-html", str(folder)],
        capture_output=True, text=True, timeout=600,
    )
    messages = json.loads(done.stderr or done.stdout)["messages"]
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        visit = names.get(Path(urlsplit(message.get("url", "")).path).name)
        findings.vnu[message.get("message", "?")].append(
            (visit, message.get("lastLine"), (message.get("extract") or "").strip()[:120]))


def vnu_jar() -> str | None:
    """The jar `make vnu` installs (VNU_JAR names it in `make test-browser`), when Java is there."""
    if not shutil.which("java"):
        return None
    if os.environ.get("VNU_JAR"):
        return os.environ["VNU_JAR"]
    jars = sorted(Path(__file__).resolve().parents[2].glob(".venv/vnu/vnu-*.jar"))
    return str(jars[-1]) if jars else None


def where(visit: Visit | None) -> str:
    return f"{visit.role} {visit.lang} {visit.url}" if visit else "?"


def axe_report(findings: Findings, full: bool = True) -> str:
    """Every violation, grouped by rule (most pages first), one line per page and element."""
    lines = []
    rules = sorted(findings.axe.items(), key=lambda kv: -len({(v.role, v.url) for v, *_ in kv[1]}))
    total = sum(len(nodes) for nodes in findings.axe.values())
    lines.append(f"axe-core (WCAG 2.1 A/AA): {total} failing elements in {len(rules)} rules")
    for (rule, impact, help_text), nodes in rules:
        pages = {(v.role, v.lang, v.url) for v, *_ in nodes}
        lines.append(f"\n{rule} ({impact}) on {len(pages)} page loads, {len(nodes)} elements: {help_text}")
        if not full:
            continue
        grouped = defaultdict(set)
        snippets = {}
        for visit, width, target, html in nodes:
            grouped[(where(visit), target)].add(width)
            snippets[(where(visit), target)] = html
        for (page, target), widths in grouped.items():
            lines.append(f"  {page} @{'+'.join(str(w) for w in sorted(widths))}: {target}"
                         f"  {snippets[(page, target)]}")
    return "\n".join(lines)


def overflow_report(findings: Findings) -> str:
    lines = [f"Sideways scroll: {len(findings.overflow)} page views wider than the window"]
    for visit, width, scroll, roots in findings.overflow:
        lines.append(f"  {where(visit)} @{width}: {scroll} px; {'; '.join(roots)}")
    return "\n".join(lines)


def vnu_report(findings: Findings, full: bool = True) -> str:
    total = sum(len(found) for found in findings.vnu.values())
    lines = [f"Nu HTML checker: {total} errors, {len(findings.vnu)} distinct messages"]
    for message, found in sorted(findings.vnu.items(), key=lambda kv: -len(kv[1])):
        pages = {where(v) for v, *_ in found}
        lines.append(f"\n{len(found)} x on {len(pages)} pages: {message}")
        if full:
            for visit, line, extract in found:
                lines.append(f"  {where(visit)} line {line}: {extract}")
    return "\n".join(lines)


def summary(findings: Findings, seconds: float) -> str:
    """Counts only: what the lead and the other helpers track between runs."""
    per_role = defaultdict(set)
    for visit in findings.visits:
        per_role[visit.role].add(visit.endpoint)
    widest = sorted(findings.overflow, key=lambda o: -o[2])
    failed = [v for v in findings.visits if v.status >= 500]
    parts = [
        f"Crawl: {len(findings.visits)} page loads ({len(WIDTHS)} widths each) in {seconds:.0f} s; "
        "distinct pages per role: " + ", ".join(f"{r} {len(e)}" for r, e in per_role.items()),
        "\n".join([f"Server errors: {len(failed)} page loads", *(f"  {where(v)}" for v in failed)]),
        axe_report(findings, full=False),
        vnu_report(findings, full=False),
        "\n".join([f"Sideways scroll: {len(findings.overflow)} page views "
                   f"({sum(1 for o in findings.overflow if o[1] == 390)} at 390 px)",
                   *(f"  {where(v)} @{w}: {s} px; {'; '.join(r)}" for v, w, s, r in widest)]),
    ]
    return "\n\n".join(parts) + "\n"


def write_reports(findings: Findings, folder: Path, summary_text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.txt").write_text(summary_text)
    (folder / "axe.txt").write_text(axe_report(findings))
    (folder / "vnu.txt").write_text(vnu_report(findings))
    (folder / "overflow.txt").write_text(overflow_report(findings))
    (folder / "pages.txt").write_text(
        "".join(f"{v.role} {v.lang} {v.status} {v.endpoint} {v.url}\n" for v in findings.visits)
        + "".join(f"skipped {s}\n" for s in findings.skipped))
