"""`--synth-variant` mixes: each synthetic training well draws its generator variant by its own seed."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.errors import OptionError
from geobfdt.synth import VARIANTS, format_variant_mix, mix_member, parse_variant_mix


def test_a_mix_is_normalised_and_spelled_one_way():
    mix = parse_variant_mix("real-texture:5, default:2,harsh:3")
    assert list(mix) == ["default", "harsh", "real-texture"]
    assert mix == pytest.approx({"default": 0.2, "harsh": 0.3, "real-texture": 0.5})
    assert format_variant_mix(mix) == "default:0.2,harsh:0.3,real-texture:0.5"
    assert parse_variant_mix(format_variant_mix(mix)) == pytest.approx(mix)
    assert format_variant_mix(parse_variant_mix("real-texture")) == "real-texture"
    assert format_variant_mix(parse_variant_mix("harsh:4")) == "harsh"


@pytest.mark.parametrize("spec, words", [("nope", "unknown synth config variant 'nope'"),
                                          ("default:0.5,nope:0.5", "unknown synth config variant 'nope'"),
                                          ("default:x", "is not a number"),
                                          ("default:0.5,default:0.5", "each variant once"),
                                          ("default:0,harsh:0", "positive weight"),
                                          ("harsh:-1", "positive weight"),
                                          ("harsh:nan", "positive weight"),
                                          ("", "unknown synth config variant ''")])
def test_a_bad_mix_is_an_option_error(spec, words):
    with pytest.raises(OptionError, match=words):
        parse_variant_mix(spec)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(sorted(VARIANTS)), min_size=2, max_size=4, unique=True),
       st.lists(st.floats(0.05, 1.0), min_size=4, max_size=4), st.integers(0, 2**31 - 1))
def test_members_are_deterministic_and_hold_the_proportions(names, weights, start):
    mix = parse_variant_mix(",".join(f"{n}:{w}" for n, w in zip(names, weights)))
    seeds = np.random.default_rng(start).integers(2**31, size=3000)
    drawn = [mix_member(mix, int(s)) for s in seeds]
    assert drawn == [mix_member(mix, int(s)) for s in seeds]
    for name, share in mix.items():
        # binomial sd at n=3000 is at most 0.0092: 5 sd
        assert abs(drawn.count(name) / len(drawn) - share) < 0.046


def test_a_single_variant_draws_nothing_extra():
    assert {mix_member({"harsh": 1.0}, s) for s in range(50)} == {"harsh"}


def test_a_mixed_batch_is_deterministic_and_differs_from_the_default_one():
    from geobfdt.patches.synthetic import synthetic_patchset

    data = tiny_config().data
    mix = parse_variant_mix("default:0.5,harsh:0.5")
    a = synthetic_patchset([3, 0], 4, data, mix, well_length_m=3.0)
    b = synthetic_patchset([3, 0], 4, data, mix, well_length_m=3.0)
    plain = synthetic_patchset([3, 0], 4, data, well_length_m=3.0)
    np.testing.assert_allclose(a.images, b.images, atol=1e-6)
    assert a.well == plain.well  # the wells are the same seeds: only the settings of the harsh ones change
    harsh = [mix_member(mix, int(w[3:])) == "harsh" for w in a.well]
    same = [np.allclose(x, y, atol=1e-6) for x, y in zip(a.images, plain.images)]
    assert same == [not h for h in harsh]


def test_pretraining_on_a_mix_records_its_spelling_and_resume_checks_it(tmp_path, capsys):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_config().to_dict()))
    out = tmp_path / "run"
    common = ["pretrain", "--out", str(out), "--config", str(tmp_path / "tiny.yaml"), "--steps-per-epoch", "1",
              "--val-patches", "4", "--workers", "0"]
    assert main(common + ["--max-samples", "4", "--synth-variant", "harsh:3,default:1"]) == 0
    assert json.loads((out / "run.json").read_text())["settings"]["synth_variant"] == "default:0.25,harsh:0.75"
    capsys.readouterr()
    assert main(common + ["--max-samples", "8", "--resume", "--synth-variant", "harsh:0.5,default:0.5"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(common + ["--max-samples", "8", "--resume", "--synth-variant", "default:0.25,harsh:0.75"]) == 0


def test_the_real_texture_recipe_reads_and_starts_from_the_shipped_model(tmp_path):
    from geobfdt.commands.pretrain import read_recipe

    path = Path(__file__).resolve().parents[1] / "configs" / "finetune_real_texture.yaml"
    (phase,) = read_recipe(path, tmp_path)
    assert phase["init"] == "default" and phase["config"].is_file()
    assert set(parse_variant_mix(phase["settings"]["synth_variant"])) == {"default", "real-texture", "harsh"}


@pytest.mark.parametrize("recipe", sorted(p.name for p in (Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")
                                         if "phases:" in p.read_text()))
def test_every_recipe_in_configs_reads(recipe, tmp_path):
    """A typo in a recipe that only a lent GPU runs (configs/retrain_real_wells.yaml) would cost its minutes."""
    from geobfdt.commands.pretrain import read_recipe

    phases = read_recipe(Path(__file__).resolve().parents[1] / "configs" / recipe, tmp_path)
    assert phases and all(p["config"] is None or p["config"].is_file() for p in phases)
    for phase in phases:
        if "synth_variant" in phase["settings"]:
            assert parse_variant_mix(phase["settings"]["synth_variant"])


@pytest.mark.parametrize("tool, pad_gaps", [("lwd", False), ("fmi", True)])
def test_a_tool_draws_every_well_of_a_mix_and_of_validation_with_it(tool, pad_gaps):
    """`pretrain --tool`: an LWD image covers the whole hole, a pad tool's leaves gaps (the mask channel)."""
    from geobfdt.patches.synthetic import synthetic_patchset

    data = tiny_config().data
    for mix in (parse_variant_mix("default:0.5,real-texture:0.5"), None):
        patches = synthetic_patchset([5, 0], 6, data, mix, well_length_m=3.0, tool=tool)
        gaps = [bool((mask.min(axis=0) == 0).any()) for mask in patches.images[:, 1]]
        assert gaps == [pad_gaps] * len(gaps)


def test_pretraining_with_one_tool_is_recorded_and_a_bad_one_refused(tmp_path, capsys):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_config().to_dict()))
    out = tmp_path / "run"
    assert main(["pretrain", "--out", str(out), "--config", str(tmp_path / "tiny.yaml"), "--max-samples", "4",
                 "--steps-per-epoch", "1", "--val-patches", "4", "--workers", "0", "--tool", "lwd"]) == 0
    assert json.loads((out / "run.json").read_text())["settings"]["tool"] == "lwd"
    capsys.readouterr()
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"phases": [{"name": "a", "tool": "wireline", "config": "tiny.yaml"}]}))
    assert main(["pretrain", "--recipe", str(recipe), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert "phase a: tool must be one of fmi, slim, lwd" in err and len(err.splitlines()) == 1
