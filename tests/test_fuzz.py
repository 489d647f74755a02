"""Property-based fuzzing: every reader and every command's options, fed truncated, bit-flipped,
spliced and random inputs, ends in success or exit 2 with exactly one line on stderr starting
`geobfdt CMD: error:`, never a traceback, and writes nothing outside the folder the user named.

Commands run in-process through geobfdt.cli.main. The example counts are small here; `make fuzz`
(GEOBFDT_FUZZ=1) runs the same tests with FUZZ_FACTOR times more (docs/reliability.md has the counts).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import lasio
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.io import write_dlis, write_npz
from geobfdt.io.common import column_azimuths_deg
from geobfdt.io.dip_dlis import write_picks_dlis
from geobfdt.io.picks import write_picks_csv, write_picks_geolog, write_picks_wellcad
from geobfdt.model import build_model
from geobfdt.model.checkpoint import save_model
from geobfdt.well import Pick, Well

FUZZ = os.environ.get("GEOBFDT_FUZZ") == "1"
FUZZ_FACTOR = 20
PROGRESS = re.compile(r"\d+%\|")


def fuzz(examples: int):
    """`examples` per test here, FUZZ_FACTOR times more under `make fuzz`."""
    return settings(max_examples=examples * (FUZZ_FACTOR if FUZZ else 1), deadline=None, derandomize=not FUZZ,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


class Reached(BaseException):
    """Raised in place of the long work (training, synthesis) once a command has accepted its options.
    A BaseException, as KeyboardInterrupt is: the CLI reports any Exception that escapes a command
    as a bug (exit 70), and this is the test's stop signal, not one."""


# ---------------------------------------------------------------- the seeds the mutations start from

def small_well(rows=300, width=16, name="FZ-1"):
    rng = np.random.default_rng(0)
    image = rng.uniform(1, 10, (rows, width)).astype(np.float32)
    return Well(name, 1000.0 + np.arange(rows) * 0.01, column_azimuths_deg(width), image, 0.1,
                radius_source="caliper", tool="fmi")


def las_text(well_name="FZ-1", prefix="IMG", unit="ohm.m", depth_unit="M", null="-999.25", rows=40) -> str:
    depth = 1000 + np.arange(max(rows, 1)) * 0.1
    values = np.random.default_rng(1).uniform(1, 2, (rows, 8))
    curves = "\n".join(f"{prefix}{k}.{unit} : sector {k}" for k in range(1, 9))
    data = "\n".join(" ".join(f"{v:.4f}" for v in [d, *row]) for d, row in zip(depth[:rows], values))
    return (f"~VERSION INFORMATION\nVERS. 2.0 :\nWRAP. NO :\n~WELL INFORMATION\nSTRT.{depth_unit} {depth[0]} :\n"
            f"STOP.{depth_unit} {depth[-1]} :\nSTEP.{depth_unit} 0.1 :\nNULL. {null} :\nWELL. {well_name} : well\n"
            f"BS.in 8.5 : bit size\n~CURVE INFORMATION\nDEPT.{depth_unit} : depth\n{curves}\n~A\n{data}\n")


PICKS = [Pick(depth_m=1000.5 + 0.3 * i, dip_deg=10.0 + 7 * i, azimuth_deg=40.0 * i % 360,
              type="fracture" if i % 3 else "bedding", score=0.9, well="FZ-1") for i in range(8)]


