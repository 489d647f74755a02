"""The review page in a real browser: Debian's chromium, headless, driven by selenium.

`geobfdt review` runs as the user runs it (a subprocess printing its tokened URL) on a 20 m
synthetic well; the test sees the picks, rejects one by keyboard, drags one by its handle,
adds one by three clicks, reloads, exports, and checks the files on disk after each step.
A second test serves a session holding model candidates in-process: accept a pick, accept and
decline the proposed similar candidates by key, undo, redo.
GEOBFDT_SCREENSHOT=path also saves the final page there (docs/figures/review.png was made so).
A third serves `review --features vugs breakouts` and toggles the overlay (GEOBFDT_SCREENSHOT_FEATURES:
docs/figures/review_features.png).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from geobfdt.io import write_npz
from geobfdt.io.picks import read_picks, write_picks_csv
from geobfdt.io.review_file import read_review
from geobfdt.synth import synthesize_well

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900"]

pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="needs Debian's chromium and chromium-driver (`make test` installs them as root)")


@contextmanager
def review_server(*args):
    """`geobfdt review ARGS --port 0` as the user runs it; yields its tokened URL."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "geobfdt.cli", "review", *map(str, args), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        for line in proc.stdout:
            found = re.search(r"open (http://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, proc.stderr.read()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    well, picks = synthesize_well(7, length_m=20.0, tool="fmi", top_m=1000.0, name="W<1>")
    write_npz(well, tmp_path / "W1.npz")
    write_picks_csv(tmp_path / "W1_picks.csv", picks)
    with review_server(tmp_path / "W1.npz", "--picks", tmp_path / "W1_picks.csv") as url:
        yield url, tmp_path / "W1_reviewed.csv", picks


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_AVOID_STATS"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="geobfdt-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def settled(read, pause=0.3):
    """read() once it returns the same value twice in a row, `pause` apart: the page has stopped
    moving (a re-render after a save may still scroll or shift the layout)."""
    last = object()

    def same():
        nonlocal last
        now = read()
        stable, last = now == last, now
        if not stable:
            time.sleep(pause)
        return stable

    wait_for(same)
    return last


def statuses(path):
    return {rp.pick_id: rp for rp in read_review(path).picks}


def test_review_in_the_browser(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    url, review_file, picks = server
    browser.get(url)
    wait_for(lambda: browser.execute_script("return window.reviewReady === true"))
    # every pick of the file is in the table, and the ones on screen are drawn as sinusoids
    rows = browser.find_elements(By.CSS_SELECTOR, "#pick-table tbody tr[data-pick-id]")
    assert len(rows) == len(picks)
    assert browser.find_elements(By.CSS_SELECTOR, "#overlay g.pick[data-pick-id]")
    assert browser.find_element(By.ID, "well-name").text.startswith("W<1>")  # the name as text, not markup
    assert not browser.find_element(By.CSS_SELECTOR, "#pick-table th.again").is_displayed()  # no copies checked them
    wait_for(lambda: browser.execute_script("return (window.reviewTilesLoaded || 0) >= 2"))

    # keyboard: next pick, reject
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys("r")
    wait_for(lambda: statuses(review_file)["p1"].status == "rejected")
    assert "rejected" in browser.find_element(By.CSS_SELECTOR, '#pick-table tr[data-pick-id="p1"]').get_attribute("class")

    # drag the deepest point of a dipping pick: its dip and azimuth follow the mouse
    target = next(f"p{i + 1}" for i, p in enumerate(picks) if 20 < p.dip_deg < 60 and i > 0)
    browser.find_element(By.CSS_SELECTOR, f'#pick-table tr[data-pick-id="{target}"]').click()
    handle = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, f'.handle-trough[data-pick-id="{target}"]'))[0]
    before = statuses(review_file)[target].pick
    ActionChains(browser).click_and_hold(handle).move_by_offset(10, 5).move_by_offset(20, 10).release().perform()
    wait_for(lambda: statuses(review_file)[target].status == "edited")
    after = statuses(review_file)[target].pick
    assert abs(after.depth_m - before.depth_m) < 1e-3  # the centre line stays: only the shape changed
    assert after.dip_deg > before.dip_deg
    assert 20 < (after.azimuth_deg - before.azimuth_deg) % 360 < 40  # 30 px = 30 deg to the right

    # a new pick from three clicks on the image
    scroller = browser.find_element(By.ID, "scroller")
    track = browser.find_element(By.ID, "image-track")
    body.send_keys("n")
    # offsets from the scroller's centre, resolved when the clicks run: a page that moved since it
    # was measured (selenium scrolling a table row into view, say) cannot send them elsewhere
    track_x, width, view_h, scroll = settled(lambda: tuple(browser.execute_script(
        "const s = arguments[0].getBoundingClientRect(), t = arguments[1].getBoundingClientRect();"
        "return [t.left - s.left, s.width, arguments[0].clientHeight, arguments[0].scrollTop]", scroller, track)))
    clicks = ActionChains(browser)
    for x, dy in [(60, 0), (180, 30), (300, 0)]:  # azimuth 60, 180, 300 deg; the trace is deepest at 180
        clicks.move_to_element_with_offset(scroller, int(track_x + x - width / 2), int(dy)).click()
    clicks.perform()
    manual = wait_for(lambda: [rp for rp in statuses(review_file).values() if rp.status == "manual"])[0]
    centre_m = 1000.0 + (scroll + view_h / 2 + 10) / 100.0  # mean of the three click depths at 100 px/m
    assert abs(manual.pick.depth_m - centre_m) < 0.02
    assert abs(manual.pick.azimuth_deg - 180.0) < 3.0

    # reload: everything is still there, from the file
    browser.refresh()
    wait_for(lambda: browser.execute_script("return window.reviewReady === true"))
    row_status = {r.get_attribute("data-pick-id"): r.find_elements(By.TAG_NAME, "td")[-1].text
                  for r in browser.find_elements(By.CSS_SELECTOR, "#pick-table tbody tr[data-pick-id]")}
    assert row_status["p1"] == "rejected" and row_status[target] == "edited" and row_status[manual.pick_id] == "manual"
    assert len(row_status) == len(picks) + 1
    # export from the page: written beside the review file, without the rejected pick
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.ID, "export-format")).select_by_value("geolog")
    browser.find_element(By.ID, "export-btn").click()
    exported = review_file.with_name("W1_reviewed_picks_geolog.csv")
    wait_for(lambda: exported.is_file())
    assert len(read_picks(exported)) == len(picks)  # one rejected, one added
    shot = os.environ.get("GEOBFDT_SCREENSHOT")
    if shot:
        browser.find_element(By.CSS_SELECTOR, f'#pick-table tr[data-pick-id="{target}"]').click()
        wait_for(lambda: browser.execute_script("return (window.reviewTilesLoaded || 0) >= 2"))
        from PIL import Image
        browser.save_screenshot(shot)
        Image.open(shot).convert("RGB").quantize(128).save(shot, optimize=True)  # a small PNG for docs/


