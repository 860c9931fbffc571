"""A small Python syntax highlighter for the export preview: keywords, strings, comments, numbers, names
after def/class and decorators, in colours that read on light and dark palettes."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from .theme import is_dark


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        dark = is_dark()
        colours = {
            "keyword": "#ff7b72" if dark else "#cf222e",
            "string": "#a5d6ff" if dark else "#0a3069",
            "comment": "#8b949e" if dark else "#6e7781",
            "number": "#79c0ff" if dark else "#0550ae",
            "definition": "#d2a8ff" if dark else "#8250df",
            "builtin": "#ffa657" if dark else "#953800",
        }
        words = "|".join(sorted(keyword.kwlist, key=len, reverse=True))
        self._rules = [
            (re.compile(rf"\b(?:{words})\b"), _format(colours["keyword"], bold=True)),
            (re.compile(r"\b(?:self|super|print|len|tuple|int|float|sum|isinstance)\b"), _format(colours["builtin"])),
            (re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b"), _format(colours["number"])),
            (re.compile(r"(?<=\bdef\s)\w+|(?<=\bclass\s)\w+"), _format(colours["definition"], bold=True)),
            (re.compile(r"^\s*@\w+(?:\.\w+)*", re.MULTILINE), _format(colours["definition"])),
        ]
        self._string = re.compile(r"'''|\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
        self._string_format = _format(colours["string"])
        self._comment_format = _format(colours["comment"], italic=True)

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
        # strings and comments last, so they win over keywords inside them; a # inside a string is no comment
        previous = self.previousBlockState() == 1
        position = 0
        if previous:
            end = min((i for i in (text.find("'''"), text.find('"""')) if i >= 0), default=-1)
            if end < 0:
                self.setFormat(0, len(text), self._string_format)
                self.setCurrentBlockState(1)
                return
            self.setFormat(0, end + 3, self._string_format)
            position = end + 3
        self.setCurrentBlockState(0)
        while position < len(text):
            hash_at = text.find("#", position)
            match = self._string.search(text, position)
            if hash_at >= 0 and (match is None or hash_at < match.start()):
                self.setFormat(hash_at, len(text) - hash_at, self._comment_format)
                return
            if match is None:
                return
            if match.group() in ("'''", '"""'):
                close = text.find(match.group(), match.end())
                if close < 0:
                    self.setFormat(match.start(), len(text) - match.start(), self._string_format)
                    self.setCurrentBlockState(1)
                    return
                self.setFormat(match.start(), close + 3 - match.start(), self._string_format)
                position = close + 3
            else:
                self.setFormat(match.start(), match.end() - match.start(), self._string_format)
                position = match.end()
