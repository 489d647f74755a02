"""Where `geobfdt predict` spends its time, end to end from process start (docs/benchmarks.md).

    python scripts/profile_predict.py WELL [WELL ...] [--repeats 3] [-- extra predict options]

Runs `geobfdt predict WELL --out TMP` in a fresh process per repeat and prints, best of the
repeats by total, the wall time per stage: import (process start to the predict command,
including Python start-up), model (loading the model file and building the ONNX Runtime session, which
the command itself overlaps with the read), read, normalise (extreme pooling,
resampling, dynamic normalisation), patching (cutting windows), forward (the detector),
decode/merge (score filter, trace checks, picks, duplicate merging), write. The child runs the
chunks serially so the stages do not overlap; `total` is the wall time of the default
(overlapped) command measured separately by the parent.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time

STAGES = ["import", "model", "read", "normalise", "patching", "forward", "decode/merge", "write"]


def child(launched: float, argv: list[str]) -> None:
    """Run the predict command with every stage wrapped by a timer; print the times as JSON."""
    seconds = dict.fromkeys(STAGES, 0.0)
    cpu = dict.fromkeys(STAGES, 0.0)  # CPU seconds of the process (all threads): steadier on a busy machine

    def timed(stage, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - start
                cpu[stage] += time.process_time() - start_cpu
        return wrapper

    from geobfdt import cli  # noqa: E402 (timed as part of import)
    import geobfdt.commands.predict as predict_command
    parser = cli.build_parser()
    args = parser.parse_args(argv)
    seconds["import"] = time.time() - launched  # interpreter start-up + CLI; the lazy imports below add to it
    cpu["import"] = time.process_time()
    start, start_cpu = time.perf_counter(), time.process_time()
    import geobfdt.io
    import geobfdt.io.picks as picks_io
    import geobfdt.picking.engine as engine
    import geobfdt.picking.whole_well as whole_well
    import geobfdt.preprocess.image as image
    seconds["import"] += time.perf_counter() - start
    cpu["import"] += time.process_time() - start_cpu

    load_engine = engine.load_engine

    def load_engine_and_session(*args, **kwargs):
        """The ONNX Runtime session is built in the background while the command reads the well;
        here it is waited for, so that its time shows in this row and not in the read's."""
        loaded = load_engine(*args, **kwargs)
        getattr(loaded[0], "session", None)
        return loaded

    engine.load_engine = timed("model", load_engine_and_session)
    geobfdt.io.read_well = timed("read", geobfdt.io.read_well)
    image.prepare_well = timed("normalise", image.prepare_well)
    whole_well.extract_patches = timed("patching", whole_well.extract_patches)
    whole_well.window_predictions = timed("forward", whole_well.window_predictions)
    serial = functools.partial(whole_well.pick_well_detr, overlap=False)
    whole_well.pick_well_detr = timed("pick", functools.update_wrapper(serial, whole_well.pick_well_detr))
    for fmt, (suffix, writer) in list(picks_io.PICK_WRITERS.items()):
        picks_io.PICK_WRITERS[fmt] = (suffix, timed("write", writer))
    seconds["pick"] = cpu["pick"] = 0.0
    predict_command.run(args)
    for times in (seconds, cpu):
        times["decode/merge"] = times.pop("pick") - times["normalise"] - times["patching"] - times["forward"]
    print(json.dumps({"wall": seconds, "cpu": cpu}))


def measure(well: str, extra: list[str], repeats: int) -> dict:
    """Best of `repeats`: the stage breakdown (serial child) and the default command's wall time."""
    best, totals = None, []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats):
            argv = ["predict", well, "--out", out, *extra]
            launched = time.time()
            child_out = subprocess.run([sys.executable, __file__, "--child", repr(launched), *argv],
                                       capture_output=True, text=True, check=True)
            stages = json.loads(child_out.stdout.strip().splitlines()[-1])
            if best is None or sum(stages["wall"].values()) < sum(best["wall"].values()):
                best = stages
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "geobfdt.cli", *argv], capture_output=True, check=True)
            totals.append(time.perf_counter() - start)
    best["default"] = min(totals)
    return best


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(float(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wells", nargs="+")
    parser.add_argument("--repeats", type=int, default=3)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1:]  # more predict options
    print(f"load {os.getloadavg()[0]:.2f} (1-minute average at start)")
    for well in args.wells:
        stages = measure(well, extra, args.repeats)
        wall, cpu = stages["wall"], stages["cpu"]
        print(f"{well} {' '.join(extra)}: best of {args.repeats}; stage   wall s  share   CPU s")
        for stage in STAGES:
            print(f"  {stage:14s} {wall[stage]:7.2f} {100 * wall[stage] / sum(wall.values()):5.1f} % {cpu[stage]:7.2f}")
        print(f"  {'sum (serial)':14s} {sum(wall.values()):7.2f}         {sum(cpu.values()):7.2f}")
        print(f"  {'default cmd':14s} {stages['default']:7.2f}  (wall, overlapped, as a user runs it)")
    print(f"load {os.getloadavg()[0]:.2f} (1-minute average at end)")


if __name__ == "__main__":
    main()
