"""One vocabulary: every Korean string the package produces reads as written Korean (particles chosen,
no "(으)로" or "은(는)", no template field left), and each concept has one term in every table."""

from __future__ import annotations

import html
import re
import string

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop_viz import BackpropPlayer, GradientDescentView, GradientQuiz, Value, data, frames, nn, record  # noqa: E402
from backprop_viz.export import export_html  # noqa: E402
from backprop_viz.naive import cost_table  # noqa: E402
from backprop_viz.render.frames import status_text  # noqa: E402
from backprop_viz.text.korean import attach  # noqa: E402
from backprop_viz.text.words import (BRIDGE_NOTE, COST_TABLE, LANGS, PAGE, PICTURE, PLOTS, SENTENCES,  # noqa: E402
                                     STEP_COUNTS, TERMS, WORDS, phase_key)
from backprop_viz.widgets.quiz import example_graph  # noqa: E402
from render_graphs import micrograd_first_example, random_graph, two_products, weighted_sum_trace  # noqa: E402

HANGUL = re.compile("[\uac00-\ud7a3]")
# A particle written for both kinds of word: machine text, never what a Korean writer types.
PLACEHOLDERS = ("(으)", "은(는)", "는(은)", "이(가)", "가(이)", "을(를)", "를(을)", "과(와)", "와(과)", "(이)")
FIELD = re.compile(r"\{[A-Za-z_]\w*(?:![rsa])?(?::[^{}]*)?\}")  # {node}, {node:을}, {n:,}
# Words rejected for a concept that has its own term in text.words.TERMS.
REJECTED = {"패스": "pass", "반복 회차": "pass", "업데이트": "update", "스텝": "step", "파라미터": "parameter",
            "그래디언트": "gradient", "그라디언트": "gradient", "경사도": "gradient", "러닝 레이트": "lr",
            "로스": "loss", "정방향": "forward", "역방향": "backward"}
SAMPLES = ("a", "L", "b", "w1", "x₂", "h0", "7.0", "−0.5", "1e-3", "∂L/∂a", "손실", "가중치", "편향", "3")


def problems(text):
    """What is wrong with one produced Korean text: particle placeholders and raw template fields."""
    found = [p for p in PLACEHOLDERS if p in text]
    return found + FIELD.findall(text)


def strings(table):
    """Every string of a word table (nested dicts and tuples)."""
    if isinstance(table, dict):
        for v in table.values():
            yield from strings(v)
    elif isinstance(table, tuple):
        for v in table:
            yield from strings(v)
    elif isinstance(table, str):
        yield table


def korean_tables():
    return {"widgets": WORDS["ko"], "picture": PICTURE["ko"], "captions": SENTENCES["ko"], "page": PAGE["ko"],
            "plots": PLOTS["ko"], "cost table": COST_TABLE["ko"], "step counts": STEP_COUNTS["ko"],
            "micrograd note": BRIDGE_NOTE["ko"]}


def filled(template, sample):
    """The template with every field given `sample`."""
    fields = {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(template) if f}
    return template.format(**{f: sample for f in fields})


def visible(markup):
    """The texts of HTML or SVG markup a reader sees: no tags, styles or scripts, entities decoded."""
    markup = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def prose(caption):
    """A LaTeX caption without its $…$ formula (braces there are LaTeX, not template fields)."""
    return re.sub(r"(?<!\\)\$.*?(?<!\\)\$", " ", caption, flags=re.S)


# ---- graphs whose captions cover every kind of step and of name ----
def chain_rule():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        e = a * b
        e.label = "e"
        L = e + a  # a fans out
        L.label = "L"
        L.backward()
    return trace


