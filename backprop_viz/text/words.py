"""The one vocabulary: every word and sentence template a student reads, in English and Korean.

One term per concept and language (TERMS), used by every table below: the player and the other
widgets (WORDS), the picture (PICTURE), captions (SENTENCES), the exported page (PAGE), the plots
(PLOTS) and the cost table of naive differentiation (COST_TABLE). A Korean particle after a field
is written in the field, {node:을}, and chosen from the value when the template is formatted
(text.korean): "b를", "L을", "7.0을" — never "을(를)".
"""

from __future__ import annotations

from backprop_viz.text.korean import Template

__all__ = ["LANGS", "TERMS", "WORDS", "PICTURE", "SENTENCES", "PAGE", "PLOTS", "COST_TABLE", "STEP_COUNTS",
           "BRIDGE_NOTE", "check_lang",
           "words", "phase_key"]

LANGS = ("en", "ko")

# One term per concept. Everything below spells these concepts with exactly these words.
TERMS = {
    "en": {"step": "step", "pass": "pass", "forward": "forward", "backward": "backward", "update": "update",
           "zero_grad": "reset gradients", "gradient": "gradient", "local": "local derivative",
           "parameter": "parameter", "lr": "learning rate", "loss": "loss", "input": "input",
           "constant": "constant", "node": "node", "edge": "edge", "chain_rule": "chain rule",
           "descent": "gradient descent"},
    "ko": {"step": "단계", "pass": "회차", "forward": "순전파", "backward": "역전파", "update": "갱신",
           "zero_grad": "기울기 초기화", "gradient": "기울기", "local": "국소 미분",
           "parameter": "매개변수", "lr": "학습률", "loss": "손실", "input": "입력",
           "constant": "상수", "node": "노드", "edge": "간선", "chain_rule": "연쇄 법칙",
           "descent": "경사 하강법"},
}


def _phases(lang):
    """The words of the four kinds of step: forward, backward, update and the zero_grad step."""
    t = TERMS[lang]
    return {"forward": t["forward"], "backward": t["backward"], "update": t["update"], "zero_grad": t["zero_grad"]}