class Seeds(dict):
    def __repr__(self):  # hypothesis prints the arguments of a failing example: not megabytes of them
        return f"Seeds({sorted(self)})"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Valid files of every kind read by a command, as bytes."""
    root = tmp_path_factory.mktemp("seeds")
    well = small_well()
    write_dlis(well, root / "w.dlis")
    write_npz(well, root / "w.npz")
    (root / "w.las").write_text(las_text())
    write_picks_csv(root / "p.csv", PICKS)
    write_picks_geolog(root / "g.csv", PICKS)
    write_picks_wellcad(root / "c.csv", PICKS)
    (root / "f.csv").write_text("DEPTH_MMDRF,DIPAZIMUTH_DEG,DIP_DEG,TYPE\n" + "".join(
        f"{p.depth_m},{p.azimuth_deg},{p.dip_deg},{p.type}\n" for p in PICKS))
    write_picks_dlis(root / "d.dlis", PICKS, well_name="FZ-1")
    (root / "s.csv").write_text("DEPTH,DEVI,AZIM\n990,1.0,10\n1005,2.0,20\n")
    cfg = tiny_config()
    save_model(build_model(cfg.model), cfg, root / "m.safetensors")
    (root / "c.yaml").write_text(yaml.safe_dump({"train": {"batch_size": 4, "seed": 3}, "model": {"d_model": 32}}))
    return Seeds({p.name: p.read_bytes() for p in root.iterdir()})


# ---------------------------------------------------------------- mutations

def mutated(data: bytes):
    """Truncated, bit-flipped, spliced with random bytes, or replaced by random bytes."""
    n = len(data)
    flips = st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 7)), min_size=1, max_size=8)

    def flip(changes):
        out = bytearray(data)
        for at, bit in changes:
            out[at] ^= 1 << bit
        return bytes(out)

    return st.one_of(
        st.integers(0, n).map(lambda k: data[:k]),
        flips.map(flip),
        st.tuples(st.integers(0, n), st.binary(max_size=64), st.integers(0, 64)).map(
            lambda t: data[:t[0]] + t[1] + data[t[0] + t[2]:]),
        st.binary(max_size=512),
    )


# any text a header may hold: control characters, path separators, quotes, non-ASCII
header_text = st.text(min_size=0, max_size=24)


# ---------------------------------------------------------------- running a command

class Sandbox:
    """A fresh folder as working directory, with an `out` folder the command may write into."""

    def __init__(self, monkeypatch):
        self.root = Path(tempfile.mkdtemp(prefix="fuzz-"))
        self.out = self.root / "out"
        monkeypatch.chdir(self.root)

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return str(self.root / name)

    def listing(self) -> set[Path]:
        return {p for p in self.root.rglob("*")}


TRIED = {"inputs": 0}


@pytest.fixture(scope="module", autouse=True)
def _report_count():
    """Under `make fuzz`, say how many inputs the module tried (any failing one fails its test)."""
    yield
    if FUZZ:  # past pytest's capture, which holds a module fixture's output
        sys.__stdout__.write(f"\nfuzz: {TRIED['inputs']} inputs tried (GEOBFDT_FUZZ=1, {FUZZ_FACTOR}x examples)\n")


def check(argv, sandbox: Sandbox, capsys, allowed=()):
    """Run geobfdt ARGV; it succeeds or fails with one error line, and writes only into the
    sandbox's out folder (or the given `allowed` files)."""
    TRIED["inputs"] += 1
    before = sandbox.listing()
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: --help, or an option it refuses
        code = exc.code
    except Reached:
        code = 0
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "not enough memory" not in err  # a limit should have refused it first (run under ulimit -v)
    assert code in (0, 2), (code, err)
    if code == 2:  # progress bars (tqdm: "reading wells:  50%|###  |") may come first; then one line
        lines = [line for line in re.split(r"[\r\n]+", err) if line.strip() and not PROGRESS.search(line)]
        assert len(lines) == 1 and lines[0].startswith(f"geobfdt {argv[0]}: error: "), err
    new = sandbox.listing() - before
    outside = [p for p in new if sandbox.out not in p.parents and p != sandbox.out
               and p not in {Path(a) for a in allowed}]
    assert not outside, outside
    return code, err


@pytest.fixture
def sandbox(monkeypatch):
    box = Sandbox(monkeypatch)
    yield box
    shutil.rmtree(box.root, ignore_errors=True)


# ---------------------------------------------------------------- well files

@pytest.mark.parametrize("name", ["w.dlis", "w.las", "w.npz"])
@fuzz(25)
@given(data=st.data())
def test_damaged_well_files(seeds, sandbox, capsys, name, data):
    path = sandbox.put(name, data.draw(mutated(seeds[name])))
    check(["info", path], sandbox, capsys)


@fuzz(15)
@given(well=header_text, prefix=header_text, unit=header_text, depth_unit=header_text, null=header_text,
       rows=st.integers(0, 40))
