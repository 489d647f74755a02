"""predict repeats exactly: the same input gives byte-identical picks run after run, and the
duplicate merge does not depend on the order the windows' picks arrive in."""

import pytest
from hypothesis import given, strategies as st

from conftest import save_tiny_model
from geobfdt.cli import main
from geobfdt.io import write_npz
from geobfdt.picking.whole_well import merge_duplicates
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick

# few distinct values, so equal scores, equal depths and near-duplicate traces are common
picks_strategy = st.lists(st.builds(
    Pick, depth_m=st.sampled_from([100.0, 100.01, 100.02, 100.5]), dip_deg=st.sampled_from([0.0, 5.0, 30.0]),
    azimuth_deg=st.sampled_from([0.0, 10.0, 200.0]), type=st.sampled_from(["fracture", "bedding"]),
    score=st.sampled_from([0.5, 0.7, 0.9])), max_size=30)


@given(picks_strategy, st.randoms(use_true_random=False))
def test_merge_keeps_the_same_picks_whatever_their_arrival_order(picks, rng):
    shuffled = list(picks)
    rng.shuffle(shuffled)
    assert merge_duplicates(shuffled, 0.1) == merge_duplicates(picks, 0.1)


def test_merge_settles_equal_scores_by_the_pick_not_its_position():
    a = Pick(depth_m=100.0, dip_deg=0.0, azimuth_deg=0.0, type="fracture", score=0.8)
    b = Pick(depth_m=100.001, dip_deg=0.0, azimuth_deg=0.0, type="bedding", score=0.8)
    assert merge_duplicates([a, b], 0.1) == merge_duplicates([b, a], 0.1) == [a]


@pytest.fixture(scope="module")
def well_and_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("determinism")
    save_tiny_model(root / "tiny.safetensors")
    well, _ = synthesize_well(5, length_m=8.0, tool="lwd", name="15/9-F-11 T2")
    write_npz(well, root / "F11.npz")
    return root


def test_predict_writes_byte_identical_picks_run_after_run(well_and_model):
    root = well_and_model
    outputs = []
    for run in range(2):
        out = root / f"run{run}"
        assert main(["predict", str(root / "F11.npz"), "--model", str(root / "tiny.safetensors"), "--out", str(out),
                     "--formats", "geobfdt", "geolog"]) == 0
        outputs.append([(out / name).read_bytes() for name in ("F11_picks.csv", "F11_picks_geolog.csv")])
    assert outputs[0] == outputs[1] and outputs[0][0].count(b"\n") > 10


@pytest.mark.parametrize("size", ["0", "-1"])
def test_predict_refuses_a_batch_size_below_one(well_and_model, capsys, size):
    root = well_and_model
    assert main(["predict", str(root / "F11.npz"), "--model", str(root / "tiny.safetensors"), "--out",
                 str(root / "bad"), "--batch-size", size]) == 2
    assert "--batch-size: must be from 1 to 1024" in capsys.readouterr().err
    assert not (root / "bad").exists()
