"""The SIMD extensions numpy dispatches to on this CPU beyond its baseline, as the value of
NPY_DISABLE_CPU_FEATURES that makes numpy run its baseline code only (numpy's "runtime dispatch"
docs). Prints nothing when this CPU has none of them (then a narrowed run is the same run).

    NPY_DISABLE_CPU_FEATURES="$(python scripts/numpy_dispatch.py)" python -m pytest tests/test_synth.py

numpy refuses to disable a baseline feature (an error at import) and ignores, with a warning, a
name it does not dispatch, so the list is read from numpy itself: every dispatch target this CPU
has, whatever numpy calls them (X86_V3, X86_V4, AVX512_ICL in numpy 2.4; AVX2, FMA3, AVX512F,
AVX512_SKX, ... before; ASIMDHP, SVE, ... on ARM). Run it without NPY_DISABLE_CPU_FEATURES set:
numpy reports a disabled feature as absent.
"""

from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__


def dispatched_features() -> list[str]:
    """The dispatch targets above numpy's baseline that this CPU has (and that are not disabled)."""
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


if __name__ == "__main__":
    print(" ".join(dispatched_features()))
