"""Cost of one network solve: numpy against ngspice, on the 143-edge jammed network.

Prints the median cost per solved example of each method and its ratio to the numpy single
solve measured in the same run (timings are never compared across runs or machines):

- numpy single: :func:`coupled.physics.solver.solve` with one drive;
- numpy batched: the same call with ``--examples`` drives at once, per example;
- ngspice op, new drive: :class:`~coupled.spice.network.SpiceNetworkSolver` ``op`` path,
  sources altered, resistances unchanged;
- ngspice op, new R (reload): every resistance changed, netlist reloaded (the default policy);
- ngspice op, new R (alter all): every resistance changed by ``alter`` (for comparison);
- ngspice dc sweep, new drives: netlist with the examples' pwl table loaded, one ``dc``;
- ngspice dc sweep, new R: same drives, every resistance changed (reload), one ``dc``.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_solve.py [--repeats N]``
(``--quick``: 30 repeats and batches of 256 examples unless given).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from coupled.core.errors import UserError  # noqa: E402
from coupled.physics.catalogue import jammed143, random_geometric
from coupled.physics.networks import Network  # noqa: E402
from coupled.physics.solver import solve  # noqa: E402
from coupled.spice.network import SpiceNetworkSolver  # noqa: E402
from coupled.spice.session import get_session  # noqa: E402


def load_network() -> tuple[Network, str]:
    """jammed143, or a random geometric graph with about 143 edges when it is missing."""
    try:
        return jammed143(), "jammed143"
    except (UserError, FileNotFoundError, OSError):
        net = random_geometric(64, 0.19, seed=4)
        return net, f"{net.name} ({net.n_edges} edges; jammed143 missing)"


def median_s(run: Callable[[int], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``run(i)`` over ``repeats`` calls after ``warmup`` calls."""
    for i in range(warmup):
        run(i)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        run(warmup + i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed calls per single method (default 200)"
    )
    parser.add_argument("--examples", type=int, default=None, help="examples per batch (1024)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 repeats, 256 examples")
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 30 if args.quick else 200
    if args.examples is None:
        args.examples = 256 if args.quick else 1024

    network, label = load_network()
    rng = np.random.default_rng(args.seed)
    driven = rng.choice(network.n_nodes, size=4, replace=False).tolist()
    x = args.examples
    r0 = 10 ** rng.uniform(3, 4, network.n_edges)
    drives = rng.uniform(-5, 5, (x, len(driven)))
    r_steps = r0 * rng.uniform(0.9, 1.1, (args.repeats + 10, network.n_edges))
    batch_repeats = max(5, args.repeats // 20)

    def numpy_single(i: int) -> object:
        return solve(
            network, driven_nodes=driven, driven_voltages_v=drives[i % x], resistance_ohm=r_steps[i]
        )

    def numpy_batch(i: int) -> object:
        return solve(
            network, driven_nodes=driven, driven_voltages_v=drives, resistance_ohm=r_steps[i]
        )

    op_solver = SpiceNetworkSolver(network, driven)
    alter_solver = SpiceNetworkSolver(network, driven, alter_limit=10**9)
    sweep_solver = SpiceNetworkSolver(network, driven)
    fresh = [rng.uniform(-5, 5, (x, len(driven))) for _ in range(batch_repeats + 3)]

    rows = [
        ("numpy single", median_s(numpy_single, args.repeats)),
        ("numpy batched", median_s(numpy_batch, batch_repeats) / x),
        (
            "ngspice op, new drive",
            median_s(lambda i: op_solver.solve_op(drives[i % x], r0), args.repeats),
        ),
        (
            "ngspice op, new R (reload)",
            median_s(lambda i: op_solver.solve_op(drives[0], r_steps[i]), args.repeats),
        ),
        (
            "ngspice op, new R (alter all)",
            median_s(lambda i: alter_solver.solve_op(drives[0], r_steps[i]), args.repeats),
        ),
        (
            "ngspice dc sweep, new drives",
            median_s(lambda i: sweep_solver.solve_sweep(fresh[i], r0), batch_repeats) / x,
        ),
        (
            "ngspice dc sweep, new R",
            median_s(lambda i: sweep_solver.solve_sweep(drives, r_steps[i]), batch_repeats) / x,
        ),
    ]
    for solver in (op_solver, alter_solver, sweep_solver):
        solver.close()

    base = rows[0][1]
    print(
        f"network: {label}, {network.n_nodes} nodes, {network.n_edges} edges, "
        f"{len(driven)} driven nodes; batches of {x} examples"
    )
    print(f"engine: {get_session().describe()}")
    print(f"{'method':<32} {'per example':>14} {'x numpy single':>15}")
    for name, seconds in rows:
        print(f"{name:<32} {seconds * 1e6:>11.1f} us {seconds / base:>15.2f}")


if __name__ == "__main__":
    main()
