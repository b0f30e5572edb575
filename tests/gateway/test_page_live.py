"""The operator's page's live view in headless Chromium: "Direct" (#live) plays the
recorder's live buffer through the gateway and starts within 2 s of the click;
"Depuis le début" (#from-start) goes back to the event's clip and "Direct" again to
live without a reload; at the grant's end the page stops the live player itself
and says why."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.gateway.live_viewers import grant_for
from tests.gateway.test_page import browser, shot, wait, workstation  # noqa: F401 (fixtures)

START_S = 2.0  # the live view plays within this of the click

PLAYING = (
    "const v = document.getElementById('video');"
    "return v.readyState >= 3 && v.videoWidth === 768 && !v.paused;"
)


@pytest.fixture(scope="module")
def live(gateway):
    proc = gateway.start_live()
    time.sleep(3)
    yield
    proc.terminate()
    proc.wait(10)


def click_and_time(drv, element_id: str, timeout: float = 30) -> float:
    from selenium.webdriver.common.by import By

    t0 = time.monotonic()
    drv.find_element(By.ID, element_id).click()  # the old source is detached at once
    wait(lambda: drv.execute_script(PLAYING), timeout=timeout, what=f"{element_id} playing")
    return time.monotonic() - t0


def test_live_view_starts_fast_joins_the_clip_and_stops_at_the_end(
    gateway,
    live,
    workstation,  # noqa: F811
    browser,  # noqa: F811
):
    from selenium.webdriver.common.by import By

    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14, seconds=30)
    g = grant_for(gateway, when, kind="page-live")
    deadline = min(dt.datetime.fromisoformat(g[k]) for k in ("live_until", "window_end"))
    browser.get(f"{workstation(gateway.op('dipn78'))}/operateur/#{g['id']}")
    wait(lambda: browser.find_element(By.ID, "live").is_displayed(), what="the Direct button")
    started = click_and_time(browser, "live")
    assert browser.find_element(By.ID, "live").get_attribute("aria-pressed") == "true"
    assert "/live/" in browser.execute_script("return state.hls.url;")
    time.sleep(3)
    latency = browser.execute_script("return state.hls.latency;")
    print(f"live start {started:.2f} s after the click, hls.js latency {latency:.2f} s")
    shot(browser, "operateur-direct.png")
    assert started <= START_S, started
    # Back to the event's start, then live again: same page, no reload.
    browser.execute_script("window.notReloaded = true;")
    click_and_time(browser, "from-start")
    assert "/hls/" in browser.execute_script("return state.hls.url;")
    click_and_time(browser, "live")
    assert browser.execute_script("return window.notReloaded === true;")
    # The grant's end: the page stops the live view itself and says why.
    left = (deadline - dt.datetime.now(dt.UTC)).total_seconds()
    assert left > 0, "the grant ended before the test could watch its end"
    wait(
        lambda: "Direct terminé" in browser.find_element(By.ID, "message").text,
        timeout=left + 5,
        what="the live view stopped at the grant's end",
    )
    late = (dt.datetime.now(dt.UTC) - deadline).total_seconds()
    print(f"grant end -> the page stopped the live view: {late * 1000:.0f} ms")
    assert late < 1.0, late
    assert browser.execute_script("const v = document.getElementById('video'); return v.paused;")
    assert browser.find_element(By.ID, "live").get_attribute("disabled")
    shot(browser, "operateur-direct-fin.png")
