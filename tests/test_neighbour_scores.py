"""scripts/neighbour_scores.py: each pick's same-class neighbours, and that the score-map fit would find a
neighbour term of a known size (so the measured absence of one is not the method's blindness)."""

import sys
from pathlib import Path

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geobfdt.model.calibration import sigmoid
from geobfdt.training.calibrate import fit_quality_map

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from neighbour_scores import WITHIN_M, neighbours  # noqa: E402

picks = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 1), st.floats(0.0, 2.0), st.floats(0.3, 1.0)),
                 min_size=1, max_size=40)


@given(picks)
def test_neighbours_match_a_pairwise_count(rows):
    source, class_id, depth, score = (np.array(v) for v in zip(*rows))
    got = neighbours(source, class_id, depth, score)
    same = (source[:, None] == source[None]) & (class_id[:, None] == class_id[None]) & ~np.eye(source.size, dtype=bool)
    gap = np.where(same, np.abs(depth[:, None] - depth[None]), np.inf)
    near = gap <= WITHIN_M
    assert np.array_equal(got["count"], near.sum(1))
    assert np.allclose(got["nearest_m"], gap.min(1), atol=1e-9)  # inf where alone
    assert np.array_equal(got["stronger"], np.any(near & (score[None] > score[:, None]), axis=1))


@settings(max_examples=15, deadline=None)
@given(st.floats(-1.5, 1.5), st.integers(0, 2**16))
@example(1.5, 17120)  # failed when the logits sat mostly above 1, where the outcomes tell little
def test_the_fit_recovers_a_known_neighbour_coefficient(coefficient, seed):
    rng = np.random.default_rng(seed)
    n = 6000
    x = rng.normal(0.0, 1.0, n)  # logit of the raw score, centred so both outcomes inform the fit
    crowded = (rng.random(n) < 0.4).astype(float)
    real = (rng.random(n) < sigmoid(1.8 * x + 0.4 + coefficient * crowded)).astype(float)
    a, b, c = fit_quality_map(x, crowded[:, None], real, ridge=1e-2)
    assert a > 0
    assert abs(c - coefficient) < 0.35  # its standard error is about 0.07 here (60 seeds): 5 of them
