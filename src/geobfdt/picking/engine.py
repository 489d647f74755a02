"""What runs the detector on batches of windows: torch, or its ONNX export on ONNX Runtime.

Both give, per window, the rows of `Detector.inference` (depth_frac, amplitude_frac,
azimuth_deg, class_id, score; best score first) with raw scores; load_engine returns the model
file's header beside the engine, whose score calibration and interval scale picking applies
(pick_well_detr). The ONNX engine never imports torch once the
model has been exported: the export is made at first use (about 10 s) and kept in the user
cache (GEOBFDT_CACHE, else $XDG_CACHE_HOME/geobfdt or ~/.cache/geobfdt) as
`<stem>.<sha256 prefix of the model file>.<export tag>.onnx`, never beside the model or in the
output folder; a changed model has another hash, so a stale export is never used.

On the CPU an engine runs one batch per core, each on a single thread ("streams"): with torch's
intra-op threads every parallel region waits for whichever of its threads the OS preempted,
and on a busy machine two threads ran 9x slower than one (docs/benchmarks.md); independent
single-threaded batches have no such barrier.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from geobfdt.errors import GeoBFDTError, ModelFileError, OptionError
from geobfdt.files import file_sha256

ENGINES = ("torch", "onnx")


def cpu_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class TorchEngine:
    name = "torch"

    def __init__(self, model, device="cpu", streams: int | None = None):
        """streams: batches run side by side on the CPU (default: one per core)."""
        import torch

        self.model, self.device = model.eval(), torch.device(device)
        self.streams = (streams or cpu_cores()) if self.device.type == "cpu" else 1

    @contextmanager
    def running(self):
        """One intra-op thread per stream on the CPU while picking; the setting is restored after."""
        import torch

        if self.device.type != "cpu":
            yield
            return
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)

    def predict(self, images: np.ndarray) -> list[np.ndarray]:
        import torch

        return self.model.predict(torch.from_numpy(images).to(self.device))


def _onnx_session(path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for unreadable graphs
        raise ModelFileError(f"{path}: cannot load this ONNX export ({str(exc).splitlines()[0][:200]}); "
                             f"delete it and it is made again") from None


class OnnxEngine:
    name = "onnx"

    def __init__(self, path, streams: int | None = None):
        """path: the ONNX export; streams as for TorchEngine. The
        session is built in a background thread, as ONNX Runtime takes about 1.5 s for this graph
        (mostly per-node kernel set-up) with the GIL released: reading the well overlaps it, and the
        first predict waits for it."""
        import onnxruntime  # noqa: F401 (imported here, under the import lock, not in the loader thread)

        loader = ThreadPoolExecutor(max_workers=1)
        self._session = loader.submit(_onnx_session, path)
        loader.shutdown(wait=False)
        self.streams = streams or cpu_cores()

    @property
    def session(self):
        return self._session.result()

    def running(self):
        return nullcontext()

    def predict(self, images: np.ndarray) -> list[np.ndarray]:
        (rows,) = self.session.run(["rows"], {"images": np.ascontiguousarray(images, dtype=np.float32)})
        return list(rows)


def as_engine(model, device="cpu"):
    """An engine as it is, a torch detector wrapped in a TorchEngine."""
    return model if isinstance(model, (TorchEngine, OnnxEngine)) else TorchEngine(model, device)


def cache_dir() -> Path:
    if os.environ.get("GEOBFDT_CACHE"):
        return Path(os.environ["GEOBFDT_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geobfdt"


def onnx_export_path(model_path: Path, log=print) -> Path:
    """The ONNX export of a model file: found in the cache, else made now (needs torch)."""
    from geobfdt.model.export import EXPORT_TAG

    digest = file_sha256(model_path)
    path = cache_dir() / f"{model_path.stem}.{digest[:16]}.{EXPORT_TAG}.onnx"
    if path.is_file():
        return path
    from geobfdt.model.checkpoint import load_model
    from geobfdt.model.export import export_onnx

    model, header = load_model(model_path)
    cfg = header.config
    log(f"exporting the model for ONNX Runtime (once per model file): {path}")
    try:
        return export_onnx(model, path, (cfg.data.rows, cfg.data.columns), {"model_sha256": digest})
    except OSError as exc:
        raise GeoBFDTError(f"cannot write the ONNX export to {path.parent} ({exc.strerror}); set GEOBFDT_CACHE to a "
                           f"writable folder, or use --engine torch") from None


def load_engine(spec, engine: str = "onnx", device="cpu", streams: int | None = None, log=print):
    """(engine, ModelHeader) of a model spec (a run folder, a file or 'default')."""
    from geobfdt.model.checkpoint import load_model, read_model_header

    if engine not in ENGINES:
        raise OptionError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine == "torch":
        model, header = load_model(spec, device)
        return TorchEngine(model, device, streams), header
    if str(device) != "cpu":
        raise OptionError(f"--engine onnx runs on the CPU; use --engine torch for --device {device}")
    header = read_model_header(spec)
    return OnnxEngine(onnx_export_path(header.path, log), streams), header
