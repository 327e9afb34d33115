"""Words a typed answer is scored on: picked from the key's text, matched loosely.

Scoring is by keywords, not by meaning, so the words must be ones an analyst who knows
the answer would use: the names of contacts, the verbs of a step ("disable", "confirm"),
the objects ("HR", "bank details"). Short and common words are dropped; a keyword
matches a word of the answer that starts with its stem ("disabling" for "disable").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
STOPWORDS = frozenset(
    (
        "about", "above", "after", "again", "against", "also", "although", "always", "among", "another",
        "any", "anyone", "anything", "are", "aren't", "around", "because", "been", "before", "being",
        "below", "between", "both", "cannot", "could", "didn't", "does", "doesn't", "doing", "done",
        "down", "during", "each", "either", "else", "ever", "every", "from", "further", "have", "having",
        "here", "however", "into", "it's", "its", "itself", "just", "least", "less", "like", "made",
        "make", "many", "might", "more", "most", "must", "need", "never", "none", "nothing", "once",
        "only", "other", "others", "otherwise", "over", "own", "same", "should", "since", "some",
        "someone", "something", "such", "than", "that", "their", "them", "then", "there", "these", "they",
        "this", "those", "though", "through", "under", "until", "upon", "very", "want", "were", "what",
        "when", "where", "whether", "which", "while", "who", "whom", "whose", "will", "with", "within",
        "without", "would", "your", "yours", "yourself", "alert", "alerts", "rule", "event", "events",
        "user", "users", "application", "analyst", "check", "anything", "time", "first", "last", "then",
        "case", "soc", "the", "and", "for", "not", "you", "may",
    )
)  # fmt: skip


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """The part of a keyword an answer's word must start with."""
    w = word.lower()
    return w[: max(4, len(w) - 3)] if len(w) > 5 else w


def significant(text: str, limit: int, exclude: Iterable[str] = ()) -> list[str]:
    """Up to ``limit`` distinct content words of ``text``, in order (longer words first on ties of order)."""
    skip = {w.lower() for w in exclude}
    out: list[str] = []
    for w in words(text):
        w = w.strip("'-")
        if len(w) < 4 or w in STOPWORDS or w in skip or w.isdigit() or any(stem(w) == stem(o) for o in out):
            continue
        out.append(w)
        if len(out) >= limit:
            break
    return out


def names_in(text: str) -> list[str]:
    """The parts of a name or role worth matching ("Priya Shah" -> priya, shah)."""
    return [w for w in words(text) if len(w) >= 3 and w not in STOPWORDS]


def matches(keyword: str, answer_words: list[str], answer_text: str) -> bool:
    """A keyword (or a phrase of several words) named in an answer."""
    kw = keyword.lower().strip()
    if not kw:
        return False
    if " " in kw:
        return kw in answer_text
    s = stem(kw)
    return any(w.startswith(s) for w in answer_words)