# ---- the widgets: player, gradient-descent view, quiz ----
WORDS = {
    "en": {
        # player
        "first": "first", "first_tip": "Go to the start (nothing computed yet)",
        # edit mode of the player (widgets.player, editable=True) and the descent view's starting point
        "ed_title": "Change a value and watch: every value and gradient is computed again on the same picture.",
        "ed_box_tip": "Type a new value for {name}; the whole graph is computed again with it",
        "ed_slider_tip": "Drag to change {name}; every value and gradient follows",
        "ed_array_tip": "The {n} numbers of {name} (shape {shape}), row by row, separated by commas",
        "ed_changed": "{name} is now {value}: every value and gradient is computed again, on the same picture "
                      "and at the same step.",
        "ed_bad_array": "{name} has shape {shape}: type its {n} numbers, row by row, separated by commas "
                        "(you typed {got}).",
        "ed_not_number": "“{text}” is not a list of numbers. Type numbers such as 0.5, -1, 2 separated by commas.",
        "ed_training": "The values of this recording cannot be changed here: it has training steps, and how each "
                       "step changed the parameters (the learning rate, the optimiser) is not recorded. Record one "
                       "forward and backward pass to edit its values.",
        "ed_none": "This recording has no inputs or parameters to change.",
        "ed_failed": "The graph cannot be computed again with this value: {reason}",
        "gd_start": "start", "gd_start_tip": "The starting point θ₀ for {name}: changing it goes back to step 0 "
                                             "and descends from there",
        "gd_start_note": "Type the starting point θ₀ (or move its sliders) and gradient descent starts again from there.",
        "back": "back", "back_tip": "One step back",
        "next": "next", "next_tip": "One step forward",
        "last": "last", "last_tip": "Go to the last step",
        "play": "play", "play_tip": "Play the steps one after another (pause with the same button)",
        "speed": "speed", "speed_tip": "Steps per second while playing",
        "step": "step", "step_tip": "Drag to any step of the recording",
        "pass": "pass", "pass_tip": "Jump to a pass (one forward + backward, or one training step)",
        "prev_pass": "previous pass", "prev_pass_tip": "Start of the previous pass",
        "next_pass": "next pass", "next_pass_tip": "Start of the next pass",
        "zoom_in": "bigger", "zoom_out": "smaller",
        "scroll_hint": "The picture is bigger than its box: scroll it to see the rest.",
        "zoom_in_tip": "Bigger picture (for the back row); a big picture scrolls",
        "zoom_out_tip": "Smaller picture (never smaller than its text can be read)",
        "pass_option": "pass {p} of {n}",
        "pass_none": "nothing recorded yet",
        "no_passes": "This recording is empty: it has no passes (only step 0, before anything is computed), "
                     "so there is no pass {p} to go to.",
        **_phases("en"),
        "status": "pass {p} of {n} · step {k} of {total}",
        "status_one": "step {k} of {total}",
        "col_node": "node", "col_op": "made by", "col_value": "value", "col_grad": "gradient",
        "kind_input": "input", "kind_parameter": "parameter", "kind_constant": "constant",
        "unknown": "not yet", "no_grad": "a constant: no gradient is computed for it",
        "more_rows": "{n} more rows not shown (the table shows the rows around the active node).",
        "static_note": "Recorded steps: {n}. This is the last one; run the notebook to step through them.",
        # gradient descent
        "gd_step": "step", "gd_step_tip": "One gradient-descent step: θ ← θ − lr · ∂L/∂θ",
        "gd_run": "run", "gd_run_tip": "Run the number of steps chosen on the right",
        "gd_steps": "steps", "gd_steps_tip": "How many steps 'run' takes",
        "gd_stop": "stop", "gd_stop_tip": "Stop a run",
        "gd_reset": "reset", "gd_reset_tip": "Back to the starting parameters θ₀",
        "gd_lr": "learning rate", "gd_lr_tip": "The step size lr (log scale)",
        "gd_progress": "progress",
        "gd_log": "log scale", "gd_log_tip": "Show the loss on a logarithmic scale",
        "gd_params": "parameters", "gd_more_params": "… and {n} more parameters", "gd_loss_at": "step {t}: loss L(θ{sub}) = {loss}",
        "gd_diverged": "The loss became {loss} at step {t}: the learning rate {lr} is too large and "
                       "gradient descent diverges. Press reset and choose a smaller learning rate "
                       "(for example {smaller}).",
        "gd_exploded": "The loss grew from {first} to {loss} by step {t}: the learning rate {lr} is "
                       "too large and gradient descent diverges. Press reset and choose a smaller "
                       "learning rate (for example {smaller}).",
        "gd_stopped": "Stopped after {t} steps.",
        "gd_done": "Ran {n} steps.",
        "gd_graph": "The graph of step {t} for sample {i} (x = {x}, y = {y})",
        "gd_nan_jump": "The loss became {loss} at step {t}, right after {before} at step {prev}: it was not "
                       "growing, so the learning rate is not the cause. A step of the model or the loss gave a "
                       "number that is not finite (a log of 0, a division by 0, an overflowing exp). Press "
                       "reset and look at the model and the loss.",
        "gd_not_finite_start": "The loss is {loss} before any step: the model or the loss gives a number that is "
                               "not finite at the starting parameters, so there is nothing to descend.",
        "gd_data_empty": "{name} has no rows: gradient descent needs at least one sample (x, y).",
        "gd_data_not_finite": "{name}[{row}] holds {value}: gradient descent needs finite numbers in every row. "
                              "Fix or drop that row first, e.g. keep = np.isfinite(X).all(axis=1) & "
                              "np.isfinite(y); X, y = X[keep], y[keep].",
        "gd_no_graph": "The graph of a step is not shown: drawing it needs Graphviz, which is not installed "
                       "here (`pip install pygraphviz`, or the system package `graphviz`; then restart the "
                       "kernel). Everything else above works without it.",
        # quiz
        "q_total": "What is {d}, the gradient of the loss {root} with respect to {node}?",
        "q_local": "What is the local derivative {d} along the edge {node} → {child}?",
        "q_answer": "answer", "q_answer_tip": "Type a number, e.g. -3, 0.5 or 1/4",
        "q_check": "check", "q_check_tip": "Check your answer",
        "q_hint": "hint", "q_hint_tip": "Show the local derivative and the upstream gradient",
        "q_show": "show me", "q_show_tip": "Show the answer on the graph",
        "q_new": "new question", "q_new_tip": "Another node of the graph",
        "q_empty": "Type your answer first (a number such as -3 or 0.5).",
        "q_not_number": "“{text}” is not a number. Type a number such as -3, 0.5 or 1/4.",
        "q_too_big": "“{text}” is too large to be a gradient here (beyond about 10³⁰⁸). Type an ordinary "
                     "number such as -3, 0.5 or 1/4.",
        "q_right": "Correct! {d} = {answer}.",
        "q_wrong": "Not quite: {given} is not {d}. Try again, or ask for a hint.",
        "q_sign": "Not quite: {given} has the wrong sign. Check the signs of the factors.",
        "q_hint_total": "{node} feeds {n} node(s). For each: gradient from above × local derivative, "
                        "then add them up:",
        "q_hint_edge": "{up} = {upv} (upstream) and {rule} (local)",
        "q_hint_local": "Only the operation that made {child} matters: {rule}. The values: {values}.",
        "q_rule": "{definition}, so {derivative}",
        "q_shown": "The answer: {d} = {answer} (highlighted on the graph).",
        "q_score": "{right} of {asked} right",
        # sandbox (widgets.sandbox) and the sentences of expression() errors
        "sb_expression": "expression", "sb_values": "values",
        "sb_expression_tip": "Type an expression of your own variables, e.g. tanh(x*w + b); Enter draws it",
        "sb_value_tip": "The value of {name}; Enter redraws the graph",
        "ex_allowed": "Allowed: numbers, names with a value, + − * /, ** with a number as exponent, "
                      "brackets, and exp, log, tanh, sigmoid, relu.",
        "ex_empty": "The expression is empty: type one, for example tanh(x*w + b).",
        "ex_too_long": "The expression is too long ({n} characters): at most {limit} are allowed.",
        "ex_too_deep": "The expression is nested too deeply (more than {limit} levels): write a shorter one.",
        "ex_syntax": "This is not a complete expression: check the brackets and operators near character {col}.",
        "ex_brackets": "The brackets do not match: {opened} opening ( and {closed} closing ).",
        "ex_times": "Write * between a number and a name: 2*x, not 2x.",
        "ex_name": "{name} has no value: give it one, for example {name}=1.0.",
        "ex_bad_value": "The value of {name} must be a number, not {given}.",
        "ex_no_variable": "The expression has no variable: use at least one name, such as x.",
        "ex_private": "Names that start with _ (such as {name}) are not allowed.",
        "ex_function_name": "{name} is a function: use it on a value, as in {name}(x).",
        "ex_call": "{name}(…) is not a function you can use here.",
        "ex_call_form": "Only exp, log, tanh, sigmoid and relu can be called, by their names.",
        "ex_arguments": "{name} takes exactly one value, as in {name}(x).",
        "ex_attribute": "Attributes such as .{attr} are not allowed.",
        "ex_subscript": "Indexing with [ ] is not allowed.",
        "ex_lambda": "lambda is not allowed.",
        "ex_comprehension": "Comprehensions (… for … in …) are not allowed.",
        "ex_collection": "Lists, tuples, sets and dictionaries are not allowed (is there a comma too many?).",
        "ex_text": "Text in quotes is not allowed.",
        "ex_constant": "{text} is not a number you can use here.",
        "ex_operator": "The operator {op} is not allowed.",
        "ex_construct": "This kind of Python ({kind}) is not allowed.",
        "ex_variable_exponent": "The exponent of ** must be a number, not {exponent}: for a variable exponent "
                                "write exp({exponent} * log({base})).",
        "ex_big_exponent": "The exponent {exponent} is too large: an exponent may be at most {limit} in size.",
        "ex_not_finite": "{part} does not give a finite number.",
        # predict mode of the player (widgets.player): the student gives a step's number before it is shown
        "pr_answer": "prediction", "pr_answer_tip": "Type the number this step will produce (e.g. -3, 0.5, 1/4); "
                                                  "Enter checks it",
        "pr_check": "check", "pr_check_tip": "Check the number: right shows the step and moves on",
        "pr_reveal": "reveal", "pr_reveal_tip": "Show this step without a prediction (it is not scored)",
        "pr_backward": "What does {child} send back to {parent}? {formula} = ?",
        "pr_seed": "Backward starts at the loss {root}. What is {formula}?",
        "pr_forward": "What value does {out} take? {formula} = ?",
        "pr_right": "Right! {formula} = {answer}.",
        "pr_not": "Not quite: {given} is not it.", "pr_not_page": "Not quite.",
        "pr_wrong_backward": "Multiply the upstream gradient {up} by the local derivative {local}. Try again.",
        "pr_wrong_seed": "How much does {root} change when {root} changes by a little? Try again.",
        "pr_wrong_forward": "Compute {definition} with the values of the inputs. Try again.",
        "pr_sign": "Not quite: {given} has the wrong sign. Check the signs of the factors.",
        "pr_sign_page": "Not quite: the sign is wrong. Check the signs of the factors.",
        "pr_not_number_page": "That is not a number. Type a number such as -3, 0.5 or 1/4.",
        "pr_empty_page": "Type your prediction first (a number such as -3 or 0.5).",
        "pr_hint_backward": "Hint: {rule}; multiply the upstream gradient {up} = {upv} by it.",
        "pr_hint_seed": "Hint: anything changes exactly as much as itself, so the rate is the same number "
                        "for every loss.",
        "pr_hint_forward": "Hint: {definition} with {values}.",
        "pr_revealed": "Shown without a prediction: {formula} = {answer}.",
        "pr_blocked": "Predict this step first (or press reveal to see it without scoring).",
        "pr_score": "{right} of {asked} predicted",
        "pr_done": "Every step to predict is shown.",
        "pr_nothing": "Nothing to predict here: step forward to the next step that is not shown yet.",
    },
    "ko": {
        "first": "처음", "first_tip": "처음으로 (아직 아무것도 계산하지 않은 상태)",
        # edit mode of the player (widgets.player, editable=True) and the descent view's starting point
        "ed_title": "값을 바꾸고 지켜보십시오. 같은 그림에서 모든 값과 기울기를 다시 계산합니다.",
        "ed_box_tip": "{name}의 새 값을 입력하십시오. 그 값으로 그래프 전체를 다시 계산합니다",
        "ed_slider_tip": "끌어서 {name:을} 바꾸십시오. 모든 값과 기울기가 따라 바뀝니다",
        "ed_array_tip": "{name}(모양 {shape})의 숫자 {n}개를 행 순서대로 쉼표로 구분해 입력하십시오",
        "ed_changed": "{name:은} 이제 {value}입니다. 같은 그림, 같은 단계에서 모든 값과 기울기를 다시 계산했습니다.",
        "ed_bad_array": "{name:은} 모양이 {shape}입니다. 숫자 {n}개를 행 순서대로 쉼표로 구분해 입력하십시오 "
                        "(입력한 숫자: {got}개).",
        "ed_not_number": "“{text}”는 숫자 목록이 아닙니다. 0.5, -1, 2처럼 숫자를 쉼표로 구분해 입력하십시오.",
        "ed_training": "이 기록의 값은 여기에서 바꿀 수 없습니다. 학습 단계가 들어 있는데, 각 단계가 매개변수를 어떻게 "
                       "바꾸었는지(학습률, 최적화 방법)는 기록되지 않았습니다. 값을 바꾸려면 순전파와 역전파 한 번을 "
                       "기록하십시오.",
        "ed_none": "이 기록에는 바꿀 입력이나 매개변수가 없습니다.",
        "ed_failed": "이 값으로는 그래프를 다시 계산할 수 없습니다: {reason}",
        "gd_start": "시작점", "gd_start_tip": "{name}의 시작점 θ₀입니다. 바꾸면 0단계로 돌아가 그곳에서부터 내려갑니다",
        "gd_start_note": "시작점 θ₀ 값을 입력하거나 슬라이더를 움직이면 그곳에서부터 경사 하강법을 다시 시작합니다.",
        "back": "이전", "back_tip": "한 단계 뒤로",
        "next": "다음", "next_tip": "한 단계 앞으로",
        "last": "마지막", "last_tip": "마지막 단계로",
        "play": "재생", "play_tip": "단계를 차례로 재생합니다 (같은 버튼으로 일시 정지)",
        "speed": "속도", "speed_tip": "재생할 때 1초에 보여 줄 단계 수",
        "step": "단계", "step_tip": "끌어서 원하는 단계로 이동",
        "pass": "회차", "pass_tip": "회차로 이동 (한 회차 = 순전파와 역전파 한 번, 또는 학습 한 단계)",
        "prev_pass": "이전 회차", "prev_pass_tip": "이전 회차의 시작",
        "next_pass": "다음 회차", "next_pass_tip": "다음 회차의 시작",
        "zoom_in": "크게", "zoom_out": "작게",
        "scroll_hint": "그림이 상자보다 큽니다. 스크롤하면 나머지를 볼 수 있습니다.",
        "zoom_in_tip": "그림을 크게 합니다 (뒷자리에서도 보이도록). 큰 그림은 스크롤됩니다",
        "zoom_out_tip": "그림을 작게 합니다 (글자를 읽을 수 있는 크기까지만)",
        "pass_option": "{n}회 중 {p}회차",
        "pass_none": "아직 기록 없음",
        "no_passes": "이 기록은 비어 있습니다. 회차가 없고(아무것도 계산하기 전인 0단계뿐입니다) 그래서 {p}번 회차로 "
                     "갈 수 없습니다.",
        **_phases("ko"),
        "status": "{n}회 중 {p}회차 · {total}단계 중 {k}단계",
        "status_one": "{total}단계 중 {k}단계",
        "col_node": "노드", "col_op": "연산", "col_value": "값", "col_grad": "기울기",
        "kind_input": "입력", "kind_parameter": "매개변수", "kind_constant": "상수",
        "unknown": "아직", "no_grad": "상수: 기울기를 계산하지 않습니다",
        "more_rows": "{n}개 행은 표시하지 않았습니다 (활성 노드 주변의 행만 보여 줍니다).",
        "static_note": "기록된 단계는 {n}개이고, 이것이 마지막 단계입니다. 노트북을 실행하면 단계별로 볼 수 있습니다.",
        "gd_step": "한 단계", "gd_step_tip": "경사 하강법 한 단계: θ ← θ − lr · ∂L/∂θ",
        "gd_run": "실행", "gd_run_tip": "오른쪽에서 정한 단계 수만큼 실행",
        "gd_steps": "단계 수", "gd_steps_tip": "'실행'이 진행할 단계 수",
        "gd_stop": "멈춤", "gd_stop_tip": "실행을 멈춥니다",
        "gd_reset": "초기화", "gd_reset_tip": "처음 매개변수 θ₀으로 되돌립니다",
        "gd_lr": "학습률", "gd_lr_tip": "한 걸음의 크기 lr (로그 눈금)",
        "gd_progress": "진행",
        "gd_log": "로그 눈금", "gd_log_tip": "손실을 로그 눈금으로 보여 줍니다",
        "gd_params": "매개변수", "gd_more_params": "… 그 밖의 매개변수 {n}개", "gd_loss_at": "단계 {t}: 손실 L(θ{sub}) = {loss}",
        "gd_diverged": "단계 {t}에서 손실이 {loss:이} 되었습니다. 학습률 {lr:이} 너무 커서 경사 하강법이 "
                       "발산합니다. 초기화를 누르고 더 작은 학습률(예: {smaller})을 고르십시오.",
        "gd_exploded": "단계 {t}까지 손실이 {first}에서 {loss:으로} 커졌습니다. 학습률 {lr:이} 너무 커서 경사 "
                       "하강법이 발산합니다. 초기화를 누르고 더 작은 학습률(예: {smaller})을 고르십시오.",
        "gd_stopped": "{t}단계 후 멈췄습니다.",
        "gd_done": "{n}단계를 실행했습니다.",
        "gd_graph": "단계 {t}의 그래프, 표본 {i} (x = {x}, y = {y})",
        "gd_nan_jump": "손실이 단계 {prev}의 {before}에서 바로 다음 단계 {t}에 갑자기 {loss:이} 되었습니다. 손실이 "
                       "커지고 있지 않았으므로 학습률 때문이 아닙니다. 모델이나 손실의 어떤 계산이 유한하지 않은 수를 "
                       "냈습니다(0의 로그, 0으로 나누기, 넘치는 exp 등). 초기화를 누르고 모델과 손실을 살펴보십시오.",
        "gd_not_finite_start": "한 단계도 가기 전에 손실이 {loss:이} 됩니다. 처음 매개변수에서 모델이나 손실이 유한하지 "
                               "않은 수를 내므로 경사 하강법을 시작할 수 없습니다.",
        "gd_data_empty": "{name}에 행이 없습니다. 경사 하강법에는 표본 (x, y)가 하나 이상 필요합니다.",
        "gd_data_not_finite": "{name}[{row}]에 {value:이} 들어 있습니다. 경사 하강법에는 모든 행이 유한한 수여야 "
                              "합니다. 먼저 그 행을 고치거나 빼십시오. 예: keep = np.isfinite(X).all(axis=1) & "
                              "np.isfinite(y); X, y = X[keep], y[keep].",
        "gd_no_graph": "단계의 그래프는 보여 드릴 수 없습니다. 그래프를 그리려면 Graphviz가 필요한데 여기에는 설치되어 "
                       "있지 않습니다(`pip install pygraphviz` 또는 시스템 패키지 `graphviz`를 설치하고 커널을 다시 "
                       "시작하십시오). 위의 나머지는 Graphviz 없이도 모두 동작합니다.",
        "q_total": "손실 {root}의 {node}에 대한 기울기 {d:은} 얼마입니까?",
        "q_local": "간선 {node} → {child}의 국소 미분 {d:은} 얼마입니까?",
        "q_answer": "답", "q_answer_tip": "숫자를 입력하십시오. 예: -3, 0.5, 1/4",
        "q_check": "확인", "q_check_tip": "답을 확인합니다",
        "q_hint": "힌트", "q_hint_tip": "국소 미분과 위에서 온 기울기를 보여 줍니다",
        "q_show": "정답 보기", "q_show_tip": "그래프에서 정답을 보여 줍니다",
        "q_new": "새 문제", "q_new_tip": "그래프의 다른 노드로 새 문제",
        "q_empty": "먼저 답을 입력하십시오 (예: -3, 0.5).",
        "q_not_number": "입력한 값이 숫자가 아닙니다: “{text}”. -3, 0.5, 1/4처럼 숫자를 입력하십시오.",
        "q_too_big": "{quoted:는} 기울기라고 하기에는 너무 큰 수입니다(약 10³⁰⁸ 이상). -3, 0.5, 1/4처럼 보통의 "
                     "수를 입력하십시오.",
        "q_right": "정답입니다! {d} = {answer}.",
        "q_wrong": "아쉽습니다. {given:은} {d:이} 아닙니다. 다시 해 보거나 힌트를 보십시오.",
        "q_sign": "아쉽습니다. {given:은} 부호가 반대입니다. 곱하는 값들의 부호를 확인하십시오.",
        "q_hint_total": "{node:은} 노드 {n}개의 입력입니다. 노드마다 위에서 온 기울기 × 국소 미분을 구해 "
                        "모두 더하십시오:",
        "q_hint_edge": "{up} = {upv} (위에서 온 기울기), {rule} (국소 미분)",
        "q_hint_local": "{child:을} 만든 연산만 보면 됩니다: {rule}. 값: {values}.",
        "q_rule": "{definition}에서 {derivative}",
        "q_shown": "정답: {d} = {answer} (그래프에 표시했습니다).",
        "q_score": "{asked}문제 중 {right}문제 정답",
        "sb_expression": "식", "sb_values": "값",
        "sb_expression_tip": "변수로 식을 입력하십시오. 예: tanh(x*w + b). Enter를 누르면 그립니다",
        "sb_value_tip": "{name}의 값. Enter를 누르면 그래프를 다시 그립니다",
        "ex_allowed": "쓸 수 있는 것: 숫자, 값을 준 이름, + − * /, 지수가 숫자인 **, 괄호, "
                      "그리고 exp, log, tanh, sigmoid, relu.",
        "ex_empty": "식이 비어 있습니다. tanh(x*w + b)처럼 식을 입력하십시오.",
        "ex_too_long": "식이 너무 깁니다({n}자). 최대 {limit}자까지 쓸 수 있습니다.",
        "ex_too_deep": "식이 너무 깊게 중첩되어 있습니다({limit}단계 초과). 더 짧은 식을 쓰십시오.",
        "ex_syntax": "완전한 식이 아닙니다. {col}번째 글자 근처의 괄호와 연산자를 확인하십시오.",
        "ex_brackets": "괄호의 짝이 맞지 않습니다: 여는 괄호 ( {opened}개, 닫는 괄호 ) {closed}개.",
        "ex_times": "숫자와 이름 사이에 *를 쓰십시오: 2x가 아니라 2*x.",
        "ex_name": "{name}에 값이 없습니다. 예: {name}=1.0처럼 값을 주십시오.",
        "ex_bad_value": "{name}의 값은 {given:이} 아니라 숫자여야 합니다.",
        "ex_no_variable": "식에 변수가 없습니다. x처럼 이름을 하나 이상 쓰십시오.",
        "ex_private": "_로 시작하는 이름({name})은 쓸 수 없습니다.",
        "ex_function_name": "{name:은} 함수입니다. {name}(x)처럼 값에 적용하십시오.",
        "ex_call": "{name}(…) 함수는 여기에서 쓸 수 없습니다.",
        "ex_call_form": "exp, log, tanh, sigmoid, relu만 이름으로 호출할 수 있습니다.",
        "ex_arguments": "{name:은} 값을 정확히 하나 받습니다. 예: {name}(x).",
        "ex_attribute": ".{attr} 같은 속성은 쓸 수 없습니다.",
        "ex_subscript": "[ ]로 인덱싱할 수 없습니다.",
        "ex_lambda": "lambda는 쓸 수 없습니다.",
        "ex_comprehension": "컴프리헨션(… for … in …)은 쓸 수 없습니다.",
        "ex_collection": "리스트, 튜플, 집합, 딕셔너리는 쓸 수 없습니다 (쉼표가 하나 더 있지 않습니까?).",
        "ex_text": "따옴표 안의 글자는 쓸 수 없습니다.",
        "ex_constant": "{text:은} 여기에 쓸 수 있는 숫자가 아닙니다.",
        "ex_operator": "연산자 {op:은} 쓸 수 없습니다.",
        "ex_construct": "이런 파이썬 구문({kind})은 쓸 수 없습니다.",
        "ex_variable_exponent": "**의 지수는 {exponent:이} 아니라 숫자여야 합니다. 지수가 변수이면 "
                                "exp({exponent} * log({base}))로 쓰십시오.",
        "ex_big_exponent": "지수 {exponent:이} 너무 큽니다. 지수의 크기는 최대 {limit}입니다.",
        "ex_not_finite": "{part:은} 유한한 수가 되지 않습니다.",
        "pr_answer": "예측", "pr_answer_tip": "이 단계에서 나올 숫자를 입력하십시오 (예: -3, 0.5, 1/4). "
                                          "Enter를 누르면 확인합니다",
        "pr_check": "확인", "pr_check_tip": "숫자를 확인합니다. 맞으면 이 단계를 보여 주고 다음으로 갑니다",
        "pr_reveal": "보기", "pr_reveal_tip": "예측하지 않고 이 단계를 봅니다 (점수에 넣지 않습니다)",
        "pr_backward": "{child:이} {parent}에 거꾸로 보내는 값은 얼마입니까? {formula} = ?",
        "pr_seed": "역전파는 손실 {root}에서 시작합니다. {formula:은} 얼마입니까?",
        "pr_forward": "{out:은} 어떤 값이 됩니까? {formula} = ?",
        "pr_right": "정답입니다! {formula} = {answer}.",
        "pr_not": "아쉽습니다. {given:은} 답이 아닙니다.", "pr_not_page": "아쉽습니다.",
        "pr_wrong_backward": "위에서 온 기울기 {up}에 국소 미분 {local:을} 곱하십시오. 다시 해 보십시오.",
        "pr_wrong_seed": "{root:이} 조금 변하면 {root:은} 얼마나 변합니까? 다시 해 보십시오.",
        "pr_wrong_forward": "입력값으로 {definition:을} 계산하십시오. 다시 해 보십시오.",
        "pr_sign": "아쉽습니다. {given:은} 부호가 반대입니다. 곱하는 값들의 부호를 확인하십시오.",
        "pr_sign_page": "아쉽습니다. 부호가 반대입니다. 곱하는 값들의 부호를 확인하십시오.",
        "pr_not_number_page": "숫자가 아닙니다. -3, 0.5, 1/4처럼 숫자를 입력하십시오.",
        "pr_empty_page": "먼저 예측한 값을 입력하십시오 (예: -3, 0.5).",
        "pr_hint_backward": "힌트: {rule}. 위에서 온 기울기 {up} = {upv}에 이 값을 곱하십시오.",
        "pr_hint_seed": "힌트: 어떤 값이든 자기 자신만큼 변하므로, 어느 손실이든 이 값은 같습니다.",
        "pr_hint_forward": "힌트: {values}일 때 {definition}.",
        "pr_revealed": "예측하지 않고 보았습니다: {formula} = {answer}.",
        "pr_blocked": "먼저 이 단계를 예측하십시오 (점수 없이 보려면 보기를 누르십시오).",
        "pr_score": "{asked}단계 중 {right}단계 예측 성공",
        "pr_done": "예측할 단계를 모두 보았습니다.",
        "pr_nothing": "여기에서는 예측할 것이 없습니다. 아직 보지 않은 다음 단계까지 앞으로 가십시오.",
    },
}

