import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.config import LossConfig
from geobfdt.model import build_criterion
from geobfdt.model.sinusoid import curve_distance, refine

torch.set_num_threads(1)
KEYS = {"loss", "hungarian_loss", "loss_class", "loss_params", "loss_curve", "class_error", "num_matched"}


def outputs_for(params: torch.Tensor, logits: torch.Tensor) -> dict:
    return {"pred_logits": logits, "pred_params": params,
            "aux_outputs": [{"pred_logits": logits, "pred_params": params}]}


def test_perfect_predictions_cost_only_the_focal_floor():
    target = torch.tensor([[0.3, 0.1, 20.0, 1.0], [0.7, 0.0, 200.0, 0.0]])
    params = torch.cat([target[:, :3], torch.tensor([[0.5, 0.2, 90.0]])])[None]
    logits = torch.tensor([[[-9.0, 9.0], [9.0, -9.0], [-9.0, -9.0]]])
    losses = build_criterion(LossConfig(), 2)(outputs_for(params, logits), [target])
    assert KEYS <= set(losses)
    assert float(losses["loss_params"]) == pytest.approx(0.0, abs=1e-6)
    assert float(losses["loss_curve"]) == pytest.approx(0.0, abs=1e-6)
    assert float(losses["loss_class"]) < 1e-4
    assert float(losses["class_error"]) == 0.0 and float(losses["num_matched"]) == 2.0


def test_wrong_class_counts_as_class_error():
    target = torch.tensor([[0.3, 0.1, 20.0, 1.0], [0.7, 0.05, 200.0, 0.0]])
    logits = torch.tensor([[[-9.0, 9.0], [-9.0, 9.0]]])  # the second one says bedding, truth is fracture
    losses = build_criterion(LossConfig(), 2)(outputs_for(target[None, :, :3], logits), [target])
    assert float(losses["class_error"]) == pytest.approx(50.0)


def test_patches_without_sinusoids_push_scores_down_only():
    criterion = build_criterion(LossConfig(), 2)
    params = torch.rand(2, 5, 3)
    logits = torch.zeros(2, 5, 2, requires_grad=True)
    losses = criterion(outputs_for(params, logits), [torch.zeros(0, 4), torch.zeros(0, 4)])
    assert float(losses["num_matched"]) == 0.0 and float(losses["class_error"]) == 0.0
    assert float(losses["loss_params"]) == 0.0 and float(losses["loss_curve"]) == 0.0
    losses["loss"].backward()
    assert torch.isfinite(losses["loss"]) and (logits.grad > 0).all()  # every query learns "no object"


def test_loss_sums_every_layer_proposals_and_denoising():
    target = torch.tensor([[0.3, 0.1, 20.0, 1.0]])
    params, logits = torch.tensor([[[0.2, 0.1, 30.0], [0.8, 0.1, 0.0]]]), torch.zeros(1, 2, 2)
    criterion = build_criterion(LossConfig(), 2)
    single = criterion({"pred_logits": logits, "pred_params": params}, [target])
    outputs = outputs_for(params, logits)
    outputs["proposals"] = {"pred_logits": logits, "pred_params": params}
    outputs["dn"] = {"pred_logits": logits, "pred_params": params, "aux_outputs": [],
                     "target_index": torch.tensor([[0, -1]]), "groups": 1}
    total = criterion(outputs, [target])
    assert float(total["hungarian_loss"]) == pytest.approx(float(single["hungarian_loss"]))
    assert float(total["loss"]) == pytest.approx(3 * float(single["hungarian_loss"]) + float(total["loss_dn"]))
    assert float(total["loss_dn"]) > 0


@settings(max_examples=50, deadline=None)
@given(depth=st.floats(0, 1), phase_a=st.floats(0, 360), phase_b=st.floats(0, 360), amplitude=st.floats(0, 0.5))
def test_curve_distance_properties(depth, phase_a, phase_b, amplitude):
    flat_a, flat_b = torch.tensor([depth, 0.0, phase_a]), torch.tensor([depth, 0.0, phase_b])
    assert float(curve_distance(flat_a, flat_b)) == pytest.approx(0.0, abs=1e-6)  # phase is moot when flat
    a, b = torch.tensor([depth, amplitude, phase_a]), torch.tensor([depth, amplitude, phase_a + 360.0])
    assert float(curve_distance(a, b)) == pytest.approx(0.0, abs=1e-4)
    shifted = torch.tensor([depth + 0.1, amplitude, phase_a])
    assert float(curve_distance(a, shifted)) == pytest.approx(0.1, abs=1e-5)


@settings(max_examples=50, deadline=None)
@given(reference=st.tuples(st.floats(0, 1), st.floats(0, 0.5), st.floats(0, 359.9)),
       delta=st.tuples(st.floats(-20, 20), st.floats(-20, 20), st.floats(-20, 20)))
def test_refinement_is_bounded_and_valid(reference, delta):
    reference, delta = torch.tensor(reference), torch.tensor(delta)
    refined = refine(reference, delta)
    assert abs(float(refined[0] - reference[0])) <= 0.1 + 1e-6
    assert float(refined[1]) >= 0 and 0 <= float(refined[2]) < 360
    assert abs(float(refined[1] - reference[1])) <= 0.1 * 2 ** 0.5 + 1e-5
    torch.testing.assert_close(refine(reference, torch.zeros(3)), reference, atol=1e-4, rtol=0)


def test_trace_mask_marks_the_cells_a_trace_crosses():
    from geobfdt.model.sinusoid import trace_mask

    flat = torch.tensor([[0.5, 0.0, 0.0, 1.0]])
    steep = torch.tensor([[0.5, 0.25, 90.0, 0.0]])
    mask = trace_mask([flat, torch.zeros(0, 4), steep], 2, 16, 8)
    assert mask[0, 1, 8].sum() == 8 and mask[0].sum() == 8  # a flat bed fills its row, one class only
    assert mask[1].sum() == 0
    assert mask[2, 0, 11, 1:3].sum() == 2 and mask[2, 0, 4, 5:7].sum() == 2  # deepest at 90 deg, shallowest at 270
    assert (mask[2, 0].sum(0) > 0).all()  # oversampling leaves no column of a steep trace empty
    assert mask[2, 1].sum() == 0
