"""The words on the widgets' controls, messages and tables, in English and Korean."""

from __future__ import annotations

LANGS = ("en", "ko")

WORDS = {
    "en": {
        # player
        "first": "first", "first_tip": "Go to the start (nothing computed yet)",
        "back": "back", "back_tip": "One step back",
        "next": "next", "next_tip": "One step forward",
        "last": "last", "last_tip": "Go to the last step",
        "play": "play", "play_tip": "Play the steps one after another (pause with the same button)",
        "speed": "speed", "speed_tip": "Steps per second while playing",
        "step": "step", "step_tip": "Drag to any step of the recording",
        "pass": "pass", "pass_tip": "Jump to a pass (one forward + backward, or one training step)",
        "prev_pass": "previous pass", "prev_pass_tip": "Start of the previous pass",
        "next_pass": "next pass", "next_pass_tip": "Start of the next pass",
        "pass_option": "pass {p} of {n}",
        "forward": "forward", "backward": "backward", "update": "update",
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
        "gd_reset": "reset", "gd_reset_tip": "Back to the starting parameters θ_0",
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
        "q_right": "Correct! {d} = {answer}.",
        "q_wrong": "Not quite: {given} is not {d}. Try again, or ask for a hint.",
        "q_sign": "Not quite: {given} has the wrong sign. Check the signs of the factors.",
        "q_hint_total": "{node} feeds {n} node(s). For each: gradient from above × local derivative, "
                        "then add them up:",
        "q_hint_edge": "{up} = {upv} (upstream) and {loc} = {locv} (local)",
        "q_hint_local": "Only the operation that made {child} matters: {rule}. The values: {values}.",
        "q_shown": "The answer: {d} = {answer} (highlighted on the graph).",
        "q_score": "{right} of {asked} right",
    },
    "ko": {
        "first": "처음", "first_tip": "처음으로 (아직 아무것도 계산하지 않은 상태)",
        "back": "이전", "back_tip": "한 단계 뒤로",
        "next": "다음", "next_tip": "한 단계 앞으로",
        "last": "끝", "last_tip": "마지막 단계로",
        "play": "재생", "play_tip": "단계를 차례로 재생합니다 (같은 버튼으로 일시정지)",
        "speed": "속도", "speed_tip": "재생할 때 1초에 보여 줄 단계 수",
        "step": "단계", "step_tip": "끌어서 원하는 단계로 이동",
        "pass": "회차", "pass_tip": "회차(순전파 + 역전파 한 번, 또는 학습 한 단계)로 이동",
        "prev_pass": "이전 회차", "prev_pass_tip": "이전 회차의 시작",
        "next_pass": "다음 회차", "next_pass_tip": "다음 회차의 시작",
        "pass_option": "{n}회 중 {p}회차",
        "forward": "순전파", "backward": "역전파", "update": "갱신",
        "status": "{n}회 중 {p}회차 · {total}단계 중 {k}",
        "status_one": "{total}단계 중 {k}",
        "col_node": "노드", "col_op": "연산", "col_value": "값", "col_grad": "기울기",
        "kind_input": "입력", "kind_parameter": "매개변수", "kind_constant": "상수",
        "unknown": "아직", "no_grad": "상수: 기울기를 계산하지 않습니다",
        "more_rows": "{n}개 행은 표시하지 않았습니다 (활성 노드 주변의 행만 보여 줍니다).",
        "static_note": "기록된 단계: {n}개. 마지막 단계입니다. 노트북을 실행하면 단계별로 볼 수 있습니다.",
        "gd_step": "한 단계", "gd_step_tip": "경사 하강 한 단계: θ ← θ − lr · ∂L/∂θ",
        "gd_run": "실행", "gd_run_tip": "오른쪽에서 정한 단계 수만큼 실행",
        "gd_steps": "단계 수", "gd_steps_tip": "'실행'이 진행할 단계 수",
        "gd_stop": "멈춤", "gd_stop_tip": "실행을 멈춥니다",
        "gd_reset": "초기화", "gd_reset_tip": "처음 매개변수 θ_0으로 되돌립니다",
        "gd_lr": "학습률", "gd_lr_tip": "한 걸음의 크기 lr (로그 눈금)",
        "gd_progress": "진행",
        "gd_log": "로그 눈금", "gd_log_tip": "손실을 로그 눈금으로 보여 줍니다",
        "gd_params": "매개변수", "gd_more_params": "… 그 밖의 매개변수 {n}개", "gd_loss_at": "단계 {t}: 손실 L(θ{sub}) = {loss}",
        "gd_diverged": "단계 {t}에서 손실이 {loss}이(가) 되었습니다. 학습률 {lr}이(가) 너무 커서 경사 "
                       "하강법이 발산합니다. 초기화를 누르고 더 작은 학습률(예: {smaller})을 고르세요.",
        "gd_exploded": "단계 {t}까지 손실이 {first}에서 {loss}(으)로 커졌습니다. 학습률 {lr}이(가) 너무 "
                       "커서 경사 하강법이 발산합니다. 초기화를 누르고 더 작은 학습률(예: {smaller})을 "
                       "고르세요.",
        "gd_stopped": "{t}단계 후 멈췄습니다.",
        "gd_done": "{n}단계를 실행했습니다.",
        "gd_graph": "단계 {t}의 그래프, 표본 {i} (x = {x}, y = {y})",
        "q_total": "{d}, 즉 손실 {root}의 {node}에 대한 기울기는 얼마일까요?",
        "q_local": "간선 {node} → {child}의 국소 미분 {d}은(는) 얼마일까요?",
        "q_answer": "답", "q_answer_tip": "숫자를 입력하세요. 예: -3, 0.5, 1/4",
        "q_check": "확인", "q_check_tip": "답을 확인합니다",
        "q_hint": "힌트", "q_hint_tip": "국소 미분과 위에서 온 기울기를 보여 줍니다",
        "q_show": "정답 보기", "q_show_tip": "그래프에서 정답을 보여 줍니다",
        "q_new": "새 문제", "q_new_tip": "그래프의 다른 노드로 새 문제",
        "q_empty": "먼저 답을 입력하세요 (예: -3, 0.5).",
        "q_not_number": "“{text}”은(는) 숫자가 아닙니다. -3, 0.5, 1/4처럼 숫자를 입력하세요.",
        "q_right": "정답입니다! {d} = {answer}.",
        "q_wrong": "아쉽네요: {given}은(는) {d}이(가) 아닙니다. 다시 해 보거나 힌트를 보세요.",
        "q_sign": "아쉽네요: {given}은(는) 부호가 반대입니다. 곱하는 값들의 부호를 확인하세요.",
        "q_hint_total": "{node}은(는) {n}개 노드의 입력입니다. 각각 위에서 온 기울기 × 국소 미분을 구해 "
                        "모두 더하세요:",
        "q_hint_edge": "{up} = {upv} (위에서 온 기울기), {loc} = {locv} (국소 미분)",
        "q_hint_local": "{child}을(를) 만든 연산만 보면 됩니다: {rule}. 값: {values}.",
        "q_shown": "정답: {d} = {answer} (그래프에 표시했습니다).",
        "q_score": "{asked}문제 중 {right}개 정답",
    },
}


def check_lang(lang):
    """lang must be 'en' or 'ko'; a ValueError naming both otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be 'en' (English) or 'ko' (Korean), not {lang!r}.")
    return lang


def words(lang):
    return WORDS[check_lang(lang)]
