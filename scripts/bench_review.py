"""How fast the review page opens on a 2 km well at 0.1 in (docs/review.md).

Builds a 2,000 m, 360-column image at 0.1 in (787,400 rows, 1.1 GB float32) by repeating a
20 m synthetic FMI-like well, with its picks repeated likewise, serves it in-process as
`geobfdt review` does, and times in headless chromium: from the page request to the page
ready (well, state, pick table and sinusoids drawn) and to every tile on screen loaded.
Each opening gets a fresh server (its first tiles warmed before serving, as `geobfdt review`
does before printing its URL) and a fresh browser profile.

Usage: python scripts/bench_review.py [--length-m 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from geobfdt.review.app import build_app
from geobfdt.review.session import ReviewSession
from geobfdt.io.review_file import review_paths
from geobfdt.review.store import ReviewStore
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick, Well

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900"]


def long_well(length_m: float):
    piece, picks = synthesize_well(11, length_m=20.0, tool="fmi", top_m=1000.0, name="LONG")
    piece.image[~np.isfinite(piece.image)] = np.nan
    span = piece.depth_m[-1] - piece.depth_m[0] + piece.depth_step_m
    copies = int(np.ceil(length_m / span))
    rows = piece.depth_m.size * copies
    well = Well(name="LONG", depth_m=piece.depth_m[0] + np.arange(rows) * piece.depth_step_m,
                azimuth_deg=piece.azimuth_deg, image=np.tile(piece.image, (copies, 1)),
                radius_m=np.tile(piece.radius_m, copies), radius_source="caliper", tool="fmi")
    all_picks = [Pick(p.depth_m + k * span, p.dip_deg, p.azimuth_deg, p.type, 0.5 + 0.5 * ((i * 7919) % 100) / 100,
                      well="LONG") for k in range(copies) for i, p in enumerate(picks)]
    return well, all_picks


def serve(app):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, sock.getsockname()[1]


def open_once(url: str) -> tuple[float, float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    profile = tempfile.mkdtemp()
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        started = time.perf_counter()
        driver.get(url)
        ready = tiles = None
        while tiles is None:
            loaded, is_ready, on_screen = driver.execute_script(
                "const s = document.getElementById('scroller');"
                "const need = s ? Math.ceil((s.scrollTop + s.clientHeight) / 512) : 99;"
                "return [window.reviewTilesLoaded || 0, window.reviewReady === true, need];")
            now = time.perf_counter() - started
            if is_ready and ready is None:
                ready = now
            if is_ready and loaded >= on_screen:
                tiles = now
            time.sleep(0.01)
        return ready, tiles
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length-m", type=float, default=2000.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    well, picks = long_well(args.length_m)
    print(f"well: {well.depth_m[-1] - well.depth_m[0]:.0f} m, {well.image.shape[0]} rows x {well.width} columns, "
          f"step {well.depth_step_m * 1000:.2f} mm, {well.image.nbytes / 2**30:.2f} GiB; {len(picks)} picks")
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            for old in Path(folder).iterdir():
                old.unlink()
            session = ReviewSession(well=well, store=ReviewStore(*review_paths(folder, "LONG"), picks), candidates=[],
                                    out_dir=Path(folder), stem="LONG")
            server, port = serve(build_app(session, "t", warm_tiles=3))  # as geobfdt review does before its URL
            ready, tiles = open_once(f"http://127.0.0.1:{port}/?token=t")
            print(f"run {run + 1}: page ready {ready:.2f} s, tiles on screen loaded {tiles:.2f} s")
            server.should_exit = True
            time.sleep(0.3)


if __name__ == "__main__":
    main()
