"""`make present`: a lesson shown by Voilà as an app — no code cells, the player works, the URL printed;
no check, exercise or solution reaches the class, with `make present` or on Binder."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import pages, servers
from .conftest import FIXTURES

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = FIXTURES / "99_present.ipynb"  # `make present LESSON=99` picks 99_*.ipynb


class PresentServer(servers.VoilaServer):
    """Voilà started exactly as a teacher starts it: `make present`, on a copy of the lesson."""

    kind = "make-present"

    def command(self) -> list[str]:
        return ["make", "-s", "-C", str(REPO), "present", f"LESSONS_DIR={self.root}", "LESSON=99",
                f"PORT={self.port}"]


@pytest.fixture
def present(browser_context):
    server = PresentServer(LESSON)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_make_present_shows_the_lesson_without_code_and_the_player_steps(present, browser_context, screenshot):
    from playwright.sync_api import expect

    assert re.search(rf"Presenting \S*99_present\.ipynb at http://127\.0\.0\.1:{present.port}/", present.log_tail()), \
        present.log_tail()
    page = present.open(browser_context)
    player = page.locator(".present-player")
    expect(player.locator(".bpv-status")).to_contain_text("step 0 of 7")
    code = ".jp-CodeCell .jp-InputArea, .jp-CodeCell .jp-InputPrompt, .CodeMirror, .cm-editor"
    assert page.locator(code).count() == 0, "a presented lesson must not show code cells"
    assert "BackpropPlayer(trace)" not in page.locator("body").inner_text()
    expect(page.locator("h1")).to_contain_text("A lesson on the projector")

    # the looks the picture draws (its sheet holds every step's): stepping must change them
    drawn = "svg => [...svg.querySelectorAll('g.bpv-vr')].filter(g => g.getBoundingClientRect().width > 0).map(g => g.outerHTML).join('')"
    before = player.locator(".bpv-frame svg").evaluate(drawn)
    player.locator(".bpv-next").click()
    expect(player.locator(".bpv-status")).to_contain_text("step 1 of 7")
    player.locator(".bpv-last").click()
    expect(player.locator(".bpv-status")).to_contain_text("step 7 of 7")
    after = player.locator(".bpv-frame svg").evaluate(drawn)
    assert after != before, "stepping must redraw the graph"
    screenshot(page, "presented")
    pages.assert_no_tracebacks(page)


# -- a real lesson on the projector: no check, exercise or solution --------------------------------
LESSON_05 = REPO / "notebooks" / "05_backprop_step_by_step.ipynb"
# What lesson 05's cells tagged check, exercise and solution print or say: none of it may reach the class.
NOT_FOR_THE_CLASS = ["step 4:", "The quiz accepts", "not answered yet", "checks out", "✓",
                     "# Solution", "check_player", "dL/dx = (direct", "my_dL_dx"]


class PresentLesson05(PresentServer):
    def command(self) -> list[str]:
        return [*super().command(), "LESSON=05"]  # the last LESSON= wins


class BinderVoila(servers.LabServer):
    """A Jupyter server configured as Binder configures it (binder/postBuild), showing lessons through
    its Voilà extension at /voila/render/… — the Binder badge's app links."""

    kind = "binder-voila"

    def start(self):
        env = self._env()
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        subprocess.run(["bash", str(REPO / "binder" / "postBuild")], cwd=REPO, env=env, check=True)
        self._post_build_env = env
        return super().start()

    def _env(self) -> dict:
        env = super()._env()
        env.update(getattr(self, "_post_build_env", {}))
        return env

    def open(self, context):
        page = pages.blank_page(context)
        pages.watch_server(context, self)
        # the kernel's websocket as the browser agreed it with the server (Chromium offers compression)
        self.handshakes = []
        cdp = context.new_cdp_session(page)
        cdp.on("Network.webSocketCreated", lambda e: self.handshakes.append({"url": e["url"]}))
        cdp.on("Network.webSocketHandshakeResponseReceived",
               lambda e: self.handshakes.append({k.lower(): v for k, v in e["response"]["headers"].items()}))
        cdp.send("Network.enable")
        page.goto(f"{self.url}/voila/render/{self.notebook}?token={servers.TOKEN}",
                  timeout=pages.START_TIMEOUT_S * 1000)
        page.locator("#rendered_cells").wait_for(state="visible", timeout=pages.START_TIMEOUT_S * 1000)
        pages.assert_no_tracebacks(page)
        return page


def _assert_only_the_lesson_shows(page):
    from playwright.sync_api import expect

    expect(page.locator("h1").first).to_contain_text("Backpropagation, step by step")
    player = page.locator(".bpv-player").first
    expect(player.locator(".bpv-status")).to_contain_text("step 0 of")
    expect(page.locator(".bpv-quiz").first).to_be_visible()
    text = page.locator("body").inner_text()
    html = page.content()
    shown = [t for t in NOT_FOR_THE_CLASS if t in text or t in html]
    assert not shown, f"the presented lesson shows what is not for the class: {shown}"
    assert "Round 5 — a neuron" in text and "Recap" in text, "the lesson's own text must all be there"


def test_make_present_leaves_out_checks_exercises_and_solutions(browser_context, screenshot):
    server = PresentLesson05(LESSON_05)
    try:
        server.start()
        page = server.open(browser_context)
        _assert_only_the_lesson_shows(page)
        screenshot(page, "lesson-05")
    finally:
        server.stop()


def test_binder_voila_leaves_out_checks_exercises_and_solutions(browser_context, screenshot):
    server = BinderVoila(LESSON_05)
    try:
        server.start()
        page = server.open(browser_context)
        _assert_only_the_lesson_shows(page)
        screenshot(page, "binder-lesson-05")
    finally:
        server.stop()


def test_binder_compresses_what_the_kernel_sends_the_page(browser_context):
    """A player's sheet is about a megabyte of SVG sent once (deflate makes it a tenth of that): on
    Binder, where it crosses the internet, the server's kernel websocket compresses its messages."""
    server = BinderVoila(LESSON_05)
    try:
        server.start()
        page = server.open(browser_context)
        page.locator(".bpv-player .bpv-status").first.wait_for(state="visible")  # widgets came over it
        channels = [h for h in server.handshakes if "/channels" in h.get("url", "")]
        agreed = [h.get("sec-websocket-extensions", "") for h in server.handshakes if "sec-websocket-accept" in h]
        assert channels, f"no kernel websocket seen: {server.handshakes}"
        assert agreed and all("permessage-deflate" in a for a in agreed), (
            f"the server did not agree to compress its websocket messages: {agreed}")
    finally:
        server.stop()
