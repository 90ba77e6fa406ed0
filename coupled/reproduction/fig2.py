"""Fig. 2: desynchronisation (p) and mini-batching (b) move the solution by the same power law.

Setup: the continuous rule on ``experiment16`` (16 edges), regression tasks with B = 16 training
examples and roles drawn per task from the seed (``roles="random"``, not the network's declared
I1 I2 / O1 O2), full-batch rule (the update sums over the batch). For every task the reference
is the
deterministic p = b = 1 run from the same initial resistances; the distance of a (p, b) run is
the Euclidean norm ``|R(p, b) - R(1, 1)|`` (ohm) of the final resistances, averaged over 50 tasks.
Three series vary one fraction x: ``p`` (b = 1), ``b`` (p = 1) and ``p=b`` (both x), against
1 - x. ``fig2a``: each edge updates with probability p and each example joins the batch with
probability b (Bernoulli). ``fig2b``: exactly round(p E) edges and round(b B) examples per step,
so 1 - x takes the values k/16.

Matched effective learning rate (the choice made here). A step with update probability p and
batch fraction b moves R on average by ``p b gamma`` times the full gradient, so at equal steps a
lower p or b just learns more slowly and the distance after a fixed number of steps measures that
lag, not the noise. Every run therefore uses ``gamma / (p_eff b_eff)`` (``p_eff``, ``b_eff`` the
actual mean fractions, e.g. round(pE)/E in fixed mode), which makes the mean update per step the
same as the reference's; the remaining distance is the diffusion that the paper compares with
SGD. (Measured without matching, 50 tasks, 20 000 steps, same gamma: distances 16, 88, 536 Ohm
at 1 - p = 0.01, 0.1, 0.5 and 6, 67, 505 Ohm for b: lag dominated, slopes 0.7 and 1.0.)

The three series then follow one power law ``d = A (1 - x)^alpha`` with different prefactors A:
desynchronisation spreads its noise over every edge, including the flat directions of the
zero-error manifold where it persists, while mini-batch noise lies in the span of the
per-example gradients, which the learning itself damps. The prefactor ratio is the remaining
effective-rate difference; it is *fitted*, not predicted (the noise amplitudes per step differ by
only about 3x at the start of training). Dividing each series by its own prefactor collapses the
data, as in the paper's statement that matching the effective rates collapses Fig. 2a and 2b.

Measured (default seed, full size, 50 tasks, 20 000 steps; final scaled test error 0.0013 in
every run, so the distances compare equally good solutions). ``fig2a``, 1 - x from 0.01 to 0.5:
exponents 0.57 +- 0.04 (p), 0.57 +- 0.05 (b), 0.60 +- 0.05 (p = b); the mini-batch series lies
40x below the desynchronised one (prefactors 170 and 4.3 Ohm), p = b sits on the p series;
divided by the prefactors all points agree within 13 %. ``fig2b``, 1 - x from 1/16 to 3/4:
exponents 0.78 +- 0.06, 0.75 +- 0.11, 0.83 +- 0.09, collapse within 26 %; the exponents are
larger than in 2a because the range reaches x = 1/4, where the noise of a step, which grows as
(1 - x) / x, bends the curves upward. The paper's conclusion (one power law, shifted by an
effective rate) holds; its exponent is not given in the extracted text, so it is not compared.

Outputs: ``<name>.csv`` (tidy: series, p, b, one_minus, p_effective, b_effective, gamma, task,
distance_ohm, final_scaled_error), ``<name>_fit.json`` (per series: exponent with standard
error, prefactor, points; the collapse), ``<name>.png``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coupled.core.errors import UserError
from coupled.core.options import check_choice
from coupled.physics.catalogue import load_network
from coupled.reproduction.base import (
    ContinuousPhysics,
    FigureResult,
    Setup,
    params_dict,
    run_conditions,
)
from coupled.training.config import TrainConfig
from coupled.training.run import train

SERIES = ("p", "b", "p=b")


@dataclass(frozen=True)
class Fig2Params(ContinuousPhysics):
    """Parameters of Fig. 2a (defaults) and 2b (``mode="fixed"``)."""

    mode: str = "bernoulli"
    network: str = "experiment16"
    tasks: int = 50
    steps: int = 20000
    one_minus: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
    series: tuple[str, ...] = SERIES
    match_rate: bool = True


FIXED_ONE_MINUS = (1 / 16, 2 / 16, 4 / 16, 8 / 16, 12 / 16)
"""Fig. 2b: 1 - x in steps of one edge / example of 16."""


def params(name: str, quick: bool) -> Fig2Params:
    """Default (paper) or quick parameters of ``fig2a`` / ``fig2b``."""
    fixed = name == "fig2b"
    prm = Fig2Params(mode="fixed", one_minus=FIXED_ONE_MINUS) if fixed else Fig2Params()
    if quick:
        quick_x = (2 / 16, 4 / 16, 8 / 16) if fixed else (0.05, 0.2, 0.5)
        prm = replace(prm, tasks=8, steps=1200, one_minus=quick_x)
    return prm


def fractions(prm: Fig2Params, series: str, x: float) -> tuple[float, float]:
    """(p, b) of one point of a series."""
    return (x if series in ("p", "p=b") else 1.0, x if series in ("b", "p=b") else 1.0)


def effective(fraction: float, mode: str, n: int) -> float:
    """Mean share actually selected per step: ``fraction`` or round(fraction n) / n (>= 1/n)."""
    return fraction if mode == "bernoulli" else max(1, int(round(fraction * n))) / n


def config(prm: Fig2Params, setup: Setup, p: float, b: float, n_edges: int) -> TrainConfig:
    """The run of one (p, b), with the learning rate matched when ``prm.match_rate``."""
    scale = effective(p, prm.mode, n_edges) * effective(b, prm.mode, prm.train_size)
    return TrainConfig(
        network=prm.network,
        task="regression",
        outputs=2,
        roles="random",  # the paper's protocol: roles drawn per task from the seed
        rule="continuous",
        engine=setup.engine,
        p=float(p),
        p_mode=prm.mode,
        batch_fraction=float(b),
        batch_mode=prm.mode,
        steps=prm.steps,
        tasks=prm.tasks,
        seed=setup.seed,
        eta=prm.eta,
        gamma=prm.gamma / scale if prm.match_rate else prm.gamma,
        r_min_ohm=prm.r_min_ohm,
        r_max_ohm=prm.r_max_ohm,
        input_min_v=prm.input_min_v,
        input_max_v=prm.input_max_v,
        train_size=prm.train_size,
        test_size=prm.test_size,
        log_every=prm.steps,
        checkpoint_every=0,
    )


def _points(prm: Fig2Params) -> list[tuple[str, float, float, float]]:
    return [(s, x, *fractions(prm, s, 1.0 - x)) for s in prm.series for x in prm.one_minus]


def check(name: str, prm: Fig2Params, setup: Setup) -> None:
    """Validate every run (``UserError``)."""
    for s in prm.series:
        check_choice(f"{name}: series", s, SERIES)
    for x in prm.one_minus:
        if not 0.0 < x < 1.0:
            raise UserError(f"{name}: 1 - p = {x}: must be in (0, 1)")
    n_edges = load_network(prm.network).n_edges
    config(prm, setup, 1.0, 1.0, n_edges).validate()
    for _, _, p, b in _points(prm):
        config(prm, setup, p, b, n_edges).validate()


def _final(cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Worker: final resistances (K, E) and final scaled test errors (K,) of one run."""
    result = train(cfg)
    h = result.history
    last = h[h["step"] == result.state.step].sort_values("task")
    return result.state.resistance_ohm, last["scaled_error"].to_numpy()


