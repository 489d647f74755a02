"""Launched by test_training under torchrun: a few DDP steps on 2 CPU ranks, then each rank saves its weights."""

import sys
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from conftest import draw_patches, tiny_config
from geobfdt.training.trainer import Trainer, patchset_batches

out = Path(sys.argv[1])
cfg = tiny_config()
cfg.train.epochs = 1
trainer = Trainer(cfg, out / "run", device="cpu", log=lambda *_: None)
if trainer.dist.rank == 0:
    save_file({k: v.clone() for k, v in trainer.module.state_dict().items()}, out / "initial.safetensors")
patches = draw_patches(16, cfg.data.rows, cfg.data.columns, 3)
trainer.fit(patchset_batches(patches, cfg, trainer.device, trainer.dist), draw_patches(4, 64, 32, 4), 4)
save_file({k: v.contiguous() for k, v in trainer.module.state_dict().items()}, out / f"rank{trainer.dist.rank}.safetensors")
dist.barrier()
dist.destroy_process_group()
