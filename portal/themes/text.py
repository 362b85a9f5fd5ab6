"""From a member's text to its themes: the words it is about, each once, in a normal form.

Rules:
- The text is NFKC-normalised first, so full-width letters, digits and punctuation (５Ｇ，)
  read as their half-width forms (5G,), then cut into words by jieba (Chinese word
  segmentation; English and digits come out as whole words).
- A word's key is its casefolded form: "5G", "５Ｇ" and "5g" are one theme. It is shown in the
  form of the user dictionary when it has one ("5G"), else as the key.
- Dropped: stop words (stopwords.txt, Chinese and English), punctuation and whitespace, words
  without a letter or a CJK character (numbers, "3.5"), single characters, and words longer than
  TERM_MAX. The words of the user dictionary (userdict.txt: telecom words jieba would cut apart,
  such as 客服热线 or 携号转网, and the operator's 10086) are always kept, whatever their form.
- jieba's dictionary (about 0.7 s to load, 50 MB) is loaded once per process, on first use, not
  at import: the web workers that never see a text never pay for it.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
USER_DICTIONARY = HERE / "userdict.txt"
STOP_WORDS = HERE / "stopwords.txt"
# Longer "words" are links, serial numbers or run-together English: no theme.
TERM_MAX = 32
# At most this many themes are kept of one text (a pasted essay does not flood the counts).
TERMS_PER_TEXT = 100
# A letter of any script (CJK ideographs included): a word without one is no theme.
_HAS_LETTER = re.compile(r"[^\W\d_]")

_lock = threading.Lock()
_tokenizer = None


def normal(word: str) -> str:
    """The key of a word: NFKC (full-width -> half-width), casefolded, trimmed."""
    return unicodedata.normalize("NFKC", word).casefold().strip()


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(normal(line) for line in _lines(STOP_WORDS))


@cache
def user_words() -> dict[str, str]:
    """The user dictionary's words: {key: the form to show}."""
    return {normal(line.split()[0]): line.split()[0] for line in _lines(USER_DICTIONARY)}


def tokenizer():
    """jieba's tokenizer with the user dictionary, made once per process (thread-safe)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on every start
                made = jieba.Tokenizer()
                made.load_userdict(str(USER_DICTIONARY))  # loads the main dictionary first
                _tokenizer = made
    return _tokenizer


def is_theme(key: str) -> bool:
    """Whether a word's key may be a theme (see the module's rules)."""
    if key in user_words():
        return True
    if key in stop_words() or len(key) < 2 or len(key) > TERM_MAX:
        return False
    return bool(_HAS_LETTER.search(key))


def terms(text: str | None) -> list[str]:
    """The theme keys of a text, each once, in the order they first appear."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return []
    seen: dict[str, None] = {}
    for word in tokenizer().cut(text):
        key = normal(word)
        if key and key not in seen and is_theme(key):
            seen[key] = None
            if len(seen) >= TERMS_PER_TEXT:
                break
    return list(seen)


def display(key: str) -> str:
    """How a theme key is shown (and searched for): the user dictionary's form, else the key."""
    return user_words().get(key, key)
