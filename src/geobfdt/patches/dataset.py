"""Labelled wells -> patches, prepared once per run.

DATA arguments are well files or folders; each image file pairs with `<stem>_reviewed.csv`
(a `geobfdt review` file) when there is one beside it, else `<stem>_picks.csv`. Validation is
split by well, so no well has patches on both sides.

A review file labels with its accepted, edited and manual picks (rejected and unreviewed
auto picks are not labels). Where the reviewer marked intervals reviewed ("nothing else
here") only patches lying inside them are used; without such intervals, patches holding an
unreviewed auto pick are left out, since nobody said whether it is a plane.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from geobfdt.config import DataConfig
from geobfdt.errors import OptionError, PickFileError, WellFileError
from geobfdt.patches.extract import PatchSet, extract_patches
from geobfdt.well import Pick, Well

WELL_SUFFIXES = {".dlis", ".las", ".npz"}


def labels_file(image: Path) -> Path:
    """The review file beside the image when there is one, else its picks file."""
    from geobfdt.io.names import safe_stem
    from geobfdt.io.review_file import review_paths

    reviewed = review_paths(image.parent, safe_stem(image.stem))[0]
    return reviewed if reviewed.is_file() else image.with_name(f"{image.stem}_picks.csv")


def read_labels(path) -> tuple[list[Pick], list[tuple[float, float]] | None, np.ndarray]:
    """(label picks, reviewed intervals or None, depths of unreviewed auto picks) of a labels file.

    A plain picks file is all labels, with no intervals and no unreviewed picks."""
    from geobfdt.io.picks import read_picks
    from geobfdt.io.review_file import POSITIVE_STATUSES, read_review

    path = Path(path)
    if not path.name.endswith("_reviewed.csv"):
        return read_picks(path), None, np.empty(0)
    review = read_review(path, path.with_name(f"{path.stem}_intervals.csv"))
    picks = [rp.pick for rp in review.picks if rp.status in POSITIVE_STATUSES]
    intervals = [(top, bottom) for top, bottom, _ in review.intervals] or None
    auto = np.array([rp.pick.depth_m for rp in review.picks if rp.status == "auto"])
    return picks, intervals, auto


def trusted_patches(patches: PatchSet, height_m: float, intervals, auto_depth_m: np.ndarray) -> PatchSet:
    """The patches whose labels are known: inside reviewed intervals when there are some,
    else those holding no unreviewed auto pick."""
    top, bottom = patches.top_m, patches.top_m + height_m
    if intervals:
        keep = np.zeros(len(patches), bool)
        for a, b in intervals:
            keep |= (top >= a) & (bottom <= b)
    else:
        holds = (auto_depth_m[None, :] >= top[:, None]) & (auto_depth_m[None, :] < bottom[:, None])
        keep = ~holds.any(axis=1)
    index = np.flatnonzero(keep)
    return PatchSet(images=patches.images[index], top_m=top[index], radius_m=patches.radius_m[index],
                    well=[patches.well[i] for i in index] if patches.well else [],
                    targets=[patches.targets[i] for i in index])


def find_labelled_wells(paths) -> list[tuple[Path, Path]]:
    """(image file, labels file) pairs from files and folders, sorted by well name; the labels
    file is <stem>_reviewed.csv when present, else <stem>_picks.csv."""
    pairs = []
    for path in map(Path, paths):
        if path.is_dir():
            candidates = sorted(p for p in path.iterdir() if p.suffix.lower() in WELL_SUFFIXES)
        elif path.is_file():
            candidates = [path]
        else:
            raise WellFileError(f"{path}: no such file or folder")
        for image in candidates:
            picks = labels_file(image)
            if not picks.is_file():
                raise PickFileError(f"{image}: no picks file {picks.name} (or review file) beside it")
            pairs.append((image, picks))
    if not pairs:
        raise WellFileError("no labelled wells found (expected image files with <stem>_picks.csv or "
                            "<stem>_reviewed.csv beside them)")
    return pairs


def well_patches(well: Well, picks: list[Pick], data: DataConfig) -> PatchSet:
    from geobfdt.preprocess.image import prepare_well

    prepared = prepare_well(well, data, normalisation=data.normalisation, window_m=data.window_m,
                            pooling=data.pooling)
    return extract_patches(prepared, picks, data)


def expand_offline_patchset(patches: PatchSet, data: DataConfig, seed: int) -> PatchSet:
    """data.offline_copies variants of every sinusoid-bearing patch appended (augment.expand_offline:
    the case study's offline expansion); each variant keeps its source patch's depth, radius and well."""
    from geobfdt.preprocess.augment import AugmentConfig, expand_offline

    images, targets = expand_offline(torch.from_numpy(patches.images), [torch.from_numpy(t) for t in patches.targets],
                                     data.offline_copies, AugmentConfig(geometric=data.geometric), seed)
    bearing = np.flatnonzero([len(t) > 0 for t in patches.targets])
    source = np.concatenate([np.arange(len(patches)), np.tile(bearing, data.offline_copies)])
    return PatchSet(images=images.numpy(), top_m=patches.top_m[source], radius_m=patches.radius_m[source],
                    well=[patches.well[i] for i in source] if patches.well else [],
                    targets=[t.numpy() for t in targets])


def load_labelled_patches(pairs, data: DataConfig, progress: bool = True, **read_options) -> dict[str, PatchSet]:
    """Read and patch every labelled well once; keyed by well name. Review files keep only
    the patches whose labels are known (trusted_patches). progress: a bar over the wells."""
    from geobfdt.io import read_well

    by_well, source = {}, {}
    for image_path, picks_path in tqdm(pairs, desc="reading wells", unit="well", disable=not progress):
        well = read_well(image_path, **read_options)
        if well.name in by_well:
            raise WellFileError(f"two labelled files hold well {well.name}: {source[well.name]} and {image_path}")
        source[well.name] = image_path
        picks, intervals, auto_depth_m = read_labels(picks_path)
        patches = well_patches(well, picks, data)
        if intervals or auto_depth_m.size:
            patches = trusted_patches(patches, data.height_m, intervals, auto_depth_m)
        by_well[well.name] = patches
    return by_well


def labelled_wells(pairs, by_well: dict[str, PatchSet], names, **read_options) -> list[tuple[Well, list[Pick]]]:
    """(Well, picks) of the named wells, read again from the (image, picks) pairs that
    load_labelled_patches turned into by_well (same order, one well per pair)."""
    from geobfdt.io import read_well

    wanted = set(names)
    return [(read_well(image_path, **read_options), read_labels(picks_path)[0])
            for name, (image_path, picks_path) in zip(by_well, pairs) if name in wanted]


def split_by_well(by_well: dict[str, PatchSet], val_wells: list[str] | int, seed: int):
    """(train, val) PatchSets with whole wells on each side."""
    names = sorted(by_well)
    if isinstance(val_wells, int):
        if len(names) < 2:
            raise OptionError("validation needs at least 2 labelled wells (one to train, one to validate)")
        count = min(max(val_wells, 1), len(names) - 1)
        val_names = sorted(np.random.default_rng(seed).choice(names, size=count, replace=False).tolist())
    else:
        unknown = sorted(set(val_wells) - set(names))
        if unknown:
            raise OptionError(f"validation wells not among the data: {', '.join(unknown)}")
        val_names = sorted(val_wells)
    train_names = [n for n in names if n not in val_names]
    if not train_names:
        raise OptionError("every well is in validation: nothing left to train on")
    train = PatchSet.concatenate([by_well[n] for n in train_names])
    val = PatchSet.concatenate([by_well[n] for n in val_names])
    for side, names_, patches in (("training", train_names, train), ("validation", val_names, val)):
        if len(patches) == 0:  # it would run every epoch empty and stop as if trained
            raise OptionError(f"no {side} patches in {', '.join(names_)}: a review file gives patches only where "
                              "all its picks were accepted or rejected, or inside intervals marked reviewed "
                              "(docs/review.md)")
    return train, val, train_names, val_names


def batch_tensors(patches: PatchSet, index: np.ndarray, device) -> tuple[torch.Tensor, list[torch.Tensor]]:
    images = torch.from_numpy(patches.images[index]).to(device)
    targets = [torch.from_numpy(patches.targets[i]).to(device) for i in index]
    return images, targets
