"""Every lesson as a class sees it: JupyterLab in Chromium at 1280×800, Run All, then what is on
screen is measured — graph text under 11 px, pictures running past their output's right edge
outside a scrolling box, players left at their last step, error outputs — and screenshots of
every picture go to artifacts/screenshots/ for a person to read."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from . import pages, servers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from notebook_figures import MIN_TEXT_PX as FIGURE_MIN_PX, OUTPUT_AREA_PX  # noqa: E402

try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests skip with a reason (conftest)
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.dot, pytest.mark.slow]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + sorted((NOTEBOOKS / "ko").glob("[0-9][0-9]_*.ipynb"))
VIEWPORT = {"width": 1280, "height": 800}
MIN_TEXT_PX = FIGURE_MIN_PX  # a graph's text, as a figure's
MAX_SHOTS = 14  # screenshots per lesson: one per picture, at most this many


class ClassroomLab(servers.LabServer):
    """JupyterLab drawing every cell (no windowing), so the whole notebook is in the page."""

    def _env(self) -> dict:
        env = super()._env()
        folder = self.tmp / "jupyter_config_dir" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        return env


# Measured in the page. A text's size on screen is its CSS font size times the scale of the SVG
# it sits in (getScreenCTM); hidden texts (other steps' variants) and empty ones are skipped.
_MEASURE = """() => {
  const panel = window.jupyterapp.shell.currentWidget.node;
  const out = {small: [], overflow: [], lastStep: [], errors: [], pictures: 0, shrunk: [], areas: []};
  const outputs = [...panel.querySelectorAll('.jp-OutputArea-output')];
  const where = el => {
    const cell = el.closest('.jp-Cell');
    const cells = [...panel.querySelectorAll('.jp-Cell')];
    return 'cell ' + (cells.indexOf(cell) + 1);
  };
  const visible = el => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  for (const svg of panel.querySelectorAll('.jp-OutputArea-output svg')) {
    if (svg.parentElement.closest('svg')) continue;  // nested svg: measured with its outer one
    if (!visible(svg) || !svg.querySelector('text')) continue;  // icons, empty pictures
    out.pictures += 1;
    let smallest = null, sample = '';
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim() || !visible(t)) continue;
      const m = t.getScreenCTM();
      if (!m) continue;
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
      if (smallest === null || px < smallest) { smallest = px; sample = t.textContent.trim().slice(0, 40); }
    }
    if (smallest !== null && smallest < %(min)s)
      out.small.push(where(svg) + ': ' + smallest.toFixed(1) + ' px ("' + sample + '")');
  }
  // An SVG shown as an <img> (a graphviz picture's output): its texts' size in SVG units, scaled
  // by how wide the image is drawn against its viewBox.
  for (const img of panel.querySelectorAll('.jp-OutputArea-output img')) {
    const src = img.getAttribute('src') || '';
    if (!src.startsWith('data:image/svg+xml') || !visible(img)) continue;
    const comma = src.indexOf(',');
    const text = src.slice(0, comma).includes(';base64')
      ? new TextDecoder().decode(Uint8Array.from(atob(src.slice(comma + 1)), c => c.charCodeAt(0)))
      : decodeURIComponent(src.slice(comma + 1));
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement, box = (root.getAttribute('viewBox') || '').split(/[ ,]+/).map(Number);
    if (box.length !== 4 || !box[2]) continue;
    out.pictures += 1;
    const scale = img.getBoundingClientRect().width / box[2];
    let smallest = null, sample = '';
    for (const t of doc.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      let el = t, size = null;
      while (el && el.nodeType === 1 && size === null) {
        const m = /font-size:\\s*([\\d.]+)/.exec(el.getAttribute('style') || '');
        size = el.getAttribute('font-size') ? parseFloat(el.getAttribute('font-size')) : m ? parseFloat(m[1]) : null;
        el = el.parentNode;
      }
      const px = (size === null ? 14 : size) * scale;  // graphviz's default font size is 14
      if (smallest === null || px < smallest) { smallest = px; sample = t.textContent.trim().slice(0, 40); }
    }
    if (smallest !== null && smallest < %(min)s)
      out.small.push(where(img) + ': ' + smallest.toFixed(1) + ' px ("' + sample + '")');
  }
  // A matplotlib figure (a PNG of the output area) shown smaller than its own pixels shrinks its text;
  // the kernel-side check (tests/notebook_figures.py) takes an output area to be %(area)s px wide.
  out.areas = [...new Set(outputs.filter(o => visible(o) && !o.parentElement.closest('.jp-OutputArea-output'))
    .map(o => Math.round(o.getBoundingClientRect().width)))];
  for (const img of panel.querySelectorAll('.jp-OutputArea-output img')) {
    if (!(img.getAttribute('src') || '').startsWith('data:image/png') || !visible(img) || !img.naturalWidth) continue;
    const shown = img.getBoundingClientRect().width / img.naturalWidth;
    if (shown < 0.99) out.shrunk.push(where(img) + ': a ' + img.naturalWidth + ' px figure shown at ' + Math.round(shown * 100) + ' %%');
  }
  for (const o of outputs) {
    const edge = o.getBoundingClientRect().right;
    for (const pic of o.querySelectorAll('svg, img, canvas, table')) {
      if (pic.parentElement.closest('svg') || !visible(pic)) continue;
      const r = pic.getBoundingClientRect();
      if (r.right <= edge + 1) continue;
      let scrolls = false;  // inside a box that scrolls sideways and shows it (its content is wider)
      for (let a = pic.parentElement; a && a !== o.parentElement; a = a.parentElement) {
        const s = getComputedStyle(a);
        if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && a.scrollWidth > a.clientWidth + 1
            && a.getBoundingClientRect().right <= edge + 1) { scrolls = true; break; }
      }
      if (!scrolls) out.overflow.push(where(pic) + ': a ' + pic.tagName.toLowerCase() + ' ends at '
                                      + Math.round(r.right) + ' px, its output at ' + Math.round(edge) + ' px');
    }
  }
  for (const p of panel.querySelectorAll('.bpv-player')) {
    const next = p.querySelector('.bpv-next');
    const slider = p.querySelector('.bpv-slider');
    if (next && next.disabled && visible(p)) out.lastStep.push(where(p));
  }
  for (const e of panel.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], '
                                         + '[data-mime-type="application/vnd.jupyter.error"]')) {
    const text = e.textContent;
    if (/Traceback|Error|Warning/.test(text)) out.errors.push(where(e) + ': ' + text.slice(0, 300));
  }
  return out;
}""" % {"min": MIN_TEXT_PX, "area": OUTPUT_AREA_PX}

# After a player's `last`: its active node (or edge) lies inside the picture's scrolling box, and
# a box whose picture is bigger than it says so under it.
_FOLLOWED = """(i) => {
  const p = document.querySelectorAll('.bpv-player')[i];
  const box = p.querySelector('.bpv-scroll');
  if (!box) return 'no picture box';
  // the active look drawn (the picture's sheet holds every step's looks, the others hidden)
  const drawn = sel => [...box.querySelectorAll(sel)].find(e => e.getBoundingClientRect().width > 0);
  const a = drawn('svg .bv-graph .s2') || drawn('svg .bv-graph .e2');
  if (!a) return p.querySelector(".bpv-predict-box") ? "ok" : "no active node or edge at the last step";
  const o = box.getBoundingClientRect(), r = a.getBoundingClientRect();
  const inside = r.left >= o.left - 1 && r.right <= o.right + 1 && r.top >= o.top - 1 && r.bottom <= o.bottom + 1;
  if (!inside) return 'active element at ' + [r.left, r.top, r.right, r.bottom].map(Math.round)
    + ' outside its box ' + [o.left, o.top, o.right, o.bottom].map(Math.round);
  const hint = box.nextElementSibling;
  const bigger = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
  const shown = !!hint && hint.classList.contains('bpv-scroll-hint') && getComputedStyle(hint).display !== 'none';
  if (bigger !== shown) return 'the picture ' + (bigger ? 'scrolls but no hint says so' : 'fits but a scroll hint shows');
  return 'ok';
}"""

# The notebook panel scrolls inside the page: bring each picture to the top, one at a time.
_PICTURES = """() => {
  const panel = window.jupyterapp.shell.currentWidget.node;
  return [...panel.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.querySelector('svg text, img') && o.getBoundingClientRect().height > 40).length;
}"""
_SCROLL_TO = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget.node;
  const o = [...panel.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.querySelector('svg text, img') && o.getBoundingClientRect().height > 40)[i];
  o.scrollIntoView({block: 'start'});
}"""