@pytest.fixture
def similar_server(tmp_path):
    """An in-process server whose session holds model candidates (no model needed)."""
    import socket
    import threading

    import uvicorn

    from geobfdt.review.app import build_app
    from geobfdt.review.session import ReviewSession
    from geobfdt.io.review_file import review_paths
    from geobfdt.review.store import ReviewStore
    from geobfdt.well import Pick

    well, _ = synthesize_well(3, length_m=10.0, tool="fmi", top_m=500.0, name="S")
    picks = [Pick(502.0, 30.0, 90.0, "fracture", 0.9), Pick(507.0, 10.0, 200.0, "bedding", 0.8)]
    candidates = [Pick(502.6, 33.0, 95.0, "fracture", 0.3), Pick(503.1, 28.0, 85.0, "fracture", 0.2),
                  Pick(502.4, 75.0, 270.0, "fracture", 0.4)]  # the last: another plane, never proposed
    session = ReviewSession(well=well, store=ReviewStore(*review_paths(tmp_path, "S"), picks), candidates=candidates,
                            out_dir=tmp_path, stem="S")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(build_app(session, "tok"), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/?token=tok", session.store.path
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_pick_similar_and_undo_in_the_browser(similar_server, browser):
    from selenium.webdriver.common.by import By

    url, review_file = similar_server
    browser.get(url)
    wait_for(lambda: browser.execute_script("return window.reviewReady === true"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys("a")  # accept the first pick: its similar candidates are proposed
    proposed = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#similar-list li[data-candidate-id]"))
    assert [li.get_attribute("data-candidate-id") for li in proposed] == ["c2", "c3"]  # ids by depth, c1 the steep one
    assert browser.find_elements(By.CSS_SELECTOR, '#overlay g.candidate[data-candidate-id="c2"]')
    body.send_keys("y")  # accept the nearest, then decline the next
    wait_for(lambda: len(statuses(review_file)) == 3)
    body.send_keys("d")
    wait_for(lambda: len(statuses(review_file)) == 4)
    by_depth = {round(rp.pick.depth_m, 1): rp.status for rp in statuses(review_file).values()}
    assert by_depth == {502.0: "accepted", 502.6: "accepted", 503.1: "rejected", 507.0: "auto"}
    body.send_keys("u")  # undo the decline
    wait_for(lambda: len(statuses(review_file)) == 3)
    body.send_keys("U")  # and redo it
    wait_for(lambda: len(statuses(review_file)) == 4)


@pytest.fixture
def features_server(tmp_path):
    """`geobfdt review --features vugs breakouts` on a 12 m FMI well drawn with vugs, a breakout and
    induced fractures (the generator config the feature measurements use)."""
    import json

    from geobfdt.synth.config import SynthConfig

    config = SynthConfig.from_dict(json.loads((Path(__file__).resolve().parents[1] / "configs/features/fmi.json")
                                              .read_text()))
    well, picks = synthesize_well(11, length_m=12.0, config=config, tool="fmi", top_m=1000.0, name="F")
    write_npz(well, tmp_path / "F.npz")
    write_picks_csv(tmp_path / "F_picks.csv", picks)
    with review_server(tmp_path / "F.npz", "--picks", tmp_path / "F_picks.csv", "--features", "vugs", "breakouts") as url:
        yield url, well


def test_the_table_says_which_picks_the_implanted_copies_lost(tmp_path, browser):
    """Picks from inject-test or predict --self-calibrate carry found_again: the table shows it, "no" on a
    pick the copies lost (review it first)."""
    from dataclasses import replace

    from selenium.webdriver.common.by import By

    well, picks = synthesize_well(7, length_m=12.0, tool="fmi", top_m=1000.0, name="W")
    picks = [replace(p, score=0.8, found_again=float(k % 2)) for k, p in enumerate(picks)]
    write_npz(well, tmp_path / "W.npz")
    write_picks_csv(tmp_path / "W_picks.csv", picks)
    with review_server(tmp_path / "W.npz", "--picks", tmp_path / "W_picks.csv") as url:
        browser.get(url)
        wait_for(lambda: browser.execute_script("return window.reviewReady === true"))
        assert browser.find_element(By.CSS_SELECTOR, "#pick-table th.again").is_displayed()
        rows = browser.find_elements(By.CSS_SELECTOR, "#pick-table tbody tr[data-pick-id]")
        again = [r.find_element(By.CSS_SELECTOR, "td.again").text for r in rows]
        assert again == ["yes" if k % 2 else "no" for k in range(len(rows))]


def test_features_overlay_draws_and_toggles(features_server, browser):
    from selenium.webdriver.common.by import By

    url, well = features_server
    browser.get(url)
    wait_for(lambda: browser.execute_script("return window.reviewReady === true"))
    assert browser.find_element(By.ID, "features-toggle").is_displayed()
    truth = well.provenance["feature_truth"]
    assert truth["breakouts"]
    # scroll to the first drawn breakout: its lobes and the vugs / induced fractures near it are drawn
    browser.execute_script("arguments[0].scrollTop = yOf(arguments[1]) - 100", browser.find_element(By.ID, "scroller"),
                           float(min(b[0] for b in truth["breakouts"])))
    drawn = lambda: len(browser.find_elements(By.CSS_SELECTOR, "#features-overlay > *"))  # noqa: E731
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#features-overlay rect.breakout"))
    shown = wait_for(drawn)
    # the Features box and the `v` key hide the overlay and bring it back; the picks stay
    browser.find_element(By.ID, "show-features").click()
    wait_for(lambda: drawn() == 0)
    assert browser.find_elements(By.CSS_SELECTOR, "#overlay g.pick[data-pick-id]")
    browser.find_element(By.TAG_NAME, "body").send_keys("v")
    wait_for(lambda: drawn() == shown)
    assert browser.find_element(By.ID, "show-features").is_selected()
    shot = os.environ.get("GEOBFDT_SCREENSHOT_FEATURES")
    if shot:
        wait_for(lambda: browser.execute_script("return (window.reviewTilesLoaded || 0) >= 2"))
        from PIL import Image
        browser.save_screenshot(shot)
        Image.open(shot).convert("RGB").quantize(128).save(shot, optimize=True)  # a small PNG for docs/
