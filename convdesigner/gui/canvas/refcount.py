"""A guard against a reference-counting bug of PySide6 6.12's stable-ABI wheels on CPython before 3.12.

There, every Qt method that returns nothing hands back ``None`` without taking a reference (harmless from
3.12 on, where ``None`` is immortal), so each call lowers ``None``'s reference count by one. A canvas
frame makes a few hundred such calls; after a few thousand the count reaches zero and the interpreter
aborts with "Fatal Python error: none_dealloc". Measured here: ``QPainter.setPen``, ``setFont``,
``fillRect``, ``drawRect``, ``save``/``restore`` each lose exactly one reference per call.

`protect_none` makes ``None`` as good as immortal on the affected interpreters by adding a large
number to its count once (CPython's object header starts with the count). On 3.12 and later it does
nothing. Calling it more than once is harmless.
"""

from __future__ import annotations

import ctypes
import sys

#: Added once: far more void calls than any session makes (2**40 is about 10**12).
MARGIN = 1 << 40


def protect_none() -> bool:
    """Top up None's reference count on CPython < 3.12; True when it did."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    count = ctypes.c_ssize_t.from_address(id(None))
    if count.value < MARGIN // 2:
        count.value += MARGIN
    return True
