"""Which torch device a command runs on: CUDA when present, or what `--device` asks for."""

from __future__ import annotations

import torch

from geobfdt.errors import GeoBFDTError


def choose_device(requested: str | None = None) -> torch.device:
    if requested and requested != "auto":
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise GeoBFDTError(f"--device {requested}: CUDA is not available on this machine")
        try:
            return torch.device(requested)
        except RuntimeError:
            raise GeoBFDTError(f"--device {requested}: not a device (auto, cpu, cuda, cuda:N)") from None
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