def test_las_header_fields(sandbox, capsys, well, prefix, unit, depth_unit, null, rows):
    path = sandbox.put("w.las", las_text(well, prefix, unit, depth_unit, null, rows).encode("utf-8", "surrogatepass"))
    check(["info", path], sandbox, capsys)


@fuzz(15)
@given(well=header_text, channel=header_text, units=header_text, tool=header_text)
def test_dlis_header_fields(sandbox, capsys, well, channel, units, tool):
    w = small_well(name=well)
    w.tool = tool
    try:
        write_dlis(w, sandbox.root / "w.dlis", image_channel_name=channel or "X", image_units=units or None)
    except Exception:  # the writer's own limits on names are not what is tested here
        assume(False)
    check(["info", sandbox.root / "w.dlis"], sandbox, capsys)


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=3), max_leaves=8)
array_like = st.one_of(
    st.text(max_size=12).map(np.array),
    st.lists(st.floats(), max_size=6).map(lambda v: np.array(v, np.float64)),
    st.lists(st.lists(st.floats(width=32), min_size=1, max_size=3), min_size=1, max_size=4).filter(
        lambda v: len({len(r) for r in v}) == 1).map(lambda v: np.array(v, np.float32)),
    st.lists(st.text(max_size=3), max_size=4).map(np.array),
)


@fuzz(25)
@given(field=st.sampled_from(["name", "tool", "radius_source", "provenance", "depth_m", "azimuth_deg", "image",
                              "radius_m", "inclination_deg", "hole_azimuth_deg"]),
       value=array_like, provenance=json_values)
def test_npz_fields(sandbox, capsys, field, value, provenance):
    w = small_well()
    arrays = {"name": np.array(w.name), "depth_m": w.depth_m, "azimuth_deg": w.azimuth_deg, "image": w.image,
              "radius_m": w.radius_m, "provenance": np.array(json.dumps(provenance))}
    arrays[field] = value
    np.savez(sandbox.root / "w.npz", **arrays)
    check(["info", sandbox.root / "w.npz"], sandbox, capsys)


# ---------------------------------------------------------------- pick files

@pytest.mark.parametrize("name", ["p.csv", "g.csv", "c.csv", "f.csv", "d.dlis"])
@fuzz(20)
@given(data=st.data())
def test_damaged_pick_files(seeds, sandbox, capsys, name, data):
    pred = sandbox.put("pred_" + name, data.draw(mutated(seeds[name])))
    truth = sandbox.put("truth.csv", seeds["p.csv"])
    check(["evaluate", pred, truth], sandbox, capsys)


KNOWN_COLUMNS = ["depth_m", "dip_deg", "azimuth_deg", "type", "score", "well", "DEPTH", "CATEGORY", "DIP_APP",
                 "AZIM_APP", "DIP", "AZIMUTH", "Feature Depth", "Depth", "Type", "DEPTH_MMDRF", "DIPAZIMUTH_DEG",
                 "DIP_DEG", "TYPE"]
cell = st.one_of(header_text, st.floats().map(repr), st.sampled_from(["fracture", "bedding", "Bed", "DITF", "m", "ft",
                                                                      "-999.25", ""]))


@fuzz(40)
@given(header=st.lists(st.one_of(st.sampled_from(KNOWN_COLUMNS), header_text), min_size=1, max_size=8),
       rows=st.lists(st.lists(cell, max_size=9), max_size=6), repeat_header=st.booleans())
def test_pick_file_cells(sandbox, capsys, header, rows, repeat_header):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows + ([header] if repeat_header else []))
    pred = sandbox.put("pred.csv", buffer.getvalue().encode("utf-8", "surrogatepass"))
    check(["evaluate", pred, pred], sandbox, capsys)


# ---------------------------------------------------------------- survey, model, config

@fuzz(15)
@given(data=st.data())
def test_damaged_survey(seeds, sandbox, capsys, data):
    well = sandbox.put("w.npz", seeds["w.npz"])
    survey = sandbox.put("s.csv", data.draw(st.one_of(mutated(seeds["s.csv"]), st.lists(
        st.lists(cell, max_size=4), max_size=5).map(lambda r: "\n".join(",".join(x) for x in r).encode(
            "utf-8", "surrogatepass")))))
    check(["predict", well, "--method", "hough", "--survey", survey, "--out", sandbox.out], sandbox, capsys)