def labels_and_passes():
    """Labels of every kind (Latin, digits, subscripts, Hangul), unlabelled nodes, constants, and three
    passes: update + zero_grad of one parameter, a gradient carried over, a seed given to backward()."""
    w1, b = Value(0.5, "w1", role="parameter"), Value(-1.0, "b", role="parameter")
    x2, h0, k = Value(2.0, "x₂"), Value(3.0, "h0"), Value(1.5, "편향")
    with record() as trace:
        for _ in range(2):
            z = w1 * x2 + b  # unlabelled: v-names
            h = (z * h0).tanh()
            h.label = "가중치"
            L = (h - 7.0) ** 2 + z * 0.5 + k * b
            L.label = "L"
            L.backward()
            w1.data = w1.data - 0.1 * w1.grad
            b.data = b.data - 0.1 * b.grad
            w1.grad = 0.0  # b keeps its gradient: the next pass piles up on it
        L.backward(2.0)
    return trace


def arrays():
    W, X = Value(np.arange(6.0).reshape(2, 3), "W", role="parameter"), Value(np.ones((4, 2)), "X")
    with record() as trace:
        H = X @ W
        H.label = "H"
        S = H.mean()
        S.label = "S"
        T = H.sum(axis=0).sum()
        U = H.T.reshape(12).mean()
        Z = S + T + U
        Z.label = "Z"
        Z.backward()
        W.data = W.data - 0.1 * W.grad
    return trace


def graphs():
    from backprop_viz import trace_of

    return ([chain_rule(), labels_and_passes(), arrays(), micrograd_first_example(), two_products(),
             weighted_sum_trace(3), trace_of(random_graph(40, seed=3))]
            + [trace_of(example_graph(seed)) for seed in range(6)])


@pytest.fixture(scope="module")
def traces():
    return graphs()


def caption_texts(trace):
    for k in range(len(trace) + 1):
        s = trace.snapshot(k)
        yield k, s.caption("ko")
        yield k, prose(s.caption("ko", "latex"))


# ---- the scans ----
def test_every_caption_of_every_step_reads_as_korean(traces):
    kinds = set()
    for trace in traces:
        for k, text in caption_texts(trace):
            assert HANGUL.search(text), text
            assert not problems(text), (problems(text), text)
            if k:
                kinds.add(phase_key(trace.snapshot(k)))
    assert kinds == {"forward", "backward", "update", "zero_grad"}


def test_particles_in_captions_follow_the_names_they_come_after():
    said = " ".join(text for _, text in caption_texts(labels_and_passes()))
    # unlabelled values are named v1, v2, … in the order each pass computes them (text.names)
    for phrase in ("w1, x₂로 v1을 계산합니다", "v2, h0으로 v3을 계산합니다", "v3으로 가중치를 계산합니다",
                   "가중치, 7로 v4를", "v7, v8로 L을 계산합니다", "v7에서 v6으로 흐릅니다",
                   "v7로 흐릅니다", "v4에서 가중치로 흐릅니다", "b로 흐릅니다", "w1로 흐릅니다", "v2는 여러 번",
                   "−20.75가 남아", "−1이 남아", "경사 하강법이 w1을", "경사 하강법이 b를",
                   "w1의 기울기를 0으로", "b에는 이전 역전파의 기울기"):
        assert phrase in said, phrase


def test_every_template_of_every_table_fills_without_placeholders():
    for name, table in korean_tables().items():
        templates = list(strings(table))
        assert templates, name
        for template in templates:
            assert not [p for p in PLACEHOLDERS if p in template], (name, template)
            for sample in SAMPLES:
                text = filled(template, sample)
                assert not problems(text), (name, template, text)
                for spec in re.findall(r"\{\w+:(\w+)\}", template):
                    assert attach(sample, spec) in text, (template, sample)


@pytest.mark.dot
def test_the_player_and_its_pictures_in_korean(traces):
    for trace in traces[:3]:
        player = BackpropPlayer(trace, lang="ko")
        seen = [option for option, _ in player.pass_select.options]
        for k in range(len(trace) + 1):
            player.goto(k)
            seen += [visible(player.status.value), prose(visible(player.caption.value)), visible(player.table.value),
                     visible(player.frame.value), player.status_text(player.trace.snapshot(k))]
        seen.append(visible(player.static_html()))
        for text in seen:
            assert not problems(text), (problems(text), text)
    focus = visible(frames(two_products(), lang="ko", focus="a")[0])
    assert "a에서 L까지 가는 경로만" in focus and not problems(focus)
    absent = visible(frames(two_products(), lang="ko", focus="c")[0])
    assert not problems(absent)


