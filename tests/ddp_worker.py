"""Launched by test_training (under torchrun, or alone as one process).

`ddp_worker.py OUT`: a few DDP steps on 2 CPU ranks, then each rank saves its weights.
`ddp_worker.py OUT curve`: the loss of every optimizer step, averaged over the ranks, saved by
rank 0 as OUT/curve.json; run alone, each batch is split into the ranks' shares as micro-batches,
so one process sees the combined batch exactly as the ranks share it. Augmentation and
denoising noise (seeded per rank) are off, so the two runs do the same arithmetic.
"""

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from conftest import draw_patches, tiny_config
from geobfdt.patches.dataset import batch_tensors
from geobfdt.training.trainer import Trainer, epoch_batches, patchset_batches

out = Path(sys.argv[1])
curve = len(sys.argv) > 2 and sys.argv[2] == "curve"
cfg = tiny_config()
cfg.train.epochs = 1
if curve:
    cfg.train.epochs = 3
    cfg.data.photometric = cfg.data.geometric = False
    cfg.model.dn_groups = 0
trainer = Trainer(cfg, out / "run", device="cpu", log=lambda *_: None)
patches = draw_patches(16, cfg.data.rows, cfg.data.columns, 3)
if not curve:
    if trainer.dist.rank == 0:
        save_file({k: v.clone() for k, v in trainer.module.state_dict().items()}, out / "initial.safetensors")
    trainer.fit(patchset_batches(patches, cfg, trainer.device, trainer.dist), draw_patches(4, 64, 32, 4), 4)
    save_file({k: v.contiguous() for k, v in trainer.module.state_dict().items()},
              out / f"rank{trainer.dist.rank}.safetensors")
else:
    shares = 2  # the ranks of the DDP run
    losses = []
    step = trainer.train_step

    def recorded_step(images, targets, generator):
        averager = step(images, targets, generator)
        loss = torch.tensor(averager.sums["loss"] / averager.batches)
        if trainer.dist.world > 1:
            dist.all_reduce(loss)
            loss /= trainer.dist.world
        losses.append(float(loss))
        return averager

    trainer.train_step = recorded_step
    if trainer.dist.world > 1:
        batches = patchset_batches(patches, cfg, trainer.device, trainer.dist)
    else:
        cfg.train.micro_batch = cfg.train.batch_size // shares

        def batches(epoch):  # rank r's share index[r::shares] as the r-th micro-batch
            for index in epoch_batches(len(patches), cfg.train.batch_size, cfg.train.seed, epoch):
                yield batch_tensors(patches, torch.cat([torch.from_numpy(index[r::shares]) for r in range(shares)]).numpy(),
                                    trainer.device)
    trainer.fit(batches, draw_patches(4, 64, 32, 4), 4)
    if trainer.dist.rank == 0:
        (out / "curve.json").write_text(json.dumps(losses))
if trainer.dist.world > 1:
    dist.barrier()
    dist.destroy_process_group()