# ---- the picture (render) ----
PICTURE = {
    "en": {
        "data": "data", "grad": "grad", "mean": "mean", "range": "range",
        **_phases("en"),
        "step": "step {k} of {n}", "pass": "pass {p} of {n}",
        "legend_active": "active step", "legend_done": "computed", "legend_pending": "not computed yet",
        "legend_param": "parameter", "legend_pos": "gradient > 0", "legend_neg": "gradient < 0",
        "legend_mixed": "mixed signs", "legend_width": "thicker = larger |gradient|",
        "legend_label": "← n: gradient sent back along the edge",
        "reuse_badge": "computed once, used ×{n}",
        "input": "input", "parameter": "parameter", "constant": "constant", "computed": "computed",
        "neuron": "neuron", "more": "{n} more",
        "plural": {"input": "inputs", "parameter": "parameters", "constant": "constants", "computed": "values"},
        "collapsed": "Too big to draw node by node ({n} values): {what}.",
        "neurons": "each neuron drawn as one node (its weights and bias inside)",
        "sums": "chains of + drawn as one Σ",
        "summary": "Too big to draw ({n} nodes): showing the {shown} values nearest the output. "
                   "Left out: {left} nodes ({ops}).",
        "empty": "Nothing recorded yet.",
        "focus": "Only the paths from {name} to {loss}: {path} of {n} values, and {inputs} other inputs of "
                 "those steps (drawn without their own inputs).",
        "focus_absent": "{name} takes no part in computing {loss} in this pass: every value is drawn.",
        "output": "the output",
        "summary_focus": "Still too big to draw ({n} nodes): showing a shortest path from {name} and the values "
                         "nearest the output, {shown} in all. Left out: {left} nodes ({ops}).",
        "too_big_layout": "This picture would have {n} nodes, more than the {limit} that Graphviz lays out in a few "
                          "seconds (with max_nodes={max_nodes} it would take minutes), so it is not drawn. Draw "
                          "less: focus='w1' keeps only the paths from one value to the loss, and a smaller "
                          "max_nodes (200 by default) draws neurons and sums as one node each.",
    },
    "ko": {
        "data": "값", "grad": "기울기", "mean": "평균", "range": "범위",
        **_phases("ko"),
        "step": "{n}단계 중 {k}단계", "pass": "{n}회 중 {p}회차",
        "legend_active": "지금 단계", "legend_done": "계산됨", "legend_pending": "아직 계산 전",
        "legend_param": "매개변수", "legend_pos": "기울기 > 0", "legend_neg": "기울기 < 0",
        "legend_mixed": "부호 섞임", "legend_width": "굵을수록 |기울기|가 큼",
        "legend_label": "← n: 간선을 따라 거꾸로 보낸 기울기",
        "reuse_badge": "한 번 계산, {n}번 사용",
        "input": "입력", "parameter": "매개변수", "constant": "상수", "computed": "계산값",
        "neuron": "뉴런", "more": "{n}개 더",
        "plural": {"input": "입력", "parameter": "매개변수", "constant": "상수", "computed": "계산값"},
        "collapsed": "노드가 너무 많아({n}개 값) 줄여서 그렸습니다: {what}.",
        "neurons": "뉴런 하나를 노드 하나로 (가중치와 편향은 그 안에)",
        "sums": "+의 사슬을 Σ 하나로",
        "summary": "너무 커서({n}개 노드) 출력에 가까운 값 {shown}개만 그렸습니다. "
                   "생략한 노드: {left}개 ({ops}).",
        "empty": "아직 기록된 것이 없습니다.",
        "focus": "{name}에서 {loss}까지 가는 경로만 그렸습니다: 값 {n}개 중 {path}개, 그리고 그 단계들의 "
                 "다른 입력 {inputs}개 (그 입력의 입력은 생략).",
        "focus_absent": "이 회차에서 {name:은} {loss} 계산에 쓰이지 않아 모든 값을 그렸습니다.",
        "output": "출력",
        "summary_focus": "그래도 너무 커서({n}개 노드) {name}에서 가는 가장 짧은 경로와 출력에 가까운 값, 모두 "
                         "{shown}개만 그렸습니다. 생략한 노드: {left}개 ({ops}).",
        "too_big_layout": "이 그림은 노드가 {n}개로, Graphviz가 몇 초 안에 배치할 수 있는 {limit}개보다 많습니다"
                          "(max_nodes={max_nodes}이면 몇 분이 걸립니다). 그래서 그리지 않습니다. 더 적게 그리십시오: "
                          "focus='w1'이면 한 값에서 손실까지 가는 경로만 그리고, max_nodes를 줄이면(기본값 200) "
                          "뉴런과 합을 노드 하나로 그립니다.",
    },
}

