"""Quick start: train the 16-edge board, load the result, plot scaled error against step.

Trains the allostery task on the experiment's 16-edge network with the discrete (128-tap) rule
and the exact ``ideal`` engine (seconds), writes the run into ``OUT/run`` and the plot into
``OUT/quickstart.png``::

    python examples/quickstart.py results/quickstart
"""

import sys
from pathlib import Path

from matplotlib.figure import Figure

import coupled


def main(out: Path) -> Path:
    config = coupled.TrainConfig(
        network="experiment16",
        task="allostery",
        rule="discrete",
        engine="ideal",
        p=0.5,
        steps=400,
        log_every=10,
    )
    coupled.train(config, out / "run", overwrite=True)

    history = coupled.load_result(out / "run").history
    fig = Figure(figsize=(5, 3.5), layout="tight")
    ax = fig.subplots()
    ax.semilogy(history["step"], history["scaled_error"])
    ax.set(xlabel="step", ylabel="error / error at step 0", title="16-edge board, discrete rule")
    fig.savefig(out / "quickstart.png", dpi=120)
    return out / "quickstart.png"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/quickstart.py OUTPUT_FOLDER")
    print(main(Path(sys.argv[1])))