def fit_power_law(x: np.ndarray, y: np.ndarray) -> dict:
    """Least-squares fit of ``log y = alpha log x + log A``.

    Returns
    -------
    dict
        ``exponent``, ``exponent_stderr`` (NaN with fewer than 3 points), ``prefactor`` (A),
        ``points`` (number used; non-positive y are left out).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = (x > 0) & (y > 0)
    lx, ly = np.log(x[keep]), np.log(y[keep])
    if lx.size < 2:
        return {
            "exponent": np.nan,
            "exponent_stderr": np.nan,
            "prefactor": np.nan,
            "points": int(lx.size),
        }
    design = np.column_stack([lx, np.ones_like(lx)])
    coef, *_ = np.linalg.lstsq(design, ly, rcond=None)
    stderr = np.nan
    if lx.size > 2:
        residual = ly - design @ coef
        var = residual @ residual / (lx.size - 2)
        stderr = float(np.sqrt(var * np.linalg.inv(design.T @ design)[0, 0]))
    return {
        "exponent": float(coef[0]),
        "exponent_stderr": stderr,
        "prefactor": float(np.exp(coef[1])),
        "points": int(lx.size),
    }


def fit_document(table: pd.DataFrame) -> dict:
    """Fits of every series and the collapse by prefactors (the ``_fit.json`` content)."""
    means = table.groupby(["series", "one_minus"])["distance_ohm"].mean()
    fits: dict[str, dict] = {}
    for s in table["series"].unique():
        m = means.loc[s]
        fit = fit_power_law(m.index.to_numpy(float), m.to_numpy(float))
        fit["prefactor_ohm"] = fit.pop("prefactor")
        fit["one_minus"] = m.index.tolist()
        fit["mean_distance_ohm"] = m.tolist()
        fit["distance_grows"] = bool(np.all(np.diff(m.to_numpy(float)) > 0))
        fits[s] = fit
    first = next(iter(fits.values()))["prefactor_ohm"]
    collapsed = means / means.index.get_level_values(0).map(
        lambda s: fits[s]["prefactor_ohm"]
    ).to_numpy(float)
    by_x = collapsed.groupby(level="one_minus")
    spread = (by_x.max() / by_x.min())[by_x.size() > 1]
    exps = [f["exponent"] for f in fits.values()]
    return {
        "fits": fits,
        "rate_factor": {s: f["prefactor_ohm"] / first for s, f in fits.items()},
        "exponent_range": [float(np.nanmin(exps)), float(np.nanmax(exps))],
        "collapse_spread": float(spread.max()) if spread.size else np.nan,
        "note": "distance = |R(p,b) - R(1,1)|_2 averaged over tasks; fit log d = alpha log(1-x) "
        "+ log A per series; collapse divides each series by its own A",
    }


def compute(name: str, prm: Fig2Params, setup: Setup) -> FigureResult:
    """Train the reference and every (series, 1 - x) point; tabulate distances and fits."""
    n_edges = load_network(prm.network).n_edges
    points = _points(prm)
    configs = [config(prm, setup, 1.0, 1.0, n_edges)]
    configs += [config(prm, setup, p, b, n_edges) for _, _, p, b in points]
    finals = run_conditions(_final, configs, setup, label=name)
    reference = finals[0][0]
    rows = []
    for (series, x, p, b), cfg, (r, err) in zip(points, configs[1:], finals[1:], strict=True):
        rows.append(
            pd.DataFrame(
                {
                    "series": series,
                    "p": p,
                    "b": b,
                    "one_minus": x,
                    "p_effective": effective(p, prm.mode, n_edges),
                    "b_effective": effective(b, prm.mode, prm.train_size),
                    "gamma": cfg.gamma,
                    "task": cfg.first_task + np.arange(cfg.tasks),
                    "distance_ohm": np.linalg.norm(r - reference, axis=1),
                    "final_scaled_error": err,
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    doc = fit_document(table)
    doc["reference_final_scaled_error_mean"] = float(np.mean(finals[0][1]))
    lines = [
        f"{name}: continuous rule, {prm.network}, {prm.tasks} regression tasks, B = "
        f"{prm.train_size}, {prm.steps} steps, {prm.mode} selection, learning rate "
        + ("matched (gamma / (p b))" if prm.match_rate else "not matched"),
    ]
    for s, fit in doc["fits"].items():
        pts = ", ".join(
            f"{x:.3g}: {d:.3g}"
            for x, d in zip(fit["one_minus"], fit["mean_distance_ohm"], strict=True)
        )
        lines.append(
            f"series {s}: exponent {fit['exponent']:.3f} +- {fit['exponent_stderr']:.3f}, "
            f"prefactor {fit['prefactor_ohm']:.4g} Ohm (rate factor {doc['rate_factor'][s]:.3g}); "
            f"mean distance (Ohm) at 1 - x = {pts}"
        )
    final_err = table.groupby("series")["final_scaled_error"].mean()
    lines.append(
        "final scaled test error (mean): reference "
        f"{doc['reference_final_scaled_error_mean']:.3g}; "
        + ", ".join(f"{s} {v:.3g}" for s, v in final_err.items())
    )
    low, high = doc["exponent_range"]
    grows = all(f["distance_grows"] for f in doc["fits"].values())
    same = high - low < 0.15
    lines.append(
        f"paper's conclusion (one power law in 1 - p and 1 - b, shifted by an effective rate): "
        f"exponents span {low:.3f}-{high:.3f} ("
        + ("same within 0.15" if same else "NOT the same within 0.15")
        + "), distances "
        + ("grow" if grows else "do NOT all grow")
        + f" with 1 - x; divided by their prefactors the series agree within a factor "
        f"{doc['collapse_spread']:.3g}"
    )
    return FigureResult(
        name=name,
        tables={f"{name}.csv": table},
        documents={f"{name}_fit.json": doc},
        summary=tuple(lines),
        params=params_dict(prm),
        base_config={**configs[0].resolved().to_dict(), "varied": ["p", "batch_fraction", "gamma"]},
        plot="plot_fig2",
    )
