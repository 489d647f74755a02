"""Hungarian matching of predicted to true sinusoids.

The cost of every prediction in the batch against every target in the batch is one tensor
operation; scipy's linear_sum_assignment then solves each image's own block.
"""

from __future__ import annotations

import torch
from scipy.optimize import linear_sum_assignment
from torch import nn

from geobfdt.model.sinusoid import circular_difference_deg, trace_fracs


def parameter_l1(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """L1 over (depth_frac, amplitude_frac, azimuth/360 as a circular gap), broadcasting over leading dims."""
    return ((pred[..., 0] - true[..., 0]).abs() + (pred[..., 1] - true[..., 1]).abs()
            + circular_difference_deg(pred[..., 2], true[..., 2]) / 360.0)


class HungarianMatcher(nn.Module):
    def __init__(self, cost_class: float, cost_param: float, cost_curve: float,
                 focal_alpha: float = 0.25, focal_gamma: float = 2.0):
        super().__init__()
        self.cost_class, self.cost_param, self.cost_curve = cost_class, cost_param, cost_curve
        self.alpha, self.gamma = focal_alpha, focal_gamma

    @torch.no_grad()
    def cost_matrix(self, logits: torch.Tensor, params: torch.Tensor, targets: list[torch.Tensor]) -> torch.Tensor:
        """(B, Q, T) cost of every prediction against every target of the whole batch (T = all targets)."""
        batch, queries = logits.shape[:2]
        true = torch.cat(targets).to(params.dtype)
        prob = logits.flatten(0, 1).sigmoid()
        # focal-loss cost of calling the target's class (DETR with sigmoid focal loss, Deformable DETR)
        positive = self.alpha * (1 - prob) ** self.gamma * -(prob + 1e-8).log()
        negative = (1 - self.alpha) * prob ** self.gamma * -(1 - prob + 1e-8).log()
        classes = true[:, 3].long()
        cost = self.cost_class * (positive[:, classes] - negative[:, classes])
        flat = params.flatten(0, 1)
        cost = cost + self.cost_param * parameter_l1(flat[:, None], true[None])
        curves_pred, curves_true = trace_fracs(flat), trace_fracs(true)
        cost = cost + self.cost_curve * torch.cdist(curves_pred, curves_true, p=1) / curves_true.shape[-1]
        return cost.view(batch, queries, -1)

    @torch.no_grad()
    def forward(self, outputs: dict, targets: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per image (prediction indices, target indices), both int64, sorted by prediction."""
        cost = self.cost_matrix(outputs["pred_logits"], outputs["pred_params"], targets).cpu()
        sizes = [len(t) for t in targets]
        indices = []
        for b, block in enumerate(cost.split(sizes, -1)):
            pred, true = linear_sum_assignment(block[b].numpy())
            indices.append((torch.as_tensor(pred, dtype=torch.long), torch.as_tensor(true, dtype=torch.long)))
        return indices


def build_matcher(loss_cfg) -> HungarianMatcher:
    """Matching costs are set apart from the loss weights (LossConfig.match_*), as in DETR."""
    return HungarianMatcher(loss_cfg.match_class, loss_cfg.match_param, loss_cfg.match_curve,
                            loss_cfg.focal_alpha, loss_cfg.focal_gamma)
