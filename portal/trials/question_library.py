"""The standard questions a questionnaire builder adds in one click (portal.trials.questionnaire).

Each entry is questionnaire content, stored with the question in both languages (Chinese, and
the English members reading English see), not interface text: hence plain strings, not gettext.
An entry may bring follow-ups: questions added right after it whose show-if rule points at it
(`show_if`: operator and values, as in `Question.show_if_*`).

CES is a 7-point scale; the rating kind is 1-5, so CES is a single choice of 7 labelled points
(its results are counts per point, not a mean).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Standard:
    kind: str
    prompt: str
    prompt_en: str
    help_text: str = ""
    help_text_en: str = ""
    options: tuple[str, ...] = ()
    options_en: tuple[str, ...] = ()
    required: bool = True
    show_if: tuple[str, tuple[str, ...]] | None = None  # (operator, values) on the parent


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    name_en: str
    questions: tuple[Standard, ...]
    terminal: bool = False  # offered under "for terminals"


CES_OPTIONS = ("1 非常困难", "2 困难", "3 有点困难", "4 一般", "5 有点容易", "6 容易", "7 非常容易")
CES_OPTIONS_EN = ("1 Very difficult", "2 Difficult", "3 Somewhat difficult", "4 Neither",
                  "5 Somewhat easy", "6 Easy", "7 Very easy")


def _rating(key: str, name: str, name_en: str, prompt: str, prompt_en: str,
            terminal: bool = False) -> Entry:
    return Entry(key, name, name_en, (Standard("rating", prompt, prompt_en),), terminal=terminal)


LIBRARY: tuple[Entry, ...] = (
    _rating("csat", "满意度 (CSAT 1-5)", "Satisfaction (CSAT 1-5)",
            "总体而言，您对本次试用的满意程度如何？",
            "Overall, how satisfied are you with this trial?"),
    Entry("ces", "费力度 (CES 1-7)", "Effort (CES 1-7)", (
        Standard("single", "使用本产品或服务有多容易？", "How easy was it to use this product or service?",
                 help_text="1 表示非常困难，7 表示非常容易。",
                 help_text_en="1 means very difficult, 7 very easy.",
                 options=CES_OPTIONS, options_en=CES_OPTIONS_EN),
    )),
    Entry("nps", "净推荐值 (NPS 0-10) 及追问", "Net Promoter Score (NPS 0-10) with its follow-up", (
        Standard("nps", "您向亲友推荐本产品或服务的可能性有多大？",
                 "How likely are you to recommend this product or service to a friend or colleague?"),
        Standard("text", "哪些方面让您失望？", "What disappointed you?", required=False,
                 show_if=("le", ("6",))),
    )),
    Entry("keep", "是否继续使用", "Would you keep using it?", (
        Standard("yesno", "试用结束后您会继续使用吗？", "Would you keep using it after the trial?"),
    )),
    _rating("signal", "信号", "Signal", "您如何评价终端的信号质量？",
            "How do you rate the terminal's signal?", terminal=True),
    _rating("battery", "电池续航", "Battery", "您如何评价终端的电池续航？",
            "How do you rate the terminal's battery life?", terminal=True),
    _rating("heat", "发热", "Heat", "您如何评价终端使用时的发热情况？",
            "How do you rate how the terminal stays cool in use?", terminal=True),
    _rating("camera", "拍照", "Camera", "您如何评价终端的拍照效果？",
            "How do you rate the terminal's camera?", terminal=True),
)

BY_KEY = {entry.key: entry for entry in LIBRARY}
