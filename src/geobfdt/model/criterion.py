"""Set loss: Hungarian matching, then sigmoid focal on class, L1 on parameters, curve distance.

Every output set is supervised: the last decoder layer, the earlier layers (aux_loss) and the
dense proposals (matched), and the denoising queries (paired with their own ground truth, no matching).
Sums are divided by the number of targets in the batch (at least 1), so an image with no
sinusoid still teaches every query to say "nothing here".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from geobfdt.model.matcher import build_matcher, parameter_l1
from geobfdt.model.sinusoid import curve_distance, trace_mask


def sigmoid_focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float, gamma: float) -> torch.Tensor:
    """Elementwise focal loss (Lin et al. 2017) of raw logits against 0/1 targets."""
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = prob * target + (1 - prob) * (1 - target)
    return (alpha * target + (1 - alpha) * (1 - target)) * (1 - p_t) ** gamma * ce


class SetCriterion(nn.Module):
    def __init__(self, num_classes: int, matcher, class_weight: float, param_weight: float, curve_weight: float,
                 focal_alpha: float = 0.25, focal_gamma: float = 2.0, aux_loss: bool = True,
                 trace_weight: float = 0.0):
        super().__init__()
        self.trace_weight = trace_weight
        self.num_classes, self.matcher, self.aux_loss = num_classes, matcher, aux_loss
        self.class_weight, self.param_weight, self.curve_weight = class_weight, param_weight, curve_weight
        self.alpha, self.gamma = focal_alpha, focal_gamma

    def set_losses(self, outputs: dict, targets: list[torch.Tensor], indices, num_targets: float,
                   valid: torch.Tensor | None = None) -> dict:
        """Class, parameter and curve losses of one output set given (prediction, target) index pairs."""
        logits, params = outputs["pred_logits"], outputs["pred_params"]
        device = logits.device
        batch_index = torch.cat([torch.full_like(pred, b) for b, (pred, _) in enumerate(indices)]).to(device)
        pred_index = torch.cat([pred for pred, _ in indices]).to(device)
        true = torch.cat([t[true_index.to(t.device)] for t, (_, true_index) in zip(targets, indices)])
        true = true.to(device=device, dtype=params.dtype)
        onehot = torch.zeros_like(logits)
        onehot[batch_index, pred_index, true[:, 3].long()] = 1.0
        focal = sigmoid_focal_loss(logits, onehot, self.alpha, self.gamma)
        if valid is not None:  # padding queries (denoising) carry no label at all
            focal = focal * valid[..., None]
        matched = params[batch_index, pred_index]
        losses = {"loss_class": focal.sum() / num_targets,
                  "loss_params": parameter_l1(matched, true).sum() / num_targets,
                  "loss_curve": curve_distance(matched, true).sum() / num_targets}
        losses["hungarian_loss"] = (self.class_weight * losses["loss_class"] + self.param_weight * losses["loss_params"]
                                    + self.curve_weight * losses["loss_curve"])
        if len(pred_index):
            correct = logits[batch_index, pred_index].argmax(-1) == true[:, 3].long()
            losses["class_error"] = 100.0 - 100.0 * correct.float().mean()
        else:
            losses["class_error"] = torch.zeros((), device=device)
        losses["num_matched"] = torch.tensor(float(len(pred_index)), device=device)
        return losses

    def matched_losses(self, outputs: dict, targets: list[torch.Tensor], num_targets: float) -> dict:
        return self.set_losses(outputs, targets, self.matcher(outputs, targets), num_targets)

    def denoising_losses(self, dn: dict, targets: list[torch.Tensor], num_targets: float) -> torch.Tensor:
        target_index = dn["target_index"]
        indices = [(torch.nonzero(row >= 0).flatten(), row[row >= 0]) for row in target_index.cpu()]
        valid = (target_index >= 0).to(dn["pred_logits"].dtype)
        groups = max(int(dn["groups"]), 1)
        sets = [dn] + (dn["aux_outputs"] if self.aux_loss else [])
        return sum(self.set_losses(s, targets, indices, num_targets * groups, valid)["hungarian_loss"] for s in sets)

    def forward(self, outputs: dict, targets: list[torch.Tensor]) -> dict:
        num_targets = max(float(sum(len(t) for t in targets)), 1.0)
        last = self.matched_losses(outputs, targets, num_targets)
        total = last["hungarian_loss"]
        zero = torch.zeros((), device=total.device)
        proposals, denoising = zero, zero
        if self.aux_loss:
            for aux in outputs.get("aux_outputs", []):
                total = total + self.matched_losses(aux, targets, num_targets)["hungarian_loss"]
        if "proposals" in outputs:  # a stage of its own (it seeds the queries), supervised even without aux_loss
            proposals = self.matched_losses(outputs["proposals"], targets, num_targets)["hungarian_loss"]
        if "dn" in outputs:
            denoising = self.denoising_losses(outputs["dn"], targets, num_targets)
        trace = zero
        if "trace_logits" in outputs and self.trace_weight > 0:
            logits = outputs["trace_logits"]
            mask = trace_mask(targets, logits.shape[1], logits.shape[2], logits.shape[3]).to(logits.dtype)
            focal = sigmoid_focal_loss(logits, mask, self.alpha, self.gamma)
            trace = self.trace_weight * focal.sum() / max(float(mask.sum()), 1.0)  # per positive cell, as dense detectors
        result = {key: value.detach() for key, value in last.items()}
        result.update(loss=total + proposals + denoising + trace, loss_proposals=proposals.detach(),
                      loss_dn=denoising.detach(), loss_trace=trace.detach())
        return result


def build_criterion(loss_cfg, num_classes: int) -> SetCriterion:
    return SetCriterion(num_classes, build_matcher(loss_cfg), loss_cfg.class_weight, loss_cfg.param_weight,
                        loss_cfg.curve_weight, loss_cfg.focal_alpha, loss_cfg.focal_gamma, loss_cfg.aux_loss,
                        loss_cfg.trace_weight)
