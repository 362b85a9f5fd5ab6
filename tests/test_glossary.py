"""One Chinese term per concept, as the project glossary gives it, in every catalogue entry.

The glossary (kept with the translation review) names each concept's one term and, for several,
the renderings it replaces; those are the rules below. A word with two meanings in English has a
msgctxt, and the pages show each meaning with its own word.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import make_consultation, make_department, make_item, make_submission, make_trial

PO = Path(__file__).resolve().parent.parent / "portal/translations/zh_Hans/LC_MESSAGES/messages.po"

# Renderings the glossary does not allow anywhere: pattern -> (the glossary's term, a rendering
# the review found, which the pattern must catch).
FORBIDDEN = {
    "改进项": ("整改事项", "关联改进项"),
    "改进事项": ("整改事项", "改进事项"),
    "上海时间": ("北京时间", "（上海时间）"),
    "客户群": ("客户类别", "目标客户群"),
    "员工": ("工作人员", "员工账号"),
    "服务短板报告": ("服务短板反馈", "提交的服务短板报告"),
    "服务短板反映": ("服务短板反馈", "客户组织服务短板反映"),
    "服务办公室": ("服务管理办公室", "服务办公室看板"),
    "服务管理部门": ("服务管理办公室", "服务管理部门已处理"),
    "(?<!客户)组织成员": ("客户组织成员", "此说明面向组织成员"),
    "客户体验官": ("客户组织成员", "客户体验官"),
    # Members read "we" for the company, never a third party.
    "运营商": ("我们", "运营商根据成员的评估反馈"),
    # A trial is a 试用项目; 试用 alone is the act (试用中, 试用时间).
    "(?:此|本|该|这个|参加)试用(?!项目)": ("试用项目", "退出本试用"),
}

# Where the English names the concept, the Chinese uses the glossary's term (and not the one
# that means something else: 问题 is "problem", 提交 the act of sending).
REQUIRED = [
    (r"\bimprovement items?\b", "整改事项"),
    (r"\bservice office\b", "服务管理办公室"),
    (r"(?<!%\()\bsegments?\b", "客户类别"),
    (r"\bquestions?\b", "题"),
    (r"\bsubmissions?\b", "反馈"),
    (r"\b(?:service-)?gap reports?\b", "服务短板反馈"),
    (r"\bShanghai time\b", "北京时间"),
]
# Entries the review shortened on purpose: the concept is plain from the page around them.
SHORTENED = {
    "Create an improvement item from this submission",  # a button on the submission's page
    "Link an improvement item to mark the submission as linked.",  # an error beside its status
}
NOT_FOR = [
    (r"\bquestions?\b", "问题", "题目"),
]


def entries():
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else " / ".join(message.id)
        chinese = message.string if isinstance(message.string, str) else " / ".join(message.string)
        yield message.context, english, chinese


def test_no_entry_uses_a_term_the_glossary_replaced():
    wrong = [
        f"{english!r}: {chinese} (uses {re.search(pattern, chinese).group(0)}, not {term})"
        for _context, english, chinese in entries()
        for pattern, (term, _found) in FORBIDDEN.items() if re.search(pattern, chinese)
    ]
    assert not wrong, "\n".join(wrong)


def test_each_named_concept_has_its_glossary_term():
    wrong = [f"{english!r}: {chinese} (needs {term})"
             for _context, english, chinese in entries()
             for pattern, term in REQUIRED
             if re.search(pattern, english, re.IGNORECASE) and term not in chinese
             and english not in SHORTENED]
    wrong += [f"{english!r}: {chinese} ({bad} for {term})"
              for _context, english, chinese in entries()
              for pattern, bad, term in NOT_FOR
              if re.search(pattern, english, re.IGNORECASE) and bad in chinese]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("pattern", list(FORBIDDEN))
def test_each_rule_catches_what_it_names(pattern):
    # so that a typo in a pattern cannot silence it, nor make it refuse the glossary's own term
    term, found = FORBIDDEN[pattern]
    assert re.search(pattern, found)
    assert not re.search(pattern, term)


# --- words with two meanings, on the pages that show them ------------------------------------

def test_inbox_bulk_apply_reads_as_carry_out(dbs, office_client, member):
    make_submission(dbs, member)
    office_client.language("zh_Hans")
    html = office_client.get("/staff/inbox").get_data(as_text=True)
    bulk = html[html.index('action="/staff/inbox/bulk"'):]
    bulk = bulk[:bulk.index("</form>")]
    assert re.search(r"<button[^>]*>\s*执行\s*</button>", bulk)
    assert "报名" not in bulk


def test_trial_page_apply_reads_as_sign_up(dbs, member_client):
    trial = make_trial(dbs, segments=("mobile",))  # the member fixture's segment
    member_client.language("zh_Hans")
    html = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert re.search(r"<h2[^>]*>\s*报名\s*</h2>", html)
    assert "立即报名" in html
    assert "执行" not in html


def test_dashboard_open_items_column_is_not_the_in_progress_status(dbs, office_client):
    make_item(dbs, status="in_progress", department_id=make_department(dbs).id)
    office_client.language("zh_Hans")
    html = office_client.get("/staff/dashboard").get_data(as_text=True)
    section = html[html.index('data-testid="dash-items"'):]
    section = section[:section.index("</table>")]
    assert re.search(r"<th[^>]*>\s*未完成\s*</th>", section)
    assert "进行中" not in section.split("<tbody>")[0]


def test_open_consultation_reads_as_in_consultation(dbs, member_client):
    consultation = make_consultation(dbs)
    member_client.language("zh_Hans")
    html = member_client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert re.search(r'<span class="badge badge-window-open">\s*征询中\s*</span>', html)


def test_accepted_count_column_and_accepted_status(dbs, product_client, product_user):
    make_trial(dbs, created_by_id=product_user.id)
    product_client.language("zh_Hans")
    html = product_client.get("/staff/trials").get_data(as_text=True)
    assert re.search(r"<th[^>]*>\s*入选人数\s*</th>", html)
