"""Korean particles: chosen from the 받침 of the last syllable read, for Hangul, Latin labels, digits and numbers."""

from __future__ import annotations

import pytest

from backprop_viz.text.korean import PAIRS, Template, attach, fill, final, particle


@pytest.mark.parametrize("word, topic, subject, obj, direction, _with", [
    ("값", "은", "이", "을", "으로", "과"),        # ㅄ 받침
    ("기울기", "는", "가", "를", "로", "와"),      # no 받침
    ("손실", "은", "이", "을", "로", "과"),        # ㄹ 받침: 로, not 으로
    ("편향", "은", "이", "을", "으로", "과"),      # ㅇ 받침
    ("가중치", "는", "가", "를", "로", "와"),
    ("출발", "은", "이", "을", "로", "과"),
])
def test_hangul_by_its_last_syllable(word, topic, subject, obj, direction, _with):
    assert [particle(word, p) for p in ("은/는", "이/가", "을/를", "으로/로", "과/와")] == \
        [topic, subject, obj, direction, _with]


@pytest.mark.parametrize("word, has_final, rieul", [
    ("a", False, False), ("b", False, False), ("c", False, False), ("d", False, False), ("e", False, False),
    ("f", False, False), ("g", False, False), ("h", False, False), ("i", False, False), ("j", False, False),
    ("k", False, False), ("l", True, True), ("m", True, False), ("n", True, False), ("o", False, False),
    ("p", False, False), ("q", False, False), ("r", False, False), ("s", False, False), ("t", False, False),
    ("u", False, False), ("v", False, False), ("w", False, False), ("x", False, False), ("y", False, False),
    ("z", False, False),
])
def test_latin_letters_by_their_korean_reading(word, has_final, rieul):
    for w in (word, word.upper()):
        assert bool(final(w)) == has_final and (final(w) == 8) == rieul, w
        assert particle(w, "을/를") == ("을" if has_final else "를")
        assert particle(w, "으로/로") == ("으로" if has_final and not rieul else "로")


@pytest.mark.parametrize("digit, reading", list(zip("0123456789", ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"])))
def test_digits_by_their_reading(digit, reading):
    assert final(digit) == final(reading)
    assert attach(digit, "은/는") == digit + particle(reading, "은/는")
    assert attach(digit, "으로/로") == digit + particle(reading, "으로/로")


def test_the_issues_examples():
    assert attach("L", "으로/로") == "L로"  # 엘: ㄹ takes 로
    assert attach("b", "으로/로") == "b로"  # 비
    assert attach("7", "은/는") == "7은"  # 칠
    assert attach("a", "을/를") == "a를"  # 에이


@pytest.mark.parametrize("number, topic, direction", [
    ("7.0", "은", "으로"),   # 칠 점 영: 영 has a 받침
    ("-0.5", "는", "로"),    # 오
    ("−0.5", "는", "로"),    # with a real minus sign
    ("1e-3", "은", "으로"),  # the last digit read: 삼
    ("12", "는", "로"),      # 십이
    ("10", "은", "으로"),    # 십 (영 too: both have a 받침)
    ("0.25", "는", "로"),    # 오
    ("3.1", "은", "로"),     # 일: ㄹ
    ("nan", "은", "으로"),   # 엔
    ("(−3.0)", "은", "으로"),  # a closing bracket is skipped
])
def test_numbers_by_their_last_digit_read(number, topic, direction):
    assert particle(number, "은/는") == topic and particle(number, "으로/로") == direction


@pytest.mark.parametrize("name, obj", [
    ("w1", "을"),        # 더블유 일
    ("x₂", "를"),        # a subscript is skipped: 엑스
    ("h0", "을"),        # 에이치 영
    ("θ₁", "를"),        # 세타
    ("ŷ", "를"),         # a hat is skipped: 와이
    ("x'", "를"),        # a prime is skipped
    ("Aᵀ", "를"),        # a superscript letter is skipped
    ("∂L/∂a", "를"),     # the last readable letter: a
    ("∂L/∂w1", "을"),
    ("L(θ)", "를"),      # inside brackets: 세타
    ("“모름”", "을"),    # a closing quote is skipped
    ("손실 L", "을"),
    ("v12", "를"),       # 십이
    ("Σ", "를"),         # 시그마
])
def test_names_with_subscripts_primes_and_brackets(name, obj):
    assert particle(name, "을/를") == obj, name


def test_nothing_readable_takes_the_form_after_a_vowel():
    assert particle("", "이/가") == "가" and particle("…", "은/는") == "는"


def test_one_form_names_its_pair_and_unknown_pairs_fail():
    for pair, forms in PAIRS.items():
        for form in forms:
            assert particle("값", form) == forms[0] and particle("a", form) == forms[1]
        assert particle("값", pair) == forms[0]
    with pytest.raises(ValueError, match="unknown particle"):
        particle("a", "의")


def test_templates_resolve_particle_fields_from_their_values():
    t = Template("{node:이} {before}에서 {after:으로} 바뀝니다. {n:,}개")
    assert t.format(node="b", before="1.0", after="7.0", n=12345) == "b가 1.0에서 7.0으로 바뀝니다. 12,345개"
    assert t.format(node="손실", before="1.0", after="−0.5", n=3) == "손실이 1.0에서 −0.5로 바뀝니다. 3개"
    assert t.format_map({"node": "w1", "before": 1, "after": 3.1, "n": 1}) == "w1이 1에서 3.1로 바뀝니다. 1개"
    assert fill("{x:은/는} {y:을}", x="L", y=2) == "L은 2를"
    assert isinstance(t, str) and str(t) == "{node:이} {before}에서 {after:으로} 바뀝니다. {n:,}개"
