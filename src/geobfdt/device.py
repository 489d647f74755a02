"""Which torch device a command runs on: CUDA when present, or what `--device` asks for."""

from __future__ import annotations

import re

import torch

from geobfdt.errors import GeoBFDTError


_DEVICE = re.compile(r"(auto|cpu|cuda(:\d{1,3})?)")


def choose_device(requested: str | None = None) -> torch.device:
    """auto, cpu, cuda or cuda:N; anything else (torch also knows meta, mps, xla, ...) is refused
    here rather than half-way through a run."""
    if requested is None or requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not _DEVICE.fullmatch(requested):
        raise GeoBFDTError(f"--device {requested!r}: not a device (auto, cpu, cuda, cuda:N)")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise GeoBFDTError(f"--device {requested}: CUDA is not available on this machine")
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise GeoBFDTError(f"--device {requested}: this machine has {torch.cuda.device_count()} CUDA devices")
    return torch.device(requested)