# ---- captions: one sentence per kind of step (the formula is added by text.captions) ----
SENTENCES = {
    "en": {
        "start": "Nothing computed yet: step forward to compute the values.",
        "forward": "Forward: compute {out} from {inputs}.",
        "seed": "Backward starts at the loss: the gradient of {root} with respect to itself is 1.",
        "seed_given": "Backward starts at {root} with the gradient given to backward() instead of 1: every "
                      "gradient that follows is multiplied by it.",
        "chain": "The chain rule through {via}:",
        "backward": "Backward: the gradient flows from {child} back to {parent} "
                    "(chain rule: upstream gradient × local derivative).",
        "fanout": "{parent} is used more than once, so its gradient is the sum over the paths: "
                  "{before} + {contribution} = {after}.",
        "carried": "{parent} still holds {before} from an earlier backward pass (zero_grad was not "
                   "called), so the new contribution piles up: {before} + {contribution} = {after}.",
        "reuse": "{up} was computed once and is used here again ({k} of {n} uses): backprop does not "
                 "compute it again.",
        "update": "Update: gradient descent moves {node} against its gradient.",
        "update_plain": "Update: {node} changes from {before} to {after}.",
        "grad": "The gradient of {node} is set to {after} (zero_grad), ready for the next backward pass.",
        "array_matmul": "matrix product: the gradient is multiplied by the other factor, transposed",
        "array_sum": "every element of {parent} gets the gradient of the sum",
        "array_mean": "every element of {parent} gets the gradient of the mean divided by {n}",
        "array_shape": "the gradient is given back the shape of {parent}",
    },
    "ko": {
        "start": "아직 아무것도 계산하지 않았습니다. 한 단계씩 앞으로 가며 순전파로 값을 계산합니다.",
        "forward": "순전파: {inputs:으로} {out:을} 계산합니다.",
        "seed": "역전파를 시작합니다: 손실 {root}의 자기 자신에 대한 기울기는 1입니다.",
        "seed_given": "역전파를 시작합니다: {root}의 기울기는 1이 아니라 backward()에 넘겨준 값이고, 이어지는 "
                      "모든 기울기에 이 값이 곱해집니다.",
        "chain": "{via:을} 거치는 연쇄 법칙:",
        "backward": "역전파: 기울기가 {child}에서 {parent:으로} 흐릅니다 "
                    "(연쇄 법칙: 위에서 온 기울기 × 국소 미분).",
        "fanout": "{parent:은} 여러 번 쓰였으므로 기울기는 경로마다 온 기울기의 합입니다: "
                  "{before} + {contribution} = {after}.",
        "carried": "{parent}에는 이전 역전파의 기울기 {before:이} 남아 있습니다(zero_grad를 호출하지 "
                   "않았습니다). 그래서 새 기여가 그 위에 더해집니다: {before} + {contribution} = {after}.",
        "reuse": "{up:은} 한 번만 계산했고 여기에서 다시 씁니다({n}번 중 {k}번째 사용). 역전파는 이 값을 "
                 "다시 계산하지 않습니다.",
        "update": "갱신: 경사 하강법이 {node:을} 기울기의 반대 방향으로 옮깁니다.",
        "update_plain": "갱신: {node:이} {before}에서 {after:으로} 바뀝니다.",
        "grad": "기울기 초기화: {node}의 기울기를 {after:으로} 되돌립니다(zero_grad). 다음 역전파를 준비합니다.",
        "array_matmul": "행렬 곱: 기울기에 다른 인수의 전치를 곱합니다",
        "array_sum": "{parent}의 모든 원소가 합의 기울기를 그대로 받습니다",
        "array_mean": "{parent}의 모든 원소가 평균의 기울기를 {n:으로} 나눈 값을 받습니다",
        "array_shape": "기울기를 {parent}의 모양으로 되돌립니다",
    },
}

