"""Reading the number a student typed into an answer box (the quiz, the player's predict mode)."""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["parse_number"]


def parse_number(text):
    """The number a student typed: '-3', '−3', ' 0.5 ', '1/4', '2e-3'; None if it is not one
    (or is too large for a float, such as '1e999' or '9…9/1')."""
    return _read_number(text)[0]


def _read_number(text):
    """(number, None), or (None, why): 'q_empty', 'q_not_number' or 'q_too_big'."""
    t = str(text).strip().replace("−", "-").replace("–", "-").replace(" ", "")
    if not t:
        return None, "q_empty"
    try:
        x = float(t)
    except ValueError:
        try:
            x = float(Fraction(t))  # '1/4', '-3/2'
        except OverflowError:  # a fraction beyond the floats, '9…9/1'
            return None, "q_too_big"
        except (ValueError, ZeroDivisionError):  # also a text of more digits than int() reads
            return None, "q_not_number"
    if math.isnan(x):
        return None, "q_not_number"
    return (x, None) if math.isfinite(x) else (None, "q_too_big")
