"""The app in a real browser: Debian's chromium, headless, driven by playwright.

Starts ``emogen demo`` on a free localhost port, picks an emotion, moves the intensity slider,
generates speech in the Speech tab and checks that a playable WAV came back to the page.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a server, a browser and the shipped voice
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).is_file():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); the browser test needs it",
                allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (pip install playwright)")
pytest.importorskip("gradio", reason="the app needs gradio (pip install 'emogen[app]')")
if not (Path(__file__).parents[1] / "checkpoints" / "tts-slt-emotion").is_dir():
    pytest.skip("the shipped tts checkpoint is not in checkpoints/", allow_module_level=True)


@pytest.fixture
def app_url(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", GRADIO_ANALYTICS_ENABLED="False")
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "emogen", "demo", "--port", str(port), "--host", "127.0.0.1"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail(f"the app did not start:\n{(tmp_path / 'app.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_speech_tab_in_chromium(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    profile = tmp_path / "chromium-profile"  # a fresh user data dir
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(app_url, wait_until="domcontentloaded")
            page.locator("#tts-generate").wait_for(timeout=60_000)
            plane = page.locator("#tts-plane img")
            plane.wait_for(timeout=30_000)  # the valence-arousal plane is drawn when the page loads
            before = plane.get_attribute("src")
            # pick an emotion from the dropdown: the plane is redrawn
            page.locator("#tts-emotion input").click()
            page.get_by_role("option", name="sad", exact=True).click()
            expect(page.locator("#tts-emotion input")).to_have_value("sad")
            expect(plane).not_to_have_attribute("src", before, timeout=20_000)
            # move the intensity slider
            page.locator("#tts-intensity input[type=range]").fill("0.9")
            expect(page.locator("#tts-intensity input[type=number]")).to_have_value("0.9")
            page.locator("#tts-text textarea").fill("The garden is quiet tonight.")
            page.locator("#tts-generate").click()
            audio = page.locator("#tts-audio audio[src]")
            audio.first.wait_for(state="attached", timeout=60_000)
            src = audio.first.get_attribute("src")
            assert src
            # the player's source (a blob: URL Gradio makes from the served file), read inside the page
            size, head = page.evaluate("""async (url) => {
                const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
                return [bytes.length, Array.from(bytes.slice(0, 12))]; }""", src)
            head = bytes(head)
            assert head[:4] == b"RIFF" and head[8:12] == b"WAVE" and size > 20_000  # > ~0.5 s of speech
            # a bad spec shows our one-line message in the page, not a stack trace
            page.locator("#tts-spec input").fill("happy:9")
            page.locator("#tts-generate").click()
            expect(page.get_by_text("9 after 'happy' is out of range").first).to_be_visible(timeout=20_000)
            assert "Traceback" not in page.content()
        finally:
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)
