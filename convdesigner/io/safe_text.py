"""User text made safe to show on one line: in a terminal, a table cell, a comment of generated code.

Names and descriptions may hold anything (YAML escapes line breaks, escape sequences and bidirectional
overrides), so wherever they are shown as text every character a terminal or an editor would act on rather
than show is escaped as in a Python string, and long text is shortened in the middle to a fixed width: no
output repeats user text without bound (issue 17).
"""

from __future__ import annotations

#: Names in tables and messages are shortened to this many characters.
NAME_WIDTH = 48
#: One message (a diagnostic, a file:line:column problem) is shortened to this many characters.
MESSAGE_WIDTH = 1000
ELLIPSIS = "..."


def _escaped(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every non-printable character (controls, line breaks, format characters such as
    bidirectional overrides, separators) escaped, and, with ``limit``, at most that many characters: the
    start and the end around '...' (an escape is never cut in half)."""
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text
    if limit is None:
        return "".join(map(_escaped, text))
    if len(text) > 2 * limit:  # the middle would be cut anyway: never escape more than can be shown
        text = text[:limit] + text[-limit:]
    pieces = [_escaped(char) for char in text]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    budget = max(0, limit - len(ELLIPSIS))
    head = _fitting(pieces, (budget + 1) // 2)
    tail = _fitting(pieces[::-1], budget // 2)
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


def _fitting(pieces: list[str], width: int) -> list[str]:
    """The leading pieces whose lengths add up to at most ``width``."""
    taken, used = [], 0
    for piece in pieces:
        if used + len(piece) > width:
            break
        taken.append(piece)
        used += len(piece)
    return taken
