"""Review files as training labels (patches/dataset.py)."""

import numpy as np
import pytest

from conftest import tiny_config
from geobfdt.io import write_npz
from geobfdt.io.picks import write_picks_csv
from geobfdt.errors import OptionError
from geobfdt.patches.dataset import find_labelled_wells, load_labelled_patches, read_labels, split_by_well
from geobfdt.io.review_file import review_paths
from geobfdt.review.store import ReviewStore
from geobfdt.well import Pick, Well


def write_well(folder, name="W1"):
    depth = 100.0 + np.arange(1200) * 0.01
    rng = np.random.default_rng(1)
    well = Well(name=name, depth_m=depth, azimuth_deg=(np.arange(64) + 0.5) * 360 / 64,
                image=rng.lognormal(size=(1200, 64)).astype(np.float32), radius_m=np.full(1200, 0.1))
    write_npz(well, folder / f"{name}.npz")
    picks = [Pick(101.0, 30.0, 90.0, "fracture", 0.9), Pick(104.0, 10.0, 200.0, "bedding", 0.8),
             Pick(107.0, 20.0, 10.0, "fracture", 0.7), Pick(110.0, 40.0, 300.0, "fracture", 0.6)]
    write_picks_csv(folder / f"{name}_picks.csv", picks)
    return picks


def review(folder, picks, name="W1"):
    store = ReviewStore(*review_paths(folder, name), picks)
    store.change(store.version, lambda r: store.set_status(r, "p1", "accepted"))
    store.change(store.version, lambda r: store.set_status(r, "p2", "rejected"))  # p3, p4 stay auto
    store.change(store.version, lambda r: r.picks.append(
        type(r.picks[0])("p9", Pick(102.5, 50.0, 45.0, "fracture"), "manual", "now")))
    return store


def target_depths(patches, cfg):
    return sorted({round(float(top + t[0] * cfg.data.height_m), 3)
                   for top, targets in zip(patches.top_m, patches.targets) for t in targets})


def test_a_review_file_beside_the_well_replaces_its_picks(tmp_path):
    picks = write_well(tmp_path)
    assert find_labelled_wells([tmp_path]) == [(tmp_path / "W1.npz", tmp_path / "W1_picks.csv")]
    review(tmp_path, picks)
    assert find_labelled_wells([tmp_path]) == [(tmp_path / "W1.npz", tmp_path / "W1_reviewed.csv")]
    labels, intervals, auto = read_labels(tmp_path / "W1_reviewed.csv")
    assert [p.depth_m for p in labels] == [101.0, 102.5]  # accepted and manual; rejected and auto are not labels
    assert intervals is None and auto.tolist() == [107.0, 110.0]


def test_unreviewed_auto_picks_keep_their_patches_out(tmp_path):
    cfg = tiny_config()
    review(tmp_path, write_well(tmp_path))
    patches = load_labelled_patches(find_labelled_wells([tmp_path]), cfg.data)["W1"]
    bottoms = patches.top_m + cfg.data.height_m
    for depth in (107.0, 110.0):
        assert not np.any((patches.top_m <= depth) & (depth < bottoms))
    assert target_depths(patches, cfg) == [101.0, 102.5]
    assert len(patches) > 0


def test_reviewed_intervals_restrict_the_patches(tmp_path):
    cfg = tiny_config()
    store = review(tmp_path, write_well(tmp_path))
    store.change(store.version, lambda r: store.mark_reviewed(r, 100.0, 106.0))
    everything = load_labelled_patches([(tmp_path / "W1.npz", tmp_path / "W1_picks.csv")], cfg.data)["W1"]
    patches = load_labelled_patches(find_labelled_wells([tmp_path]), cfg.data)["W1"]
    assert 0 < len(patches) < len(everything)
    assert patches.top_m.min() >= 100.0 and (patches.top_m + cfg.data.height_m).max() <= 106.0 + 1e-9
    assert target_depths(patches, cfg) == [101.0, 102.5]
    # marking the interval accepted the auto picks inside it, none here: the auto ones lie below 106 m
    assert read_labels(tmp_path / "W1_reviewed.csv")[1] == [(100.0, 106.0)]


def test_marking_reviewed_accepts_the_auto_picks_inside(tmp_path):
    store = review(tmp_path, write_well(tmp_path))
    store.change(store.version, lambda r: store.mark_reviewed(r, 106.5, 108.0))
    labels = read_labels(tmp_path / "W1_reviewed.csv")[0]
    assert [p.depth_m for p in labels] == [101.0, 102.5, 107.0]


def test_a_damaged_review_file_is_a_one_line_error(tmp_path):
    from geobfdt.errors import GeoBFDTError

    write_well(tmp_path)
    (tmp_path / "W1_reviewed.csv").write_text("depth_m,dip_deg,azimuth_deg,type,pick_id,status\n"
                                              "101.0,30,90,fracture,p1,maybe\n")
    with pytest.raises(GeoBFDTError, match="unknown review status 'maybe'"):
        read_labels(tmp_path / "W1_reviewed.csv")


def test_a_review_giving_no_patches_is_refused_rather_than_trained_on_nothing(tmp_path):
    """A review file whose reviewed parts hold no whole patch gave 0 training patches; train ran every
    epoch empty and stopped as if trained, exit 0."""
    cfg = tiny_config()
    store = review(tmp_path, write_well(tmp_path, "W1"))
    store.change(store.version, lambda r: store.mark_reviewed(r, 100.0, 100.5))  # shorter than a patch
    write_well(tmp_path, "W2")
    by_well = load_labelled_patches(find_labelled_wells([tmp_path]), cfg.data)
    assert len(by_well["W1"]) == 0 < len(by_well["W2"])
    with pytest.raises(OptionError, match="no training patches in W1"):
        split_by_well(by_well, ["W2"], 0)
    with pytest.raises(OptionError, match="no validation patches in W1"):
        split_by_well(by_well, ["W1"], 0)
