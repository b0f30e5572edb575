"""The live view of a camera whose recorder has no live buffer yet (the camera just
came back, often the anomaly itself): the page does not stop on the first 404, it
asks again once a second and plays as soon as the recorder writes its buffer,
with no second click."""

from __future__ import annotations

import datetime as dt
import shutil
import time

from tests.gateway.live_viewers import grant_for
from tests.gateway.services import CAMERA, LIVE_PATH, SITE
from tests.gateway.test_page import browser, wait, workstation  # noqa: F401 (fixtures)
from tests.gateway.test_page_live import PLAYING

GAP_S = 4  # the recorder's live buffer appears this long after the click
RESUME_S = 3  # the page plays within this of the buffer's first playlist


def test_live_view_waits_for_the_recorder_and_plays_without_a_second_click(
    gateway,
    workstation,  # noqa: F811
    browser,  # noqa: F811
):
    from selenium.webdriver.common.by import By

    buffer = gateway.storage / LIVE_PATH.strip("/") / f"{SITE}-{CAMERA}"
    shutil.rmtree(buffer, ignore_errors=True)  # a stale playlist would hide the gap
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    g = grant_for(gateway, when, kind="page-live-resume")
    browser.get(f"{workstation(gateway.op('dipn78'))}/operateur/#{g['id']}")
    wait(lambda: browser.find_element(By.ID, "live").is_displayed(), what="the Direct button")
    browser.find_element(By.ID, "live").click()
    wait(
        lambda: "en attente des images" in browser.find_element(By.ID, "message").text,
        timeout=10,
        what="the page saying it waits for the camera",
    )
    time.sleep(GAP_S)
    assert not browser.execute_script(PLAYING)
    proc = gateway.start_live()  # returns once its first playlist is written
    try:
        t0 = time.monotonic()
        wait(lambda: browser.execute_script(PLAYING), timeout=20, what="live after the gap")
        resumed = time.monotonic() - t0
        print(f"live buffer back -> the page plays: {resumed:.2f} s, no second click")
        assert resumed <= RESUME_S, resumed
        assert browser.find_element(By.ID, "live").get_attribute("aria-pressed") == "true"
        assert "en attente" not in browser.find_element(By.ID, "message").text
    finally:
        proc.terminate()
        proc.wait(10)
