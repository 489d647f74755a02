"""GeoBFDT: fractures and bedding planes in borehole image logs with a Detection Transformer.

From Python (docs/api.md)::

    import geobfdt
    well = geobfdt.read_well("W1.dlis")
    picks = geobfdt.pick(well)                  # a pandas DataFrame, the columns of W1_picks.csv
    geobfdt.plot(well, picks, top_m=1010, bottom_m=1016)

`__all__` is the public API; everything else in the package is internal. The functions live
in geobfdt/api.py and are imported on first use, so `import geobfdt` stays light.
"""

from geobfdt.errors import GeoBFDTError, ModelFileError, OptionError, PickFileError, RunFolderError, WellFileError

__version__ = "0.1.0"

_API = ("read_well", "from_array", "synthetic_well", "describe", "load_model", "Model", "pick", "picks_to_frame",
        "frame_to_picks", "read_picks", "write_picks", "evaluate", "metrics_table", "plot")
_TYPES = ("Well", "Pick")

__all__ = [*_API, *_TYPES, "GeoBFDTError", "WellFileError", "PickFileError", "ModelFileError", "RunFolderError",
           "OptionError", "__version__"]


def __getattr__(name):
    if name in _API:
        from geobfdt import api
        return getattr(api, name)
    if name in _TYPES:
        from geobfdt import well
        return getattr(well, name)
    raise AttributeError(f"module 'geobfdt' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
