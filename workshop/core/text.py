"""What a person may type into a text field, and when two names are the same name.

Control characters (NUL, ESC, BEL, ...) in an answer end up raw in exports and on
terminals (ESC starts terminal escape sequences); invisible and bidirectional
formatting characters (U+200B, U+202E, ...) make two names look alike or a name read
backwards. Every text field is checked with :func:`bad_character`; names are
compared by :func:`name_key`.
"""

from __future__ import annotations

import unicodedata

#: Whitespace a multi-line field may hold.
LINE_BREAKS = frozenset("\n\r\t")
#: Invisible or direction-changing characters refused in names (all of Unicode category Cf
#: is refused in names; these are the ones also refused in any text).
BIDI_AND_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "") or {
        "\x00": "NUL", "\x07": "BEL", "\x1b": "ESC", "\x08": "BACKSPACE", "\x7f": "DEL",
    }.get(ch, "control character")  # fmt: skip
    return f"U+{ord(ch):04X} ({name})"


def bad_character(text: str, *, multiline: bool = False, name: bool = False) -> str | None:
    """A description of the first character ``text`` may not hold, or None when it is clean.

    Refused everywhere: control characters (category Cc, except tab and line breaks in a
    multi-line field) and bidirectional or invisible formatting characters. In a name
    (``name=True``) every format character (category Cf) is refused.
    """
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc" and not (multiline and ch in LINE_BREAKS):
            return _describe(ch)
        if ch in BIDI_AND_INVISIBLE or (name and cat == "Cf"):
            return _describe(ch)
        if cat in ("Zl", "Zp") and not multiline:
            return _describe(ch)
    return None


def name_key(name: str) -> str:
    """The form in which two names count as the same: NFKC, case-folded, spaces collapsed,
    invisible characters dropped (so ``Payroll``, ``ＰＡＹＲＯＬＬ`` and ``Pay\u200broll`` meet)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())