# ---- the exported page (export.page): its buttons and labels; captions come from SENTENCES ----
PAGE = {
    "en": {"first": "First", "prev": "Previous", "next": "Next", "last": "Last", "play": "Play",
           "pause": "Pause", "speed": "Speed", "fit": "Fit to width", "step": "Step",
           "of": "of", "pass": "pass", "bad_frame": "This frame could not be drawn.",
           "keys": "Keys: ← → step, Home / End, Space plays.",
           "title": "Backpropagation, step by step",
           "noscript": "This page needs JavaScript to step through the frames.",
           "phase": _phases("en")},
    "ko": {"first": "처음", "prev": "이전", "next": "다음", "last": "마지막", "play": "재생",
           "pause": "멈춤", "speed": "속도", "fit": "화면 폭에 맞추기", "step": "단계",
           "of": "/", "pass": "회차", "bad_frame": "이 장면을 그릴 수 없습니다.",
           "keys": "키: ← → 한 단계, Home / End, Space 재생.",
           "title": "역전파, 한 단계씩",
           "noscript": "단계를 넘겨 보려면 JavaScript가 필요합니다.",
           "phase": _phases("ko")},
}

# ---- the plots (plots.py): titles, axis labels, legends ----
PLOTS = {
    "en": {
        "curve_title": "Loss during training", "step": "step t", "loss_t": "loss L(θₜ)",
        "log": " (log scale)", "diverged": "diverged at step {t} (loss = {loss})",
        "surface": "loss L({a}, {b})", "landscape_title": "Loss landscape L({a}, {b}) and the descent path",
        "start": "θ$_0$ (start)", "end": "θ$_{{{t}}}$ (end)",
        "data": "data", "model": "model ŷ(x)", "fit_title": "Data and fitted model",
        "prob": "σ(z) = P(class 1)", "class": "class {k}", "boundary_title": "Decision boundary z(x) = 0",
    },
    "ko": {
        "curve_title": "학습 중의 손실", "step": "단계 t", "loss_t": "손실 L(θₜ)",
        "log": " (로그 눈금)", "diverged": "단계 {t}에서 발산 (손실 = {loss})",
        "surface": "손실 L({a}, {b})", "landscape_title": "손실 지형 L({a}, {b}) 및 경사 하강 경로",
        # no $…$ around Korean words: mathtext would set them in its own font, which has no Hangul
        "start": "θ₀ (시작)", "end": "θ{sub} (끝)",
        "data": "데이터", "model": "모델 ŷ(x)", "fit_title": "데이터와 학습된 모델",
        "prob": "σ(z) = P(클래스 1)", "class": "클래스 {k}", "boundary_title": "결정 경계 z(x) = 0",
    },
}

