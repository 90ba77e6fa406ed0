"""Print the electrical rule check and power numbers the README quotes, from their runs.

Two kinds of board, both 5 % part spread and board seed 0, checked over 4 training examples and
a transient around a trigger (:func:`coupled.calibration.erc.check_board`):

``check-board NETWORK``
    what ``coupled check-board --network NETWORK`` checks: that network's default task
    (regression, random roles) at ``coupled train``'s defaults;
``demo``
    the board ``coupled demo`` (``make demo``) trains and checks first: experiment16's
    allostery task with the network's own roles (inputs I1 I2, outputs O1 O2).

usage: ``python scripts/erc_numbers.py [--network experiment16 ...] [--no-demo]``
(jammed143 takes a few minutes on 2 shared cores).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from coupled.calibration.erc import check_board  # noqa: E402
from coupled.calibration.erc_files import erc_digest  # noqa: E402
from coupled.cli.demo import train_configs  # noqa: E402
from coupled.cli.main import build_parser  # noqa: E402
from coupled.cli.report import report_config  # noqa: E402

SHARES = (
    ("difference amplifiers", ("difference amplifiers",)),
    ("comparators with their pull-ups", ("comparators", "comparator pull-ups")),
    ("oscillators", ("oscillators",)),
    ("twin networks", ("pots (twin networks)",)),
)
"""README groups -> part classes of the power table."""


def describe(label: str, result, trigger_period_s: float = 50e-6) -> str:
    """One line of the README's numbers for one checked board."""
    digest = erc_digest(result.erc, result.power)
    power = {(r["scope"], r["name"]): r["power_w"] for r in digest["power"]}
    total = power[("total", "board")]
    shares = ", ".join(
        f"{name} {sum(power.get(('part_class', c), 0.0) for c in classes) * 1e3:.1f} mW "
        f"({100 * sum(power.get(('part_class', c), 0.0) for c in classes) / total:.0f} %)"
        for name, classes in SHARES
    )
    return (
        f"{label}: {digest['rows_checked']} rows, {digest['rows_violated']} violated, "
        f"{digest['rows_at_limit']} at a limit; power {total * 1e3:.0f} mW "
        f"({total * trigger_period_s * 1e6:.1f} uJ per {trigger_period_s * 1e6:g} us step): "
        f"{shares}"
    )


def main() -> None:
    """Check the boards and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--network", action="append", help="default: experiment16")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo's board")
    args = parser.parse_args()
    for network in args.network or ["experiment16"]:
        print(describe(f"check-board {network}", check_board(network, tolerance=0.05, seed=0)))
    if not args.no_demo:
        demo = build_parser().parse_args(["demo", "--out", "unused"])
        demo.quick = True  # as coupled demo sets it
        config = report_config(demo)
        cal = config.calibration_config()
        (first, *_) = train_configs(demo, config, "unused/calibration.json")
        result = check_board(train_config=first, tolerance=cal.tolerance, seed=cal.seed)
        print(describe("demo (make demo's board)", result, cal.trigger_period_s))


if __name__ == "__main__":
    main()
