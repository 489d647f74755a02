"""The detector's inference graph as ONNX, for ONNX Runtime (picking/engine.py).

`Detector.inference` (windows -> sorted rows) is recorded by torch's TorchScript-based
exporter with a dynamic batch axis; the graph holds the weights, so ONNX Runtime runs it
without torch. The dynamo-based exporter gives the same graph but takes about 8x longer here
(110 s against 14 s on a busy machine).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from geobfdt.files import atomic_path

OPSET = 17
EXPORT_TAG = "geobfdt-onnx-1"  # bump when the exported graph changes, so cached exports are redone


def export_onnx(model, path, window: tuple[int, int], metadata: dict[str, str] | None = None) -> Path:
    """Write `model`'s inference graph for windows of `window` (rows, columns): input `images`
    (B, C, rows, columns) float32, output `rows` (B, Q, 5); atomically, with `metadata` in the
    file's metadata_props. The graph is fixed to that window size (feature-map sizes are traced)."""
    import onnx
    import torch

    class Inference(torch.nn.Module):
        def __init__(self, detector):
            super().__init__()
            self.detector = detector

        def forward(self, images):
            return self.detector.inference(images)

    example = torch.zeros(2, model.cfg.in_channels, *window)
    model = model.eval()
    path = Path(path)
    with atomic_path(path) as tmp, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python ints in shapes: fixed per window size
        torch.onnx.export(Inference(model), (example,), str(tmp), input_names=["images"], output_names=["rows"],
                          dynamic_axes={"images": {0: "batch"}, "rows": {0: "batch"}}, opset_version=OPSET,
                          dynamo=False)
        graph = onnx.load(str(tmp))
        for key, value in {"geobfdt_export": EXPORT_TAG, **(metadata or {})}.items():
            graph.metadata_props.add(key=key, value=value)
        onnx.save(graph, str(tmp))
    return path
