"""The paired verdict helper (coupled.core.paired) against independent expectations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coupled.core.errors import UserError
from coupled.core.paired import (
    CONTRADICTED,
    HOLDS,
    NOT_RESOLVED,
    compare,
    compare_each_p,
    compare_table,
    verdict,
)


def lognormal_pairs(rng, n, true_ratio, task_sd=1.0, noise_sd=0.5):
    """Errors of n tasks at a smaller and a larger p: a shared task difficulty, independent
    noise, and the larger p's error true_ratio times higher in geometric mean."""
    task = rng.normal(-6.0, task_sd, n)
    low = np.exp(task + rng.normal(0.0, noise_sd, n))
    high = np.exp(task + math.log(true_ratio) + rng.normal(0.0, noise_sd, n))
    return low, high


def test_known_ratio_is_recovered():
    rng = np.random.default_rng(1)
    low, high = lognormal_pairs(rng, 300, 3.0)
    result = compare(low, high, seed=0)
    # the sample geometric-mean ratio, computed independently of the helper
    assert result.ratio == pytest.approx(np.prod(high / low) ** (1 / low.size), rel=1e-9)
    assert result.ratio == pytest.approx(3.0, rel=0.15)
    assert result.ci_low < 3.0 < result.ci_high
    assert result.verdict == HOLDS
    assert result.wins == pytest.approx(np.mean(low < high))
    assert result.wins > 0.9
    assert (result.tasks, result.seeds) == (300, 1)


def test_reversed_ordering_is_contradicted():
    rng = np.random.default_rng(2)
    low, high = lognormal_pairs(rng, 100, 1 / 2.5)
    result = compare(low, high, seed=0)
    assert result.ci_high < 1.0
    assert result.verdict == CONTRADICTED
    assert result.wins < 0.2


def test_identical_samples_span_one():
    rng = np.random.default_rng(3)
    low = np.exp(rng.normal(-5.0, 1.0, 50))
    same = compare(low, low.copy(), seed=0)
    assert (same.ratio, same.ci_low, same.ci_high) == (1.0, 1.0, 1.0)
    assert same.wins == 0.5  # ties count one half
    assert same.verdict == NOT_RESOLVED
    # both p drawn from the same distribution: the interval contains 1
    low, high = lognormal_pairs(rng, 50, 1.0)
    exchangeable = compare(low, high, seed=0)
    assert exchangeable.ci_low < 1.0 < exchangeable.ci_high
    assert exchangeable.verdict == NOT_RESOLVED


def test_deterministic_by_seed():
    rng = np.random.default_rng(4)
    low, high = lognormal_pairs(rng, 40, 1.5)
    a, b = compare(low, high, seed=7), compare(low, high, seed=7)
    assert a == b
    c = compare(low, high, seed=8)
    assert c.ratio == a.ratio
    assert (c.ci_low, c.ci_high) != (a.ci_low, a.ci_high)


def test_coverage_on_lognormal_case():
    """95 % intervals contain the true geometric-mean ratio in about 95 % of experiments."""
    rng = np.random.default_rng(5)
    true_ratio, trials = 2.0, 300
    hits = 0
    for i in range(trials):
        low, high = lognormal_pairs(rng, 30, true_ratio, noise_sd=0.8)
        r = compare(low, high, seed=i, resamples=1000)
        hits += r.ci_low <= true_ratio <= r.ci_high
    coverage = hits / trials
    # binomial s.e. at 0.95 over 300 trials is 0.013; BCa at n = 30 undercovers slightly
    assert 0.89 <= coverage <= 0.99, coverage


def test_table_pairs_by_seed_and_task_and_pools_seeds():
    rng = np.random.default_rng(6)
    rows = []
    expected_logs, expected_wins = [], []
    for s in (0, 1, 2):
        low, high = lognormal_pairs(rng, 8, 2.0)
        for t in range(8):
            rows += [
                {"seed": s, "task": t, "p": 0.1, "final_scaled_error": low[t]},
                {"seed": s, "task": t, "p": 0.5, "final_scaled_error": 1.0},
                {"seed": s, "task": t, "p": 1.0, "final_scaled_error": high[t]},
            ]
            expected_logs.append(math.log(high[t] / low[t]))
            expected_wins.append(low[t] < high[t])
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter
    result = compare_table(table, seed=0)
    assert (result.p_low, result.p_high) == (0.1, 1.0)
    assert (result.tasks, result.seeds) == (24, 3)
    assert result.ratio == pytest.approx(math.exp(np.mean(expected_logs)))
    assert result.wins == pytest.approx(np.mean(expected_wins))
    # the same pairs in another order give the same result
    assert compare_table(table.sort_values(["p", "seed", "task"]), seed=0) == result
    assert "ratio" in result.to_dict() and result.verdict in result.describe()


def test_verdict_words():
    assert verdict(1.01, 3.0) == HOLDS
    assert verdict(0.5, 0.99) == CONTRADICTED
    assert verdict(0.9, 1.1) == NOT_RESOLVED
    assert verdict(1.0, 1.0) == NOT_RESOLVED


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        ([1.0, 0.0], [1.0, 2.0], "error 0.0"),
        ([1.0, 2.0], [1.0, math.nan], "error nan"),
        ([1.0, 2.0], [1.0], "2 at the smaller p, 1 at the larger"),
        ([1.0], [2.0], "1 pairs; need at least 2"),
    ],
)
def test_bad_input_names_the_value(low, high, message):
    with pytest.raises(UserError, match=message):
        compare(low, high)


def test_table_without_both_p_is_refused():
    table = pd.DataFrame({"task": [0, 1], "p": [1.0, 1.0], "final_scaled_error": [1.0, 2.0]})
    with pytest.raises(UserError, match="not smaller"):
        compare_table(table)
    with pytest.raises(UserError, match="no rows at p = 0.5"):
        compare_table(table, 0.5, 1.0)


def test_each_p_against_the_largest_p_per_group():
    rng = np.random.default_rng(7)
    rows = []
    for outputs, ratio in ((1, 4.0), (8, 1.0)):
        for s in (0, 1, 2):
            low, high = lognormal_pairs(rng, 10, ratio, noise_sd=0.2)
            for t in range(10):
                rows += [
                    {"outputs": outputs, "seed": s, "task": t, "p": 0.2, "e": low[t]},
                    {"outputs": outputs, "seed": s, "task": t, "p": 1.0, "e": high[t]},
                ]
    table = pd.DataFrame(rows)
    out = compare_each_p(table, ["outputs"], value="e").set_index("outputs")
    assert list(out["p"]) == [0.2, 0.2] and list(out["p_high"]) == [1.0, 1.0]
    assert out.loc[1, "verdict"] == HOLDS and out.loc[1, "ratio"] == pytest.approx(4.0, rel=0.2)
    assert out.loc[8, "ci_low"] < 1.0 < out.loc[8, "ci_high"]
    assert (out["tasks"] == 30).all() and (out["seeds"] == 3).all()
    alone = compare_each_p(table[table["p"] == 1.0], ["outputs"], value="e")
    assert alone.empty and "ci_low" in alone


def test_too_few_pairs_give_no_verdict():
    low = np.array([1.0, 2.0, 3.0, 4.0])
    result = compare(low, 10 * low * np.array([1.0, 1.01, 0.99, 1.02]), seed=0)
    assert result.ratio == pytest.approx(10.0, rel=0.02) and result.ci_low > 1.0
    assert result.verdict == NOT_RESOLVED  # four pairs: below MIN_PAIRS
    five = compare(np.append(low, 5.0), 10 * np.append(low, 5.1), seed=0)
    assert five.verdict == HOLDS
