"""Words of the report page and what every column of its tables means.

:data:`GLOSSARY` is the page's glossary (the README's glossary says the same), :data:`COLUMNS`
explains each column name a report table can show (hover text and legend tables), and
:data:`HOW_TO_READ` is the page's introduction.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "coupled learning": (
        "a learning rule for physical networks: two copies (twins) of the network see the same "
        "inputs; in the clamped twin the outputs are nudged towards their targets; each edge "
        "changes its resistance by comparing its voltage drops in the two twins"
    ),
    "twin": (
        "one of the two copies of the network: the free twin (outputs float) and the clamped "
        "twin (outputs nudged to (1 - eta) V_free + eta V_target)"
    ),
    "p": (
        "update probability: the chance that a given edge updates at a given step "
        "(p = 1: every edge every step, synchronous; p < 1: desynchronous)"
    ),
    "b": "batch fraction: the share of the training examples used at a step (b = 1: all)",
    "steps x p": (
        "training step multiplied by p: the expected number of updates per edge so far; "
        "curves of different p that fall on one curve against steps x p 'collapse'"
    ),
    "scaled error": (
        "the error (mean over the test examples of the sum over outputs of (V_free - V_desired)^2)"
        " divided by its value at step 0; dimensionless, 1 at the start, smaller is better"
    ),
    "final scaled error": "the scaled error averaged over the last part of a run (the tail)",
    "allostery": (
        "a task type: drive some input nodes and ask for chosen voltages at output nodes "
        "(the experiment's 16-edge board learns such tasks)"
    ),
    "regression": (
        "a task type: 2 inputs, 2 outputs that must follow a linear map of the inputs over many "
        "examples; the test error is measured on examples not trained on"
    ),
    "roles": (
        "what each node does in a task: input (driven by a source), output (read and nudged), "
        "ground (held at 0 V) or hidden (free)"
    ),
    "sigma": (
        "the comparator bias of the discrete rule (V): an edge moves its tap only when the "
        "drop difference between the twins exceeds it"
    ),
    "tap": (
        "the wiper position of an edge's digital potentiometer (128 positions): the discrete "
        "rule moves it one position up or down; the edge's resistance follows the tap"
    ),
    "trigger": (
        "the board's global clock pulse: at each trigger every edge whose enable is on updates "
        "its tap; one trigger is one training step"
    ),
    "bias": (
        "the global bias voltage (V) of the enable comparators: it sets how often each edge's "
        "oscillator is above threshold, and so p"
    ),
    "indicative": (
        "a verdict from a quick (reduced) run: fewer tasks and steps than the paper, so it "
        "suggests rather than shows agreement"
    ),
    "Pearson r": (
        "correlation coefficient of two edges' update events over triggers; 0 for independent "
        "edges, within about 1/sqrt(n) for n triggers"
    ),
}
"""Terms used on the page, each with a one-line meaning."""

COLUMNS: dict[str, str] = {
    # claims
    "claim": "what the paper states",
    "figure": "where it is measured: a reproduced figure or the board's calibration",
    "paper_value": "what the paper reports (without its sample sizes)",
    "measured_value": "what this folder's data gives, with the sample sizes used",
    "verdict": (
        "holds, not resolved (the interval contains 1), contradicted, not measured, or not "
        "resolved at this size (a reduced piece; the full run's command is given)"
    ),
    "ratio": (
        "orderings in p: geometric mean over tasks of error at p = 1 / error at the smaller p "
        "(above 1: the smaller p ends lower), the same task at both"
    ),
    "ci_low": "lower end of the 95 % interval: bootstrap of ratio (claims), binomial of yield",
    "ci_high": "upper end of the 95 % interval: bootstrap of ratio (claims), binomial of yield",
    "tasks": "paired tasks behind ratio, over all seeds (claims); tasks trained (corners)",
    "seeds": "seeds pooled (each draws its own tasks, initial taps and update draws)",
    "wins": "share of those tasks where the smaller p ends lower (ties count one half)",
    "agrees": (
        "the paper's protocol (for orderings: means over one seed's tasks) or the criterion: "
        "yes, no, or not measured"
    ),
    "evidence": (
        "full: paper-size piece; indicative (quick: N tasks, M steps): reduced piece, the "
        "verdict only suggests"
    ),
    "criterion": "the one test applied to the measured value (the same beside the figure)",
    # calibration
    "bias_v": "global bias voltage of the enable comparators (V)",
    "p_std": "standard deviation of p over the board's edges (edges differ by part tolerance)",
    "p_min": "smallest per-edge p at this bias",
    "p_max": "largest per-edge p at this bias",
    "p_formula": "p predicted by the oscillator formula from the drawn part values",
    "n_triggers": "number of triggers simulated at this bias (per edge)",
    "n_edges": "number of edges (oscillators) on the board",
    # training runs
    "run": "the run's folder name",
    "engine": "training back end: ideal (exact numpy), spice (ngspice twins), circuit (board)",
    "steps": "training steps of the run",
    "final_scaled_error": "scaled error at the last logged step, mean over tasks",
    "wall_time_s": "wall-clock time (s)",
    "mean_share": "mean over steps of the share of edges that updated (should be p)",
    "std_share": "standard deviation over steps of that share",
    "binomial_std": "that standard deviation for independent edges: sqrt(p (1 - p) / E)",
    # provenance
    "name": "the piece (calibration or a figure)",
    "path": "its folder",
    "action": "reused (config matched), ran, failed or missing (command not installed)",
    "reason": "why it was run, or the error",
    # calibration: enables in time
    "lag": "time lag between triggers (count of trigger periods)",
    "mean_autocorrelation": "autocorrelation of an edge's enables at that lag, mean over edges",
    "mean_abs_autocorrelation": "the same, mean over edges of its absolute value",
    "phase_model_autocorrelation": "mean autocorrelation of the phase model's trains with jitter",
    # check-board
    "rows_checked": "ERC rows: one per (part, pin, quantity) checked against its datasheet limit",
    "rows_violated": "ERC rows outside their limits (0: every part inside its ratings)",
    "rows_at_limit": "ERC rows within 1 % of their range from a limit (e.g. outputs at a rail)",
    "worst_margin": "the ERC row nearest to (or furthest past) a limit: value, limits, margin",
    "all_ok": "whether every ERC row is inside its limits",
    "scope": "part_class (one kind of part on the board), rail (one supply) or total",
    "part_or_rail": "the part class or supply rail the power row is about",
    "power_w": "mean power over the checked training examples (W)",
    "energy_per_step_j": "energy per training step: power times the trigger period (J)",
    # your board: supply corners, yield and tolerance budget
    "corner": "supply corner: low, nominal or high",
    "supply_v": "the board's single supply at this corner (V)",
    "erc_ok": "whether every ERC row is inside its limits at this supply",
    "erc_violations": "ERC rows outside their limits at this supply",
    "erc_summary": "the ERC's one-line summary at this supply (the worst row)",
    "part_class": "one kind of part whose tolerance is changed (pots, amplifiers, ...)",
    "change": "ideal: that class without spread; doubled: its tolerance times two",
    "yield": "share of the drawn boards that reach the target error",
    "effect": "yield with this change minus the nominal yield (ranked by size)",
    "median_error_ratio": "median over boards of final error with the change over nominal",
    "ratio_ci_low": "lower end of the 95 % interval of median_error_ratio",
    "ratio_ci_high": "upper end of the 95 % interval of median_error_ratio",
}
"""Every column name a report table shows, with its meaning and unit."""
COLUMNS["p"] = "update probability (requested p for runs; measured share for the calibration)"

HOW_TO_READ = (
    "This page checks the paper's claims against simulations made here. The claims table comes "
    "first: each row names one claim, what the paper reports, what was measured here, the "
    "single criterion that decides the verdict, and the verdict. Claims on an ordering in p "
    "are judged on paired comparisons (the same tasks at every p, pooled over seeds) with a "
    "95 % interval: holds, not resolved (the interval contains 1) or contradicted; the "
    "paper's own protocol (means over its task count) stays beside it. The same verdict line is "
    "repeated beside the figure it comes from. A verdict from a quick run reads 'indicative "
    "(quick: N tasks, M steps)': fewer tasks and steps than the paper, so it suggests rather "
    "than shows. Then follow the calibration of the learning board (how the global bias sets "
    "p, whether edges update independently), training runs of the board if any, every "
    "reproduced figure and the provenance (which pieces were reused or run). Hover over a "
    "column name, or see the legend under each table, for what it means; the glossary at the "
    "end explains the terms."
)
"""The introduction of the page."""
