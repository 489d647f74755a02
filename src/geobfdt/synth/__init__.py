"""Realistic synthetic borehole image logs with fracture and bedding labels (docs/synthetic.md)."""

from geobfdt.synth.config import FRACTURE_CALIBRATION, TOOLS, VARIANTS, SynthConfig
from geobfdt.synth.generator import synthesize_well

__all__ = ["FRACTURE_CALIBRATION", "TOOLS", "VARIANTS", "SynthConfig", "synthesize_well", "synthesize_corpus"]


def __getattr__(name):
    # the corpus writer pulls in the DLIS writer; import it only when asked for
    if name == "synthesize_corpus":
        from geobfdt.synth.corpus import synthesize_corpus
        return synthesize_corpus
    raise AttributeError(name)
