"""`make present`: a lesson shown by Voilà as an app — no code cells, the player works, the URL printed."""
from __future__ import annotations

import re
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

    before = player.locator(".bpv-frame svg").evaluate("el => el.outerHTML")
    player.locator(".bpv-next").click()
    expect(player.locator(".bpv-status")).to_contain_text("step 1 of 7")
    player.locator(".bpv-last").click()
    expect(player.locator(".bpv-status")).to_contain_text("step 7 of 7")
    after = player.locator(".bpv-frame svg").evaluate("el => el.outerHTML")
    assert after != before, "stepping must redraw the graph"
    screenshot(page, "presented")
    pages.assert_no_tracebacks(page)
