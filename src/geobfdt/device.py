"""Which torch device a command runs on: CUDA when present, or what `--device` asks for."""

from __future__ import annotations

import re
from pathlib import Path

from geobfdt.errors import OptionError

_DEVICE = re.compile(r"(auto|cpu|cuda(:\d{1,3})?)")


def cuda_possible() -> bool:
    """Whether an NVIDIA driver is loaded: without one CUDA cannot be there, and the CPU-only
    predict path need not import torch (about 2 CPU-seconds) to find that out."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidiactl").exists()


def choose_device(requested: str | None = None):
    """A torch.device for auto, cpu, cuda or cuda:N; anything else (torch also knows meta, mps,
    xla, ...) is refused here rather than half-way through a run."""
    import torch

    if requested is None or requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not _DEVICE.fullmatch(requested):
        raise OptionError(f"--device {requested!r}: not a device (auto, cpu, cuda, cuda:N)")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise OptionError(f"--device {requested}: CUDA is not available on this machine")
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise OptionError(f"--device {requested}: this machine has {torch.cuda.device_count()} CUDA devices")
    return torch.device(requested)