# ---- naive.cost_table: the column heads and the caption ----
COST_TABLE = {
    "en": (("width", "depth", "parameters", "edges", "backprop", "finite differences", "paths"),
           "operations to get every gradient once (node evaluations + multiplications + additions)"),
    "ko": (("너비", "깊이", "매개변수", "간선", "역전파", "유한 차분", "경로별 연쇄 법칙"),
           "모든 기울기를 한 번 구하는 데 드는 연산 수 (노드 계산 + 곱셈 + 덧셈)"),
}

# ---- naive.step_counts: backprop and the path-by-path method stepping through one graph ----
STEP_COUNTS = {
    "en": (("step", "edge", "backprop: multiplications so far", "path by path: multiplications so far"),
           "running count of multiplications: backprop re-uses ∂L/∂child, the path-by-path method multiplies "
           "along every path from the loss again"),
    "ko": (("단계", "간선", "역전파: 지금까지의 곱셈", "경로별 연쇄 법칙: 지금까지의 곱셈"),
           "곱셈 횟수 누적: 역전파는 ∂L/∂child를 다시 쓰고, 경로별 방법은 손실에서 오는 모든 경로를 따라 "
           "처음부터 다시 곱합니다"),
}


# ---- bridges.micrograd: the note on a micrograd-style graph whose own gradients or values differ ----
BRIDGE_NOTE = {
    "en": {
        "differ": "This graph's own gradients (its .grad after backward()) differ from the chain rule's "
                  "at {n} of {total} nodes: {items}.",
        "item": "{name} (its .grad {theirs}, the chain rule {ours})",
        "more": "and {k} more",
        "first": "The first to differ, going backwards, is {name}: check the _backward of {users}, "
                 "which hands {name} its gradient.",
        "values": "Its values differ too at {n} node(s): {items}; check the forward code of those ops.",
        "value_item": "{name} (its .data {theirs}, recomputed {ours})",
        "or": " or ",
    },
    "ko": {
        "differ": "이 그래프 자체의 기울기(backward() 뒤의 .grad)가 연쇄 법칙으로 구한 값과 노드 {total}개 중 "
                  "{n}개에서 다릅니다: {items}.",
        "item": "{name} (.grad {theirs}, 연쇄 법칙 {ours})",
        "more": "그 밖에 {k}개",
        "first": "거꾸로 거슬러 갈 때 처음 달라지는 노드는 {name}입니다. {name}에 기울기를 넘겨주는 "
                 "{users}의 _backward를 확인해 보세요.",
        "values": "값도 {n}개 노드에서 다릅니다: {items}. 그 연산의 순전파 코드를 확인해 보세요.",
        "value_item": "{name} (.data {theirs}, 다시 계산한 값 {ours})",
        "or": " 또는 ",
    },
}


def _templates(table):
    """Every string of a table as a Template, so that .format() resolves {name:을} fields."""
    if isinstance(table, dict):
        return {k: _templates(v) for k, v in table.items()}
    if isinstance(table, tuple):
        return tuple(_templates(v) for v in table)
    return Template(table) if isinstance(table, str) else table


WORDS, PICTURE, SENTENCES, PAGE, PLOTS, COST_TABLE = map(_templates, (WORDS, PICTURE, SENTENCES, PAGE, PLOTS,
                                                                     COST_TABLE))
STEP_COUNTS, BRIDGE_NOTE = _templates(STEP_COUNTS), _templates(BRIDGE_NOTE)


def check_lang(lang):
    """lang must be 'en' or 'ko'; a ValueError naming both otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be 'en' (English) or 'ko' (Korean), not {lang!r}.")
    return lang


def words(lang):
    """The widgets' words in `lang`."""
    return WORDS[check_lang(lang)]


def phase_key(snapshot):
    """The kind of step a snapshot shows, as a key of the phase words: 'forward', 'backward',
    'update', or 'zero_grad' for the step that resets a gradient (it is not an update)."""
    event = snapshot.event
    return "zero_grad" if event is not None and event.kind == "grad" else snapshot.phase