@pytest.mark.dot
def test_the_quiz_in_korean():
    for seed in range(4):
        for kind in ("total", "local"):
            q = GradientQuiz(seed=seed, kind=kind, lang="ko")
            said = [q.question.value]
            for answer in ("", "모름", str(-q.answer) if q.answer else "123", "123", str(q.answer)):
                q.check(answer)
                said.append(q.feedback.value)
            q.hint()
            q.show()
            said += [q.hint_text.value, q.feedback.value, q.score.value]
            for text in map(visible, said):
                assert HANGUL.search(text) and not problems(text), text
            assert "relu(a)/∂a = 1 if" not in " ".join(said)


@pytest.mark.dot
def test_the_descent_view_in_korean():
    X, y = data.line(n=10)
    v = GradientDescentView(nn.LinearRegression(), X, y, lang="ko")
    v.step()
    said = [v.status.value, v.graph_title.value, v.params_table.value]
    v.lr_slider.value = 5.0
    v.run(50)
    said.append(v.message.value)
    for text in map(visible, said):
        assert not problems(text), text
    assert "학습률" in visible(v.message.value)


@pytest.mark.dot
def test_the_exported_page_in_korean(tmp_path):
    page = export_html(labels_and_passes(), tmp_path / "p.html", lang="ko").read_text(encoding="utf-8")
    text = visible(page)
    assert HANGUL.search(text) and not problems(text)
    assert not [p for p in PLACEHOLDERS if p in page]  # the captions and words inside the page's data too


def test_the_cost_table_in_korean():
    table = cost_table(widths=(2,), depths=(1,), lang="ko")
    for text in (str(table), visible(table._repr_html_())):
        assert HANGUL.search(text) and not problems(text)
    assert "매개변수" in str(table)


# ---- one term per concept ----
def test_rejected_synonyms_appear_nowhere(traces):
    texts = [t for table in korean_tables().values() for t in strings(table)]
    texts += [text for trace in traces[:3] for _, text in caption_texts(trace)]
    for text in texts:
        for word, concept in REJECTED.items():
            assert word not in text, f"{word!r} in {text!r}: the term for {concept} is {TERMS['ko'][concept]!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_pass_update_and_step_have_one_term_in_every_table(lang):
    t = TERMS[lang]
    for key in ("forward", "backward", "update", "zero_grad"):
        assert WORDS[lang][key] == PICTURE[lang][key] == PAGE[lang]["phase"][key] == t[key]
    assert WORDS[lang]["pass"] == PAGE[lang]["pass"] == t["pass"]
    assert WORDS[lang]["step"] == PAGE[lang]["step"].lower() == t["step"]
    for template in (PICTURE[lang]["pass"], WORDS[lang]["pass_option"], WORDS[lang]["status"],
                     WORDS[lang]["prev_pass"], WORDS[lang]["next_pass"]):
        assert t["pass"] in template, template
    for template in (PICTURE[lang]["step"], WORDS[lang]["status_one"], PLOTS[lang]["step"], WORDS[lang]["gd_loss_at"]):
        assert t["step"] in template, template
    assert t["parameter"] in WORDS[lang]["kind_parameter"] and t["parameter"] in PICTURE[lang]["parameter"]
    assert t["parameter"] in COST_TABLE[lang][0][2] and t["lr"] in WORDS[lang]["gd_lr"]
    assert t["gradient"] in PICTURE[lang]["grad" if lang == "ko" else "legend_pos"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_zero_grad_step_is_not_called_an_update(lang):
    trace = labels_and_passes()
    update = TERMS[lang]["update"]
    assert update.lower() not in TERMS[lang]["zero_grad"].lower()
    resets = [k for k in range(1, len(trace) + 1) if trace.events[k - 1].kind == "grad"]
    assert resets
    for k in resets:
        s = trace.snapshot(k)
        assert s.phase == "update" and phase_key(s) == "zero_grad"
        assert update.lower() not in s.caption(lang).lower()
        assert status_text(s, lang).startswith(TERMS[lang]["zero_grad"])  # the picture's top line
