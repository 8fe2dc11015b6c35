"""The standalone player page (HTML, CSS, JavaScript) that export.export_html fills with a trace's frames."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from array import array

from backprop_viz.text.words import PAGE

__all__ = ["page", "write_page"]

UI = PAGE  # the page's words in each language, from the one vocabulary; captions come from the trace

_CSS = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fafafa; --panel: #fff; --line: #c8c8c8;
        --accent: #0072b2; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --bg: #1e1e1e; --panel: #2a2a2a; --line: #555; --accent: #56b4e9; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, "Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo",
       sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1400px; margin: 0 auto; padding: 12px 16px 24px; }
h1 { font-size: 1.25rem; margin: 0 0 8px; }
.bpv-controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center;
                position: sticky; top: 0; background: var(--bg); padding: 6px 0; z-index: 1; }
button, select { font: inherit; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px;
                 background: var(--panel); color: var(--fg); cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); }
button[aria-pressed="true"] { border-color: var(--accent); box-shadow: inset 0 0 0 1px var(--accent); }
#bpv-slider { flex: 1 1 240px; min-width: 160px; accent-color: var(--accent); }
#bpv-step { font-variant-numeric: tabular-nums; min-width: 9em; }
.bpv-lang { margin-left: auto; display: inline-flex; gap: 4px; }
#bpv-phase { margin: 6px 0 0; font-weight: 600; }
#bpv-caption { margin: 4px 0 10px; min-height: 3em; white-space: pre-wrap; overflow-wrap: anywhere; }
#bpv-figure { margin: 0; padding: 8px; background: #fff; border: 1px solid var(--line);
              border-radius: 8px; overflow: auto; }
#bpv-figure.bpv-fit svg { max-width: 100%; height: auto; }
#bpv-figure svg { display: block; margin: 0 auto; }
.bpv-keys { font-size: .85rem; opacity: .75; margin: 6px 0 0; }
.bpv-error { color: #b00020; }
#bpv-predict { border-left: 4px solid var(--accent); padding: 4px 10px; margin: 6px 0; }
#bpv-predict[hidden] { display: none; }
#bpv-pq { font-weight: 600; margin: 0 0 4px; }
#bpv-pin { font: inherit; padding: 4px 8px; width: 12em; border: 1px solid var(--line); border-radius: 6px;
           background: var(--panel); color: var(--fg); }
#bpv-pfeedback { margin: 4px 0 0; min-height: 1.4em; }
#bpv-pfeedback.bpv-right { color: #007a4d; } #bpv-pfeedback.bpv-wrong { color: #b30000; }
"""

