"""Korean particles chosen from the word they follow: 은/는, 이/가, 을/를, 과/와, 으로/로 by its last syllable's 받침."""

from __future__ import annotations

import string
import unicodedata

__all__ = ["final", "particle", "attach", "Template", "fill", "PAIRS"]

# (after a 받침, after a vowel): the form a particle takes after each kind of syllable.
PAIRS = {
    "은/는": ("은", "는"), "이/가": ("이", "가"), "을/를": ("을", "를"), "과/와": ("과", "와"),
    "으로/로": ("으로", "로"), "이에요/예요": ("이에요", "예요"), "이라는/라는": ("이라는", "라는"),
    "이나/나": ("이나", "나"),
}
_PAIR_OF = {form: pair for pair in PAIRS for form in pair.split("/")}  # "는" -> "은/는"

# How a Latin letter, a digit or a Greek letter is read aloud in a Korean lecture: its last syllable
# decides the particle (b → 비 → "b로", L → 엘 → "L로", 7 → 칠 → "7은").
READINGS = {
    "a": "에이", "b": "비", "c": "씨", "d": "디", "e": "이", "f": "에프", "g": "지", "h": "에이치",
    "i": "아이", "j": "제이", "k": "케이", "l": "엘", "m": "엠", "n": "엔", "o": "오", "p": "피",
    "q": "큐", "r": "아르", "s": "에스", "t": "티", "u": "유", "v": "브이", "w": "더블유", "x": "엑스",
    "y": "와이", "z": "제트",
    "0": "영", "1": "일", "2": "이", "3": "삼", "4": "사", "5": "오", "6": "육", "7": "칠", "8": "팔",
    "9": "구",
    "α": "알파", "β": "베타", "γ": "감마", "δ": "델타", "ε": "엡실론", "η": "에타", "θ": "세타",
    "λ": "람다", "μ": "뮤", "π": "파이", "σ": "시그마", "φ": "파이", "ω": "오메가", "∞": "무한대",
    "²": "제곱", "³": "세제곱",
}
_JAMO = "ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"  # consonant letters: 기역, 니은 … all end in a 받침
_RIEUL = 8  # the index of ㄹ among the final consonants of a Hangul syllable


def _last_syllable(word):
    """The last syllable of `word` as it is read: a Hangul syllable (or consonant letter), or None.
    Subscripts, primes, hats, closing brackets, quotes and other marks are skipped."""
    for ch in reversed(str(word)):
        if "가" <= ch <= "힣" or ch in _JAMO:
            return ch
        if ch in READINGS:
            return READINGS[ch][-1]
        if unicodedata.decomposition(ch).startswith(("<sub>", "<super>")):
            continue  # x₂, Aᵀ: a subscript or superscript is not what the particle follows
        base = unicodedata.normalize("NFKD", ch)[:1].lower()  # Ｌ -> l, ŷ -> y, Σ -> σ
        if base in READINGS and (base.isalpha() or ch.isdigit()):
            return READINGS[base][-1]
        if unicodedata.category(ch)[0] in "LN":  # a letter or digit we cannot read: ask no further
            return None
    return None


def final(word):
    """The final consonant (받침) of the last syllable read in `word`: 0 for none, 8 for ㄹ, else
    its index 1..27 among the finals; None when nothing in `word` can be read."""
    syllable = _last_syllable(word)
    if syllable is None:
        return None
    if syllable in _JAMO:
        return _RIEUL if syllable == "ㄹ" else 1
    return (ord(syllable) - ord("가")) % 28


def particle(word, pair):
    """The form of `pair` ("은/는", or one form such as "을") that follows `word`:
    particle("a", "을/를") == "를", particle("7.0", "은/는") == "은" (칠 점 영),
    particle("L", "으로/로") == "로" (엘: ㄹ takes 로), particle("x₂", "이/가") == "가" (엑스)."""
    key = pair if pair in PAIRS else _PAIR_OF.get(pair)
    if key is None:
        raise ValueError(f"unknown particle {pair!r}: use one of {', '.join(PAIRS)}.")
    after_consonant, after_vowel = PAIRS[key]
    f = final(word)
    if not f or (f == _RIEUL and key == "으로/로"):
        return after_vowel  # nothing readable is treated like a vowel: 로, 는, 가 read naturally after a symbol
    return after_consonant


def attach(word, pair):
    """`word` followed by the particle it takes: attach("a", "을/를") == "a를"."""
    return f"{word}{particle(word, pair)}"


class _Formatter(string.Formatter):
    def format_field(self, value, spec):
        if spec in _PAIR_OF or spec in PAIRS:
            return attach(format(value, ""), spec)
        return super().format_field(value, spec)


_FORMATTER = _Formatter()


def fill(template, /, **values):
    """str.format, where a field may name a particle: fill("{node:을} 옮깁니다", node="b") == "b를 옮깁니다"."""
    return _FORMATTER.vformat(str(template), (), values)


class Template(str):
    """A sentence template whose .format() also resolves particle fields such as {node:을} or {x:으로}."""

    __slots__ = ()

    def format(self, *args, **kwargs):
        return _FORMATTER.vformat(str(self), args, kwargs)

    def format_map(self, mapping):
        return _FORMATTER.vformat(str(self), (), mapping)