@fuzz(15)
@given(data=st.data())
def test_damaged_model_file(seeds, sandbox, capsys, data):
    well = sandbox.put("w.npz", seeds["w.npz"])
    model = sandbox.put("m.safetensors", data.draw(mutated(seeds["m.safetensors"])))
    check(["predict", well, "--model", model, "--out", sandbox.out], sandbox, capsys)


@fuzz(25)
@given(config=json_values, threshold=json_values)
def test_model_settings_header(seeds, sandbox, capsys, config, threshold):
    from safetensors.torch import load_file, save_file

    sandbox.put("m.safetensors", seeds["m.safetensors"])
    state = load_file(sandbox.root / "m.safetensors")
    save_file(state, sandbox.root / "m.safetensors", metadata={
        "format": "geobfdt-detector-1", "geobfdt_config": json.dumps(config),
        "geobfdt_threshold": json.dumps(threshold)})
    check(["predict", sandbox.put("w.npz", seeds["w.npz"]), "--model", sandbox.root / "m.safetensors",
           "--out", sandbox.out], sandbox, capsys)


SETTINGS = {"model": ["backbone", "d_model", "nhead", "enc_layers", "num_queries", "dropout", "two_stage"],
            "train": ["batch_size", "micro_batch", "lr", "seed", "epochs", "patience", "num_threads"],
            "data": ["rows", "columns", "row_step_m", "stride_rows", "normalisation", "pooling", "window_m"],
            "loss": ["class_weight", "focal_gamma"]}
setting_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(), header_text,
                           st.lists(st.integers(), max_size=2))


def _stop(*_args, **_kwargs):
    raise Reached


@pytest.fixture
def stop_before_training(monkeypatch):
    """Training stops where it would start (after the model is built); pretraining also before it
    synthesises its validation patches."""
    from geobfdt.patches import synthetic
    from geobfdt.training import trainer

    monkeypatch.setattr(trainer.Trainer, "fit", _stop)
    monkeypatch.setattr(synthetic, "synthetic_patchset", _stop)


@fuzz(25)
@given(data=st.data())
def test_config_files(seeds, sandbox, capsys, stop_before_training, data):
    text = data.draw(st.one_of(
        st.fixed_dictionaries({}, optional={section: st.dictionaries(st.sampled_from(keys), setting_values, max_size=3)
                                            for section, keys in SETTINGS.items()}).map(yaml.safe_dump).map(str.encode),
        mutated(seeds["c.yaml"])))
    config = sandbox.put("c.yaml", text)
    check(["pretrain", "--out", sandbox.out, "--config", config, "--max-samples", "1", "--val-patches", "1",
           "--steps-per-epoch", "1", "--device", "cpu"], sandbox, capsys)


# ---------------------------------------------------------------- every command's options

number_text = st.one_of(st.integers(-(10**12), 10**12).map(str), st.floats().map(repr),
                        st.sampled_from(["0", "-1", "1", "nan", "inf", "-inf", "1e308", "", "x"]))
any_arg = st.one_of(number_text, header_text.filter(lambda s: not s.startswith("-")))


def _options(spec: dict):
    """Some of the command's options, each with a random (number-like or text) value."""
    return st.lists(st.sampled_from(sorted(spec)), unique=True, max_size=4).flatmap(
        lambda names: st.tuples(*[spec[n] for n in names]).map(
            lambda values: [x for n, v in zip(names, values) for x in ([n] if v is None else [n, v])]))


DEVICE = st.sampled_from(["bogus", "cuda", "cuda:7", "cpu:3", "meta", "cpu", "auto", "", "mps"])
READER = {"--image-channel": any_arg, "--bit-size-in": number_text, "--max-image-gib": number_text,
          "--ram-image-gib": number_text}