def _lesson_id(path):
    return ("ko-" if path.parent.name == "ko" else "") + path.stem


@pytest.fixture
def lesson_lab(request):
    started = []

    def start(notebook):
        server = ClassroomLab(notebook)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize("lesson", LESSONS, ids=_lesson_id)
def test_lesson_reads_well_on_a_projector(lesson, browser_context, lesson_lab):
    page = lesson_lab(lesson).open(browser_context)
    page.set_viewport_size(VIEWPORT)
    pages.lab_run_all(page, timeout_s=300)
    page.wait_for_timeout(500)  # the last widget messages after the kernel went idle
    name = _lesson_id(lesson)
    before = page.evaluate(_MEASURE)  # as Run All left it: no player at its end, no error output
    players = page.locator(".bpv-player")
    followed = []
    for i in range(players.count()):  # every player to its last step: the action stays in view
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        predicts = player.locator(".bpv-predict-box").count() > 0 and player.locator(".bpv-predict-box").first.is_visible()
        if player.locator(".bpv-last").is_enabled():  # (one left at its end is reported below)
            player.locator(".bpv-last").click()
        if predicts:  # a predict player's last stops before the first step still to predict: it asks
            expect(player.locator(".bpv-predict-question").first).not_to_be_empty()
        else:
            expect(player.locator(".bpv-next")).to_be_disabled()
        page.wait_for_timeout(150)  # the picture's own scroll after the frame arrives
        state = page.evaluate(_FOLLOWED, i)
        if state != "ok":
            followed.append(f"player {i + 1}: {state}")
    count = page.evaluate(_PICTURES)
    for i in range(min(count, MAX_SHOTS)):
        page.evaluate(_SCROLL_TO, i)
        page.wait_for_timeout(100)
        pages.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(pages.SCREENSHOTS / f"classroom-{name}-{i + 1:02d}.png"))
    found = page.evaluate(_MEASURE)  # every player at its last step: the most numbers on screen
    for i in range(players.count()):
        players.nth(i).locator(".bpv-first").click()
    problems = []
    found["lastStep"], found["errors"] = before["lastStep"], before["errors"] + found["errors"]
    if followed:
        problems.append("the active step is not in view: " + "; ".join(followed))
    if found["small"]:
        problems.append(f"graph text under {MIN_TEXT_PX:g} px on screen: " + "; ".join(found["small"]))
    if found["overflow"]:
        problems.append("pictures cut off on the right: " + "; ".join(found["overflow"]))
    if found["shrunk"]:
        problems.append("figures shown smaller than their own size (their text with them): " + "; ".join(found["shrunk"]))
    if any(width < OUTPUT_AREA_PX for width in found["areas"]):
        problems.append(f"output areas {found['areas']} px wide: tests/notebook_figures.py takes them to be "
                        f"{OUTPUT_AREA_PX} px, so its figure check lets too wide figures through")
    if found["lastStep"]:
        problems.append("players left at their last step after Run All (a check cell moved them?): "
                        + "; ".join(found["lastStep"]))
    if found["errors"]:
        problems.append("error or warning outputs: " + "; ".join(found["errors"]))
    assert not problems, f"{lesson.name} ({found['pictures']} graph pictures):\n" + "\n".join(problems)