# The player. Frames arrive as `chunks` (unique SVG pieces, each a list of ids into `tags`, the unique
# tags) + the first frame's list of chunk ids +
# per-frame edits [start, deleteCount, ...ids] (applied last-first) that turn frame k-1 into k.
# Texts (captions, labels) only ever reach the page through textContent; SVG frames (escaped by
# render) are parsed inert in a <template> and stripped of scripts and event attributes before they
# are shown; the page's Content-Security-Policy would refuse to run any injected script anyway.
_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("bpv-data").textContent);
  var UI = D.ui, n = D.steps.length, CHECK = 25, marks = [], pieces = [], cur = -1, timer = null;
  var lang = UI[D.lang] ? D.lang : "en";
  var $ = function (id) { return document.getElementById(id); };
  var figure = $("bpv-figure"), slider = $("bpv-slider"), playBtn = $("bpv-play");

  function applyEdits(ids, edits) {
    for (var e = 0; e < edits.length; e++) {
      var ed = edits[e];
      Array.prototype.splice.apply(ids, [ed[0], ed[1]].concat(ed.slice(2)));
    }
  }
  (function buildMarks() {  // a full id list every CHECK frames: any frame is <= CHECK edits away
    var ids = D.first.slice();
    marks[0] = ids.slice();
    for (var k = 1; k < n; k++) {
      applyEdits(ids, D.edits[k - 1]);
      if (k % CHECK === 0) marks[k / CHECK] = ids.slice();
    }
  })();
  function chunk(i) {  // a piece's text, made from its tags the first time it is needed
    var text = pieces[i];
    if (text === undefined) {
      var t = D.chunks[i], out = new Array(t.length);
      for (var j = 0; j < t.length; j++) out[j] = D.tags[t[j]];
      text = pieces[i] = out.join("");
    }
    return text;
  }
  function svgText(f) {
    var base = Math.floor(f / CHECK), ids = marks[base].slice();
    for (var k = base * CHECK + 1; k <= f; k++) applyEdits(ids, D.edits[k - 1]);
    var parts = new Array(ids.length);
    for (var i = 0; i < ids.length; i++) parts[i] = chunk(ids[i]);
    return parts.join("");
  }
  function sanitize(root) {
    var all = [root].concat(Array.prototype.slice.call(root.querySelectorAll("*")));
    all.forEach(function (el) {
      var tag = (el.localName || "").toLowerCase();
      if (tag === "script" || tag === "foreignobject" || tag === "iframe") { el.remove(); return; }
      Array.prototype.slice.call(el.attributes).forEach(function (a) {
        var name = a.name.toLowerCase();
        if (name.indexOf("on") === 0 ||
            (/(^|:)href$/.test(name) && !/^#/.test(a.value.trim()))) el.removeAttribute(a.name);
      });
    });
    return root;
  }
  function drawFrame(f) {
    var tpl = document.createElement("template");  // its content is inert: nothing loads or runs
    tpl.innerHTML = svgText(f);
    var svg = tpl.content.firstElementChild;
    if (!svg || svg.localName !== "svg") {
      var p = document.createElement("p");
      p.className = "bpv-error";
      p.textContent = UI[lang].bad_frame;
      figure.replaceChildren(p);
      return;
    }
    figure.replaceChildren(sanitize(svg));
  }
  function texts() {
    var t = UI[lang];
    document.documentElement.lang = lang;
    ["first", "prev", "next", "last"].forEach(function (k) {
      var b = $("bpv-" + k); b.title = t[k]; b.setAttribute("aria-label", t[k]);
      b.lastChild.textContent = " " + t[k];
    });
    playBtn.firstChild.textContent = timer ? "❚❚" : "▶";
    playBtn.lastChild.textContent = " " + (timer ? t.pause : t.play);
    playBtn.setAttribute("aria-label", timer ? t.pause : t.play);
    $("bpv-speed-label").textContent = t.speed;
    $("bpv-fit-label").textContent = t.fit;
    $("bpv-keys").textContent = t.keys;
    slider.setAttribute("aria-label", t.step);
    document.querySelectorAll(".bpv-lang button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    });
    if (cur >= 0) words(cur);
    predictTexts();
  }
  function words(f) {
    var t = UI[lang], step = D.steps[f];
    $("bpv-step").textContent = t.step + " " + step + " " + t.of + " " + D.total;
    slider.setAttribute("aria-valuetext", $("bpv-step").textContent);
    $("bpv-phase").textContent = (t.phase[D.kinds[f]] || D.phases[f]) +
      (D.passes > 1 ? " · " + t.pass + " " + (D.pass[f] + 1) + " " + t.of + " " + D.passes : "");
    $("bpv-caption").textContent = D.captions[lang][f];
  }
  // Predict mode: D.predict[f] is what to ask before frame f is shown (null: nothing). Frames are
  // revealed in order, as in the notebook player: every move stops just before the first frame
  // still to predict; frames already revealed are passed freely.
  var P = D.predict || null, PU = D.predict_ui || null, done = {}, tries = {}, right = 0, asked = 0;
  var lastAnswer = null;
  function frontier() {
    if (!P) return n;
    for (var j = 0; j < n; j++) if (P[j] && !done[j] && j > D.start) return j;
    return n;
  }
  function allowed(f) { var fr = frontier(); return f >= fr ? fr - 1 : f; }
  function pending() { var fr = frontier(); return fr < n && cur === fr - 1 ? fr : -1; }
  function say(text, cls) { var fb = $("bpv-pfeedback"); fb.textContent = text; fb.className = cls || ""; }
  function predictTexts() {
    if (!P) return;
    var u = PU[lang], k = pending();
    $("bpv-pin").setAttribute("aria-label", u.answer); $("bpv-pin").title = u.answer_tip;
    $("bpv-pin-label").textContent = u.answer;
    $("bpv-pcheck").textContent = u.check; $("bpv-pcheck").title = u.check_tip;
    $("bpv-preveal").textContent = u.reveal; $("bpv-preveal").title = u.reveal_tip;
    $("bpv-pscore").textContent = u.score.replace("{right}", right).replace("{asked}", asked);
    $("bpv-pq").textContent = k >= 0 ? P[k].question[lang] : (frontier() >= n ? u.done : "");
    $("bpv-pin").disabled = $("bpv-pcheck").disabled = $("bpv-preveal").disabled = k < 0;
  }
  function readNumber(text) {
    var s = String(text).trim().replace(/[\u2212\u2013]/g, "-").replace(/\s+/g, "");
    var num = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
    var m = new RegExp("^(" + num + ")(?:/(" + num + "))?$").exec(s);
    if (!m) return null;
    var x = Number(m[1]);
    if (m[2] !== undefined) { var d = Number(m[2]); if (d === 0) return null; x = x / d; }
    return isFinite(x) ? x : null;
  }
  function check() {
    var k = pending(), u = PU[lang];
    if (k < 0) return null;
    var text = $("bpv-pin").value, x = readNumber(text);
    if (x === null) {
      say(text.trim() ? u.not_number_page : u.empty_page, "bpv-wrong");
      return null;
    }
    if (lastAnswer && lastAnswer[0] === k && lastAnswer[1] === x) return lastAnswer[2];
    var a = P[k], e = a.x, ok = Math.abs(x - e) <= 0.01 * Math.max(1, Math.abs(e));
    if (!tries[k]) { tries[k] = 0; asked++; }
    if (ok) {
      right++; done[k] = true; $("bpv-pin").value = "";
      show(k);
      say(a.right[lang], "bpv-right");
    } else {
      tries[k]++;
      var sign = e !== 0 && Math.abs(x + e) <= 1e-9 * Math.max(1, Math.abs(e));
      say((sign ? u.sign_page : u.not_page + " " + a.advice[lang]) + (tries[k] >= 2 ? " " + a.hint[lang] : ""),
          "bpv-wrong");
    }
    lastAnswer = [k, x, ok];
    predictTexts();
    return ok;
  }
  function reveal() {
    var k = pending();
    if (k < 0) return;
    done[k] = true; $("bpv-pin").value = "";
    show(k);
    say(P[k].revealed[lang], "");
    predictTexts();
  }
  function show(f) {
    f = Math.max(0, Math.min(n - 1, f | 0));
    if (P && allowed(f) !== f) {
      f = allowed(f);
      if (timer) stop();
      if (f === cur) say(PU[lang].blocked, "");
    } else if (P && f !== cur) { say("", ""); lastAnswer = null; }
    if (f !== cur) { cur = f; drawFrame(f); }
    slider.value = String(f);
    words(f);
    $("bpv-first").disabled = $("bpv-prev").disabled = f === 0;
    $("bpv-next").disabled = $("bpv-last").disabled = f === n - 1;
    document.body.dataset.frame = String(f);
    predictTexts();
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } playBtn.setAttribute("aria-pressed", "false"); texts(); }
  function play() {
    if (timer) { stop(); return; }
    if (cur >= n - 1) show(0);
    timer = setInterval(function () { if (cur >= n - 1) stop(); else show(cur + 1); },
                        D.interval / Number($("bpv-speed").value));
    playBtn.setAttribute("aria-pressed", "true");
    texts();
  }
  $("bpv-first").addEventListener("click", function () { stop(); show(0); });
  $("bpv-prev").addEventListener("click", function () { stop(); show(cur - 1); });
  $("bpv-next").addEventListener("click", function () { stop(); show(cur + 1); });
  $("bpv-last").addEventListener("click", function () { stop(); show(n - 1); });
  playBtn.addEventListener("click", play);
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  $("bpv-speed").addEventListener("change", function () { if (timer) { stop(); play(); } });
  $("bpv-fit").addEventListener("change", function () {
    figure.classList.toggle("bpv-fit", $("bpv-fit").checked); });
  document.querySelectorAll(".bpv-lang button").forEach(function (b) {
    b.addEventListener("click", function () { lang = b.dataset.lang; texts(); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "select" || (tag === "input" && e.target.type === "range")) return;  // native keys
    if (tag === "input" && e.target.type === "text") {  // the prediction box: Enter checks it
      if (e.key === "Enter") { check(); e.preventDefault(); }
      return;
    }
    var go = {ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1};
    if (e.key in go) { stop(); show(cur + go[e.key]); }
    else if (e.key === "Home") { stop(); show(0); }
    else if (e.key === "End") { stop(); show(n - 1); }
    else if (e.key === " " && tag !== "button" && tag !== "input") { play(); }
    else return;
    e.preventDefault();
  });
  if (P) {
    $("bpv-predict").hidden = false;
    $("bpv-pcheck").addEventListener("click", check);
    $("bpv-preveal").addEventListener("click", reveal);
  }
  slider.max = String(n - 1);
  texts();
  show(D.start);
})();
"""


def _button(key, icon, extra=""):
    return (f'<button id="bpv-{key}" type="button"{extra}><span aria-hidden="true">{icon}</span>'
            '<span></span></button>')


def _body(title, lang):
    t = UI[lang]
    # Icons from common fonts (DejaVu, Noto, system UI): media-control symbols are often missing.
    buttons = "".join((_button("first", "«"), _button("prev", "‹"),
                       _button("play", "▶", ' aria-pressed="false"'), _button("next", "›"),
                       _button("last", "»")))
    speeds = "".join(f'<option value="{v}"{" selected" if v == "1" else ""}>{v}×</option>'
                     for v in ("0.5", "1", "2", "4"))
    return f"""<main>
<h1 id="bpv-title">{html.escape(title)}</h1>
<div class="bpv-controls" role="toolbar">
{buttons}
<input id="bpv-slider" type="range" min="0" max="0" value="0" step="1">
<span id="bpv-step"></span>
<label><span id="bpv-speed-label">{t["speed"]}</span> <select id="bpv-speed">{speeds}</select></label>
<label><input id="bpv-fit" type="checkbox" checked> <span id="bpv-fit-label">{t["fit"]}</span></label>
<span class="bpv-lang"><button type="button" data-lang="en" lang="en">English</button><button type="button" data-lang="ko" lang="ko">한국어</button></span>
</div>
<p id="bpv-phase"></p>
<p id="bpv-caption" aria-live="polite"></p>
<div id="bpv-predict" hidden><p id="bpv-pq" aria-live="polite"></p>
<label><span id="bpv-pin-label"></span> <input id="bpv-pin" type="text" inputmode="decimal" autocomplete="off"
placeholder="-3, 0.5, 1/4"></label> <button id="bpv-pcheck" type="button"></button>
<button id="bpv-preveal" type="button"></button> <span id="bpv-pscore"></span>
<p id="bpv-pfeedback" aria-live="polite"></p></div>
<figure id="bpv-figure" class="bpv-fit"></figure>
<p id="bpv-keys" class="bpv-keys"></p>
<noscript><p>{html.escape(t["noscript"])}</p></noscript>
</main>"""


def _json_for_script(data):
    """JSON that cannot close its <script> element: < > & become \\u escapes (still valid JSON)."""
    return "".join(_json_parts(data))


def _json_parts(data):
    """_json_for_script in pieces, for writing a big page without holding its text twice."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_as_list)
    for part in encoder.iterencode(data):
        yield part.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _as_list(value):
    """JSON for the number arrays export_html keeps its frames' pieces in."""
    if isinstance(value, array):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def page(title, lang, data):
    """The whole HTML document. A Content-Security-Policy allows only this page's own script
    (by its hash) and no network at all, so injected markup could neither run nor fetch."""
    return "".join(_page_parts(title, lang, data))


def write_page(path, title, lang, data):
    """Write page(title, lang, data) to `path` (UTF-8) piece by piece."""
    with open(path, "w", encoding="utf-8") as f:
        for part in _page_parts(title, lang, data):
            f.write(part)


def _page_parts(title, lang, data):
    data = dict(data, ui=UI, lang=lang)
    js_hash = base64.b64encode(hashlib.sha256(_JS.encode()).digest()).decode()
    csp = (f"default-src 'none'; script-src 'sha256-{js_hash}'; style-src 'unsafe-inline'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    yield f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="backprop_viz">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
{_body(title, lang)}
<script type="application/json" id="bpv-data">"""
    yield from _json_parts(data)
    yield f"""</script>
<script>{_JS}</script>
</body>
</html>
"""
