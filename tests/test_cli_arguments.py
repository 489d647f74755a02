"""The known ways a command used to end in a traceback, each now one line on stderr and exit 2."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.config import Config
from geobfdt.errors import GeoBFDTError
from geobfdt.model import build_model
from geobfdt.model.checkpoint import load_compatible_weights, load_state, save_model, save_state


def one_error(argv, capsys, expected: str, command=None):
    with pytest.raises(SystemExit) as parse_error:
        raise SystemExit(main(argv))
    err = capsys.readouterr().err
    assert parse_error.value.code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"geobfdt {command or argv[0]}: error: "), err
    assert expected in lines[0]


@pytest.mark.parametrize("argv, expected", [
    (["predict", "w.npz", "--out", "o", "--batch-size", "0"], "argument --batch-size: must be from 1 to 1024, got 0"),
    (["predict", "w.npz", "--out", "o", "--batch-size", "-1"], "must be from 1 to 1024, got -1"),
    (["predict", "w.npz", "--out", "o", "--device", "bogus"], "--device 'bogus': not a device"),
    (["predict", "w.npz", "--out", "o", "--device", "meta"], "--device 'meta': not a device"),
    (["train", "d", "--out", "o", "--seed", "-3"], "argument --seed: must be from 0 to 4294967295, got -3"),
    (["pretrain", "--out", "o", "--seed", "-1"], "argument --seed: must be from 0"),
    (["pretrain", "--out", "o", "--val-patches", "0"], "argument --val-patches: must be from 1 to 4096, got 0"),
    (["pretrain", "--out", "o", "--max-minutes", "nan"], "argument --max-minutes: must be a finite number"),
    (["synth", "o", "--length-m", "1e9"], "argument --length-m: must be at most 1000"),
    (["info", "w.npz", "--max-image-gib", "0"], "argument --max-image-gib: must be positive"),
    (["evaluate", "a", "b", "--tolerance-cm", "x"], "argument --tolerance-cm: expected a number, got 'x'"),
    # an option of another command: the line names the command and its --help, not bare `geobfdt`
    (["inject-test", "w.npz", "--out", "o", "--method", "hough"],
     "unrecognized arguments: --method hough (see geobfdt inject-test --help)"),
])
def test_impossible_arguments(tmp_path, monkeypatch, capsys, argv, expected):
    monkeypatch.chdir(tmp_path)
    one_error(argv, capsys, expected)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("command", [["predict", "w.npz"], ["train", "d"], ["pretrain"], ["demo"]])
def test_out_that_is_a_file_or_under_one(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("x")
    one_error([*command, "--out", "f"], capsys, "--out f is a file, not a folder", command[0])
    one_error([*command, "--out", "f/run"], capsys, "--out f/run lies under f, which is a file", command[0])
    assert (tmp_path / "f").read_text() == "x"


def _model(tmp_path, metadata=None, change=None):
    cfg = tiny_config()
    model = build_model(cfg.model)
    save_model(model, cfg, tmp_path / "m.safetensors")
    if metadata is not None or change is not None:
        state = load_file(tmp_path / "m.safetensors")
        if change:
            change(state)
        meta = {"format": "geobfdt-detector-1", "geobfdt_config": json.dumps(cfg.to_dict())}
        save_file(state, tmp_path / "m.safetensors", metadata={**meta, **(metadata or {})})
    return model, tmp_path / "m.safetensors"


@pytest.mark.parametrize("config, expected", [
    ([1], "expected a mapping, got list"),
    ({"model": {"d_model": "32"}}, "config.model.d_model: expected int, got str '32'"),
    ({"model": {"two_stage": 1}}, "config.model.two_stage: expected bool, got int"),
    ({"train": {"lr": -1.0}}, "config.train.lr: must be a finite number, not negative"),
    ({"model": {"nhead": 5}}, "model settings no detector can be built from"),
])
def test_model_file_with_damaged_settings(tmp_path, config, expected):
    from geobfdt.model.checkpoint import load_model

    _, path = _model(tmp_path, metadata={"geobfdt_config": json.dumps(
        config if not isinstance(config, dict) else {**tiny_config().to_dict(), **{
            k: {**tiny_config().to_dict()[k], **v} for k, v in config.items()}})})
    with pytest.raises(GeoBFDTError, match=expected):
        load_model(path)


@pytest.mark.parametrize("change, expected", [
    (lambda s: s.update(extra=torch.zeros(3)), "1 tensors this model does not have"),
    (lambda s: s.pop(sorted(s)[0]), "1 tensors missing"),
])
def test_init_with_an_extra_or_a_missing_tensor(tmp_path, change, expected):
    model, path = _model(tmp_path, change=change)
    with pytest.raises(GeoBFDTError, match=expected):
        load_compatible_weights(model, path)


def test_damaged_training_state_and_run_settings(tmp_path):
    from geobfdt.config import read_config_json

    model = build_model(tiny_config().model)
    optimizer = torch.optim.AdamW(model.parameters())
    save_state(tmp_path / "state.safetensors", optimizer, {"epoch": 3}, model)
    assert load_state(tmp_path / "state.safetensors", optimizer, model)["epoch"] == 3
    data = (tmp_path / "state.safetensors").read_bytes()
    for damaged in (data[:20], b"\xff" * 64, data.replace(b'param_groups', b'param_groupz')):
        (tmp_path / "state.safetensors").write_bytes(damaged)
        with pytest.raises(GeoBFDTError, match="is damaged or not a GeoBFDT training state"):
            load_state(tmp_path / "state.safetensors", optimizer, model)
    for text in ("{", "[1]", '{"train": {"seed": "x"}}', "\udcff"):
        (tmp_path / "config.json").write_text(text, errors="surrogateescape")
        with pytest.raises(GeoBFDTError):
            read_config_json(tmp_path / "config.json")
    Config().save_json(tmp_path / "config.json")
    assert read_config_json(tmp_path / "config.json") == Config()


def test_resume_with_a_damaged_config_is_one_line(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{not json")
    one_error(["pretrain", "--out", str(tmp_path / "run"), "--resume", "--device", "cpu"], capsys,
              "--resume: ")


def test_the_demo_states_a_sample_budget_as_well_as_a_time_budget():
    """`geobfdt demo --max-samples N` once crashed formatting the minutes it did not have."""
    from dataclasses import replace

    from geobfdt.commands import training_budget
    from geobfdt.config import Config

    cfg = Config()
    assert training_budget(replace(cfg, train=replace(cfg.train, max_minutes=None, max_samples=64))) == "64 samples"
    assert training_budget(replace(cfg, train=replace(cfg.train, max_minutes=10.0, max_samples=None))) == "10 min"
    assert training_budget(replace(cfg, train=replace(cfg.train, max_minutes=2.5, max_samples=8))) == "2.5 min or 8 samples"


@pytest.mark.parametrize("argv", [
    ["demo", "--out", "d o", "--wells", "6", "--length-m", "8", "--max-samples", "32"],
    ["demo", "--wells", "5", "--seed", "7", "--max-minutes", "0.5", "--from-scratch", "--set", "train.lr=1e-4",
     "--lr-drop-samples", "16"],
])
def test_the_demo_report_names_the_command_that_makes_it_again(argv):
    """The report once said `geobfdt demo --out DIR --seed S` whatever the wells, length and budget were."""
    import shlex

    from geobfdt.cli import build_parser
    from geobfdt.commands import training_overrides
    from geobfdt.commands.demo import DEFAULT_MINUTES, demo_command
    from geobfdt.training.run import resolve_config

    def settings(args):
        cfg = resolve_config(args.config, training_overrides(args, DEFAULT_MINUTES), None)
        return cfg, (args.out, args.wells, args.length_m, args.from_scratch)

    parser = build_parser()
    cfg, shape = settings(parser.parse_args(argv))
    command = demo_command(parser.parse_args(argv), cfg)
    again_cfg, again_shape = settings(parser.parse_args(shlex.split(command)[1:]))
    assert again_shape == shape and again_cfg == cfg, command


def test_inject_test_refuses_a_well_too_short_to_implant_before_picking(tmp_path, capsys):
    """A 1 m well ran, wrote its report of 0 implants and exited 0."""
    from conftest import save_tiny_model
    from geobfdt.io import write_npz
    from geobfdt.synth import synthesize_well

    save_tiny_model(tmp_path / "tiny.safetensors")
    write_npz(synthesize_well(3, 1.0, tool="lwd", name="S")[0], tmp_path / "S.npz")
    one_error(["inject-test", str(tmp_path / "S.npz"), "--model", str(tmp_path / "tiny.safetensors"), "--engine",
               "torch", "--out", str(tmp_path / "out")], capsys, "too short for injection-recovery")
    assert not (tmp_path / "out").exists()


def test_the_demo_refusing_another_architecture_names_only_its_own_options(tmp_path, capsys):
    """It said "pass --from-scratch or a matching --init": the demo has no --init."""
    (tmp_path / "wide.yaml").write_text("model:\n  d_model: 64\n")
    one_error(["demo", "--out", str(tmp_path / "d"), "--config", str(tmp_path / "wide.yaml")], capsys,
              "pass --from-scratch (the demo has no --init)")
    assert not (tmp_path / "d").exists()
