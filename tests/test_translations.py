"""Every user-facing string has its Simplified Chinese text, and placeholders survive translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
    "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2),
}


def source_messages() -> set[tuple[str | None, str]]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        # a plural message is catalogued under its singular msgid
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add((context, msgid))
    return found


def chinese_catalog():
    with open(ROOT / "portal/translations/zh_Hans/LC_MESSAGES/messages.po", "rb") as fh:
        return read_po(fh, locale="zh_Hans")


def test_every_source_string_has_a_chinese_translation():
    catalog = chinese_catalog()
    missing = []
    for context, msgid in sorted(source_messages(), key=lambda key: (key[0] or "", key[1])):
        message = catalog.get(msgid, context=context)
        if message is None or message.fuzzy or not (
            message.string if isinstance(message.string, str) else all(message.string)
        ):
            missing.append(f"{context}|{msgid}" if context else msgid)
    assert not missing, f"{len(missing)} strings lack a Chinese translation: {missing[:20]}"


def test_translations_keep_their_placeholders():
    problems = [(m.id, errors) for m, errors in chinese_catalog().check() if errors]
    assert not problems, problems[:10]
