"""Which torch device a command runs on: CUDA when present, or what `--device` asks for."""

from __future__ import annotations

from pathlib import Path

from geobfdt.errors import GeoBFDTError


def cuda_possible() -> bool:
    """Whether an NVIDIA driver is loaded: without one CUDA cannot be there, and the CPU-only
    predict path need not import torch (about 2 CPU-seconds) to find that out."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidiactl").exists()


def choose_device(requested: str | None = None):
    """A torch.device."""
    import torch

    if requested and requested != "auto":
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise GeoBFDTError(f"--device {requested}: CUDA is not available on this machine")
        try:
            return torch.device(requested)
        except RuntimeError:
            raise GeoBFDTError(f"--device {requested}: not a device (auto, cpu, cuda, cuda:N)") from None
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
