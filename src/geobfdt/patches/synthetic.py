"""Synthetic patches generated on the fly, so a pretraining run never sees a patch twice.

Batch number b is made from seed (seed, b) alone: the stream is deterministic by seed
whatever the number of loader workers, and a resumed run continues it exactly. The generator
settings are one SynthConfig, or a mix of named variants (synth.parse_variant_mix) that each
well draws its variant from, by its own seed.
A worker process prepares batches while the main process trains.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from geobfdt.config import DataConfig
from geobfdt.patches.dataset import well_patches
from geobfdt.patches.extract import PatchSet

WELL_LENGTH_M = 8.0  # short wells: many geologies and tools per batch


def synthetic_patchset(seed, count: int, data: DataConfig, synth_config=None, well_length_m=WELL_LENGTH_M,
                       tool: str | None = None) -> PatchSet:
    """`count` patches drawn from fresh synthetic wells made from `seed` (an int or int sequence);
    `synth_config` is a SynthConfig (None: the defaults) or a mix {variant name: weight}; tool: every
    well drawn with this tool (None: each variant's own tool mix)."""
    from geobfdt.synth import SynthConfig, mix_member, synthesize_well

    mix = synth_config if isinstance(synth_config, dict) else None
    configs = {name: SynthConfig.variant(name) for name in mix} if mix else {}
    if mix and tool is not None:  # a mix's wells keep drawing their tool from the variant, which now holds one
        configs, tool = {name: c.replace(tool_mix={tool: 1.0}) for name, c in configs.items()}, None
    rng = np.random.default_rng(seed)
    sets, total = [], 0
    while total < count:
        well_seed = int(rng.integers(2**31))
        config = configs[mix_member(mix, well_seed)] if mix else synth_config
        well, picks = synthesize_well(well_seed, length_m=well_length_m, config=config, tool=tool,
                                      name=f"SYN{well_seed}")
        patches = well_patches(well, picks, data)
        sets.append(patches)
        total += len(patches)
    merged = PatchSet.concatenate(sets)
    chosen = np.sort(rng.choice(len(merged), size=count, replace=False))
    return PatchSet(images=merged.images[chosen], top_m=merged.top_m[chosen], radius_m=merged.radius_m[chosen],
                    well=[merged.well[i] for i in chosen], targets=[merged.targets[i] for i in chosen])


class SyntheticBatches(IterableDataset):
    def __init__(self, seed: int, first_batch: int, batches: int, batch_size: int, data: DataConfig,
                 synth_config=None, tool: str | None = None):
        self.seed, self.first, self.count, self.batch_size = seed, first_batch, batches, batch_size
        self.data, self.synth_config, self.tool = data, synth_config, tool

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        workers, worker = (1, 0) if info is None else (info.num_workers, info.id)
        for b in range(self.first + worker, self.first + self.count, workers):
            patches = synthetic_patchset([self.seed, b], self.batch_size, self.data, self.synth_config, tool=self.tool)
            yield torch.from_numpy(patches.images), [torch.from_numpy(t) for t in patches.targets]


def synthetic_epoch_loader(seed: int, epoch: int, steps: int, batch_size: int, data: DataConfig,
                           synth_config=None, workers: int = 1, tool: str | None = None):
    dataset = SyntheticBatches(seed, epoch * steps, steps, batch_size, data, synth_config, tool)
    # one worker keeps batches ready while the main process trains; in-order delivery keeps determinism
    return DataLoader(dataset, batch_size=None, num_workers=workers, prefetch_factor=2 if workers else None,
                      persistent_workers=False)


