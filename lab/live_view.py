"""The competent operator's live view, driven in headless Chromium and measured
glass to glass: the lab's cameras burn the wall-clock time into their frames
(lab/camera_sim/clockcode.py) and lab/glass.py reads it off the page's video.

Shared by `make lab` (lab.levee prints the latency of the levée de doute it
shows) and tests/lab/test_levee_live.py.
"""

from __future__ import annotations

import time
from pathlib import Path

from lab import glass
from lab import workstation as ws

PAGE = "/operateur/#{grant}"  # the operator's page, opened on the grant
LIVE_BUTTON = "live"  # the button that starts the live view (operateur.js)
PLAYER = "#video"  # the <video> the clip and the live view play into
LIVE_PATH = "/live/{grant}/"  # the live route's path prefix (seen in the proxy's log)


class Page:
    """The operator's page in headless Chromium, behind its certificate (an nginx
    on loopback presents it, as smart-card middleware would)."""

    def __init__(self, state: dict, folder: Path, client, grant: dict):
        central_host = state["central"][0]
        self.folder = folder
        self.proxy = ws.CertificateProxy(
            folder, f"{central_host['address']}:443", client.cert, client.key, client.ca,
            central_host["name"],
        )  # fmt: skip
        self.browser = ws.chromium()
        self.grant = grant

    def click_live(self) -> float:
        """Open the grant, stop the clip the page starts with, click live: when (ms)."""
        from selenium.webdriver.common.by import By

        b = self.browser
        b.get(self.proxy.url + PAGE.format(grant=self.grant["id"]))
        button = ws.wait(
            lambda: next((e for e in b.find_elements(By.ID, LIVE_BUTTON)
                          if e.is_displayed() and e.is_enabled()), None),
            timeout=60, what="the live button",
        )  # fmt: skip
        b.execute_script(
            "const v = document.querySelector(arguments[0]); if (v) v.pause();", PLAYER
        )
        glass.start(b, PLAYER)
        clicked = glass.wall_ms()
        button.click()
        return clicked

    def live_requests(self) -> list[str]:
        """The page's live requests, as the certificate proxy logged them."""
        path = LIVE_PATH.format(grant=self.grant["id"])
        log = (self.folder / "access.log").read_text(errors="replace")
        return [line for line in log.splitlines() if f"GET {path}" in line]

    def close(self) -> None:
        self.browser.quit()
        self.proxy.stop()


def watch(state: dict, folder: Path, client, grant: dict, seconds: float) -> glass.Glass:
    """Click "Direct" on the grant's page and read the picture for `seconds`."""
    page = Page(state, folder, client, grant)
    try:
        clicked = page.click_live()
        time.sleep(seconds)
        return glass.collect(page.browser, since_ms=clicked)
    finally:
        page.close()
