"""The detector: backbone -> encoder -> (proposals) -> sinusoid-sampling decoder, plus denoising in training."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from geobfdt.model.backbone import build_backbone
from geobfdt.model.denoising import attention_mask, noised_queries
from geobfdt.model.position import feature_position
from geobfdt.model.proposals import RowProposals, select_top
from geobfdt.model.transformer import Decoder, Encoder

FIXED_AMPLITUDE_FRAC = 0.05  # reference amplitude of the learned queries when two_stage is off


def projection(in_channels: int, d_model: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, d_model, 1), nn.GroupNorm(8, d_model))


def layer_output(logits: torch.Tensor, params: torch.Tensor) -> dict:
    """Per-layer stacks (L, B, Q, .) -> the last layer's dict with the earlier ones as aux_outputs."""
    return {"pred_logits": logits[-1], "pred_params": params[-1],
            "aux_outputs": [{"pred_logits": lg, "pred_params": pr} for lg, pr in zip(logits[:-1], params[:-1])]}


class Detector(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.backbone = build_backbone(cfg.backbone, cfg.backbone_width, cfg.in_channels)
        channels8, channels16, channels32 = self.backbone.out_channels
        self.project8, self.project16, self.project32 = (projection(c, d) for c in (channels8, channels16, channels32))
        self.encoder = Encoder(d, cfg.nhead, cfg.dim_feedforward, cfg.dropout, cfg.enc_layers)
        self.decoder = Decoder(d, cfg.nhead, cfg.dim_feedforward, cfg.dropout, cfg.dec_layers, cfg.num_classes,
                               cfg.sample_azimuths, cfg.sample_offsets)
        if cfg.two_stage:
            self.proposals = RowProposals(d, cfg.num_classes, cfg.proposals_per_row)
        else:  # learned content on fixed references spread evenly down the patch
            self.query_content = nn.Embedding(cfg.num_queries, d)
            depth = (torch.arange(cfg.num_queries, dtype=torch.float32) + 0.5) / cfg.num_queries
            reference = torch.stack([depth, torch.full_like(depth, FIXED_AMPLITUDE_FRAC), torch.zeros_like(depth)], -1)
            self.register_buffer("fixed_reference", reference, persistent=False)
        if cfg.trace_head:  # dense auxiliary supervision: which stride-8 cells a trace crosses, per class
            self.trace_head = nn.Conv2d(d, cfg.num_classes, 1)
            nn.init.constant_(self.trace_head.bias, -2.0)
        if cfg.dn_groups > 0:
            self.label_embedding = nn.Embedding(cfg.num_classes, d)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> stride-8 map (B, d, H/8, W/8): backbone detail fused with encoder context."""
        features8, features16, features32 = self.backbone(images)
        tokens = self.project16(features16) + F.interpolate(self.project32(features32), size=features16.shape[-2:])
        batch, d, rows, columns = tokens.shape
        memory = self.encoder(tokens.flatten(2).transpose(1, 2), feature_position(rows, columns, d, tokens.device))
        memory = memory.transpose(1, 2).reshape(batch, d, rows, columns)
        return self.project8(features8) + F.interpolate(memory, size=features8.shape[-2:])

    def forward(self, images: torch.Tensor, targets: list[torch.Tensor] | None = None) -> dict:
        feature_map = self.encode(images)
        outputs = {"trace_logits": self.trace_head(feature_map)} if self.cfg.trace_head else {}
        if self.cfg.two_stage:
            proposals = self.proposals(feature_map)
            reference, content = select_top(proposals, self.cfg.num_queries)
            outputs["proposals"] = {"pred_logits": proposals["pred_logits"], "pred_params": proposals["pred_params"]}
        else:
            reference = self.fixed_reference.expand(len(images), -1, -1)
            content = self.query_content.weight.expand(len(images), -1, -1)
        num_denoising, mask, denoising = 0, None, None
        if self.cfg.dn_groups > 0:
            if self.training and targets is not None and any(len(t) for t in targets):
                dn_reference, dn_labels, dn_index = noised_queries(targets, self.cfg.dn_groups, self.cfg.num_classes)
                num_denoising = dn_reference.shape[1]
                reference = torch.cat([dn_reference.to(reference.dtype), reference], 1)
                content = torch.cat([self.label_embedding(dn_labels), content], 1)
                mask = attention_mask(num_denoising, self.cfg.dn_groups, self.cfg.num_queries, images.device)
                denoising = dn_index
            else:  # keep every parameter in the graph: DistributedDataParallel requires it
                content = content + 0.0 * self.label_embedding.weight.sum()
        logits, params = self.decoder(content, reference, feature_map, mask)
        outputs.update(layer_output(logits[:, :, num_denoising:], params[:, :, num_denoising:]))
        if denoising is not None:
            outputs["dn"] = {**layer_output(logits[:, :, :num_denoising], params[:, :, :num_denoising]),
                             "target_index": denoising, "groups": self.cfg.dn_groups}
        return outputs

    def inference(self, images: torch.Tensor) -> torch.Tensor:
        """(B, Q, 5) rows depth_frac, amplitude_frac, azimuth_deg, class_id, score, best score first:
        only what picking reads (no auxiliary layers, trace map or denoising), as one traceable
        graph that the ONNX export (model/export.py) records as it is."""
        feature_map = self.encode(images)
        if self.cfg.two_stage:
            reference, content = select_top(self.proposals(feature_map), self.cfg.num_queries)
        else:
            reference = self.fixed_reference.expand(len(images), -1, -1)
            content = self.query_content.weight.expand(len(images), -1, -1)
        logits, params = self.decoder(content, reference, feature_map)
        score, class_id = logits[-1].sigmoid().max(-1)
        rows = torch.cat([params[-1], class_id[..., None].to(score.dtype), score[..., None]], -1)
        order = score.argsort(dim=1, descending=True)
        return torch.gather(rows, 1, order[..., None].expand(-1, -1, rows.shape[-1]))

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> list[np.ndarray]:
        """Per image (Q, 5): depth_frac, amplitude_frac, azimuth_deg, class_id, score; best score first."""
        was_training = self.training
        self.eval()
        try:
            rows = self.inference(images)
        finally:
            self.train(was_training)
        return [r.cpu().numpy().astype(np.float32) for r in rows]


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def build_model(cfg) -> Detector:
    return Detector(cfg)
