"""kill -9 at any instant leaves the old file or the whole new one, never half of one.

A forked child rewrites a target in a loop with the project's own writers (pick CSV, model
file, figure, JSON); the parent SIGKILLs it at random instants (uniform over three write
durations) and checks the target each time: identical to one uninterrupted write (the old
version or a new one; byte for byte, except a model file's header, whose metadata order
safetensors does not fix, so its tensors and metadata are compared), and parseable. A plain open(..., "w") writer in the same harness is caught tearing its file,
so the harness can fail. GEOBFDT_KILL_ITERATIONS raises the kill count (`make fuzz`).
"""

import json
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest

from conftest import tiny_config
from geobfdt.files import atomic_path, write_text_atomic
from geobfdt.io.picks import read_picks, write_picks_csv
from geobfdt.model import build_model
from geobfdt.model.checkpoint import read_model_file, save_model
from geobfdt.well import Pick

KILLS = int(os.environ.get("GEOBFDT_KILL_ITERATIONS", "20"))
VERSIONS = 3


def _picks(version: int) -> list[Pick]:
    return [Pick(depth_m=1000.0 + 0.01 * i, dip_deg=float((i * 7 + version) % 90), azimuth_deg=float(i % 360),
                 type="fracture" if i % 3 else "bedding", score=0.5, well="21/10-A5") for i in range(2000)]


def _figure(path, version: int):
    import matplotlib.pyplot as plt

    from geobfdt.reports.plots import save_figure

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(range(50), [(i * (version + 1)) % 17 for i in range(50)])
    save_figure(fig, path, dpi=40)


def _torn_writer(path, version: int):
    """What the project must not do: write the target in place, in pieces."""
    with open(path, "w") as f:
        for i in range(200):
            f.write(f"{version},{i}\n" * 50)
            f.flush()


def _model_content(path):
    state, header = read_model_file(path)
    cfg, thresholds, info = header.config, header.thresholds, header.info
    return json.dumps([cfg.to_dict(), thresholds, info]), tuple((k, v.numpy().tobytes()) for k, v in sorted(state.items()))


def _png_content(path):
    data = Path(path).read_bytes()
    assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
    return data


MODEL = build_model(tiny_config().model)
WRITERS = {  # target name: (write(path, version), content(path): parses the file, for comparison)
    "W_picks.csv": (lambda path, v: write_picks_csv(path, _picks(v)),
                    lambda path: (read_picks(path), Path(path).read_bytes())[1]),
    "best.safetensors": (lambda path, v: save_model(MODEL, tiny_config(), path, extra={"version": v}), _model_content),
    "W_rose.png": (_figure, _png_content),
    "summary.json": (lambda path, v: write_text_atomic(path, json.dumps({"v": v, "rows": list(range(20000))})),
                     lambda path: (json.loads(Path(path).read_text()), Path(path).read_bytes())[1]),
}


def _loop(write, path, version, took_s):
    started = time.perf_counter()
    while True:
        write(path, version % VERSIONS)
        took_s.value = time.perf_counter() - started  # fork to the first rename, then one write
        started = time.perf_counter()
        version += 1


def _kill_at_random_instants(write, content, target: Path, kills: int, seed: int) -> list:
    """content(target) after each of `kills` SIGKILLs of a writer rewriting it in a loop."""
    context = multiprocessing.get_context("fork")  # the imports are done: a child starts at once
    started = time.perf_counter()
    write(target, 0)
    window_s = 2 * (time.perf_counter() - started)
    rng = random.Random(seed)
    seen = []
    for kill in range(kills):  # each child starts on another version than the file holds
        took_s = context.RawValue("d", 0.0)  # no lock: a child killed holding it would block us
        child = context.Process(target=_loop, args=(write, target, kill + 1, took_s), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.0, window_s))  # kills land in every phase of a write
        # about two writes of the child per window, however loaded the disk is
        window_s = 2 * took_s.value if took_s.value else min(2 * window_s, 5.0)
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        seen.append(content(target))
    return seen


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_sigkill_leaves_the_old_file_or_the_whole_new_one(tmp_path, name):
    write, content = WRITERS[name]
    complete = []
    for version in range(VERSIONS):
        reference = tmp_path / "reference" / f"{version}-{name}"
        write(reference, version)
        complete.append(content(reference))
    out = tmp_path / "out"
    seen = _kill_at_random_instants(write, content, out / name, KILLS, seed=len(name))
    assert all(c in complete for c in seen)  # content() also raised on any file it cannot parse
    assert len({complete.index(c) for c in seen}) >= 2  # the children did replace the file
    # a killed writer cannot clean up after itself: what it leaves is hidden and no output pattern matches it
    leftovers = [p.name for p in out.iterdir() if p.name != name]
    assert all(n.startswith(f".{name}.") and n.endswith(".tmp") for n in leftovers)
    assert [p.name for p in out.glob("[!.]*")] == [name]


def test_the_harness_catches_a_writer_that_writes_in_place(tmp_path):
    complete = set()
    for version in range(VERSIONS):
        _torn_writer(tmp_path / f"{version}.csv", version)
        complete.add((tmp_path / f"{version}.csv").read_bytes())
    seen = _kill_at_random_instants(_torn_writer, lambda path: path.read_bytes(), tmp_path / "torn.csv", 10, seed=1)
    assert any(c not in complete for c in seen)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "config.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            Path(tmp).write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["config.json"]
