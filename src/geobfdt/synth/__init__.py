"""Realistic synthetic borehole image logs with fracture and bedding labels (docs/synthetic.md)."""

from geobfdt.synth.config import (FRACTURE_CALIBRATION, TOOLS, VARIANTS, SynthConfig, format_variant_mix, mix_member,
                                  parse_variant_mix)

__all__ = ["FRACTURE_CALIBRATION", "TOOLS", "VARIANTS", "SynthConfig", "format_variant_mix", "mix_member", "parse_variant_mix",
           "synthesize_well", "synthesize_corpus"]


def __getattr__(name):
    # the generator pulls in scipy.ndimage and the corpus writer the DLIS writer: imported only
    # when asked for, so that `geobfdt --help` (which reads VARIANTS) stays light
    if name == "synthesize_well":
        from geobfdt.synth.generator import synthesize_well
        return synthesize_well
    if name == "synthesize_corpus":
        from geobfdt.synth.corpus import synthesize_corpus
        return synthesize_corpus
    raise AttributeError(name)
