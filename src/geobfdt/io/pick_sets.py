"""Sets of pick files, one per well: a file or a folder of them read into {well: [Pick]}, and
predictions paired with the truth by well name.

A folder is read as its `*_picks.csv` files, or all `*.csv` files when there are none (any
format read_picks recognises; a `geobfdt review` folder's `<WELL>_reviewed.csv`, its intervals
file left out). A well's name is the `well` column when present, else the file name
(`<WELL>_picks.csv` or `<WELL>_reviewed.csv` -> WELL). Two single files holding one well each are
paired even if their names differ.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from geobfdt.errors import PickFileError
from geobfdt.io.picks import read_picks


def _pick_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise PickFileError(f"{path}: no such file or folder")
    # a review's intervals file (io/review_file.py review_paths) lies beside its picks and holds none
    files = sorted(path.glob("*_picks.csv")) or sorted(p for p in path.glob("*.csv")
                                                      if not p.name.endswith("_reviewed_intervals.csv"))
    if not files:
        raise PickFileError(f"{path}: no pick files (*.csv) in this folder")
    return files


def _well_from_name(path: Path) -> str:
    stem = path.stem
    for suffix in ("_picks", "_reviewed"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def load_picks_by_well(path) -> tuple[dict, bool]:
    """{well: [Pick]} from a file or folder, and whether every name came from a `well` column."""
    by_well, named_by_column = defaultdict(list), True
    for file in _pick_files(Path(path)):
        picks = read_picks(file)
        if not picks:
            by_well[_well_from_name(file)]  # a well with no picks is still a well
            named_by_column = False
        for p in picks:
            named_by_column &= p.well is not None
            by_well[p.well or _well_from_name(file)].append(p)
    return dict(by_well), named_by_column


def pair_wells(pred_path, truth_path) -> tuple[dict, dict]:
    """({well: predicted picks}, {well: true picks}) with the same wells, from two files or folders;
    wells that do not pair up are a one-line error naming them."""
    pred, pred_named = load_picks_by_well(pred_path)
    truth, truth_named = load_picks_by_well(truth_path)
    if set(pred) == set(truth):
        return pred, truth
    both_files = Path(pred_path).is_file() and Path(truth_path).is_file()
    if both_files and len(pred) == len(truth) == 1 and not (pred_named and truth_named):
        (name, truth_picks), = truth.items()
        return {name: next(iter(pred.values()))}, {name: truth_picks}
    only_pred, only_truth = sorted(set(pred) - set(truth)), sorted(set(truth) - set(pred))
    parts = ([f"predictions without truth: {', '.join(only_pred)}"] if only_pred else []) + \
            ([f"truth without predictions: {', '.join(only_truth)}"] if only_truth else [])
    raise PickFileError("wells do not pair up; " + "; ".join(parts))