TRAINING = {"--seed": number_text, "--max-minutes": number_text, "--max-samples": number_text,
            "--lr-drop-minutes": number_text, "--lr-drop-samples": number_text, "--device": DEVICE,
            "--set": st.sampled_from(["train.lr=-1", "model.d_model=x", "x=1", "train.seed=1e400", "=", "train.batch_size=0"])}
COMMAND_OPTIONS = {
    "info": {**READER, "--json": st.none()},
    "predict": {**READER, "--batch-size": number_text, "--threshold": number_text, "--device": DEVICE,
                "--method": st.sampled_from(["hough", "detr", "x"]), "--plot": st.none(),
                "--self-calibrate": st.none(), "--copies": number_text},
    "plot": {**READER, "--top-m": number_text, "--bottom-m": number_text, "--window-m": number_text,
             "--image": st.sampled_from(["static", "raw", "x"])},
    "evaluate": {"--tolerance-cm": number_text, "--json": st.none(), "--strata": st.none()},
    "calibrate": {**READER, "--device": DEVICE, "--method": st.sampled_from(["platt", "x"]), "--no-intervals": st.none()},
    "train": {**READER, **TRAINING, "--epochs": number_text, "--val-wells": any_arg, "--backbone": any_arg},
    "pretrain": {**TRAINING, "--steps-per-epoch": number_text, "--val-patches": number_text, "--workers": number_text},
    "synth": {"--wells": number_text, "--length-m": number_text, "--seed": number_text, "--workers": number_text},
    "demo": {**TRAINING, "--wells": number_text, "--length-m": number_text},
    "ablate": {**TRAINING, "--seeds": number_text, "--length-m": number_text},
    "review": {**READER, "--port": number_text, "--device": DEVICE, "--export": st.sampled_from(["geobfdt", "x"])},
}


def _positionals(command, files):
    well, picks, out = files["well"], files["picks"], files["out"]
    return {"info": [well], "predict": [well, "--out", out, "--method", "hough"],
            "plot": [well, "--picks", picks, "--top-m", "1000.5", "--bottom-m", "1002", "--out", f"{out}/p.png"],
            "evaluate": [picks, picks], "calibrate": [well, "--truth", picks, "--out", f"{out}/m.safetensors"],
            "train": [well, "--out", out, "--from-scratch"], "pretrain": ["--out", out],
            "synth": [out], "demo": ["--out", out], "ablate": ["backbone", "--out", out],
            "review": [well, "--picks", picks, "--out", out, "--export", "geobfdt"]}[command]


@pytest.fixture
def stop_long_work(monkeypatch, stop_before_training):
    import geobfdt.synth

    monkeypatch.setattr(geobfdt.synth, "synthesize_corpus", _stop)


@pytest.mark.parametrize("command", sorted(COMMAND_OPTIONS))
@fuzz(8)
@given(data=st.data())
def test_command_options(seeds, sandbox, capsys, stop_long_work, command, data):
    files = {"well": sandbox.put("w.npz", seeds["w.npz"]), "picks": sandbox.put("w_picks.csv", seeds["p.csv"]),
             "out": str(sandbox.out)}
    argv = [command, *_positionals(command, files), *data.draw(_options(COMMAND_OPTIONS[command]))]
    check(argv, sandbox, capsys)


@pytest.mark.parametrize("command", ["predict", "train", "pretrain", "synth", "demo", "ablate"])
@pytest.mark.parametrize("where", ["file", "under_file"])
def test_out_that_is_a_file_or_under_one(seeds, sandbox, capsys, stop_long_work, command, where):
    blocker = Path(sandbox.put("blocker", b"x"))
    files = {"well": sandbox.put("w.npz", seeds["w.npz"]), "picks": sandbox.put("w_picks.csv", seeds["p.csv"]),
             "out": str(blocker if where == "file" else blocker / "sub")}
    code, err = check([command, *_positionals(command, files)], sandbox, capsys)
    assert code == 2 and "is a file, not a folder" in err


def test_subprocess_damaged_file_no_traceback(tmp_path, seeds):
    (tmp_path / "w.npz").write_bytes(seeds["w.npz"][:-100])
    result = subprocess.run([sys.executable, "-m", "geobfdt.cli", "info", str(tmp_path / "w.npz")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("geobfdt info: error: ")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
