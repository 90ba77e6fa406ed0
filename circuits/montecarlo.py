"""The standalone board netlist as an ngspice Monte Carlo: tolerances as ``agauss``/``aunif``.

:func:`monte_carlo_netlist` takes the standalone netlist of a board with *nominal* parts
(:func:`coupled.circuits.assembly.standalone_netlist` of a board drawn at tolerance 0) and
writes every toleranced value as a ``.param`` drawn by ngspice itself, per part instance, from
the part classes of :mod:`coupled.circuits.tolerances` (``gauss``: ``agauss(nominal,
limit * nominal, 3)``, the limit read as three sigma; ``uniform0``: ``aunif(limit / 2, limit /
2)``, uniform on [0, limit]):

- the pots' end-to-end resistance (``rab`` of ``XPOTF_<i>``/``XPOTC_<i>``, class ``pot_r_ab``)
  and their series resistors (``RSERF_<i>``/``RSERC_<i>``, ``series_r``);
- the difference stages' gain and input offset (``XDIF*``/``XSEN*``: ``amp_gain``,
  ``amp_offset``);
- the decision comparators' offsets (``XCMPA_<i>``/``XCMPB_<i>``: ``comparator_offset``);
- each oscillator's timing R and C (``osc_r``, ``osc_c``) and its threshold divider, three
  resistors of class ``osc_r`` giving ``fl = b / (t + m + b)``, ``fh = (m + b) / (t + m + b)``.

The pots' tap nonlinearity has no parameter in the netlist's pot model: it is not drawn here
(the yield study's board twin draws it). The ``.control`` block repeats the board's own checks
(operating point, transient through one trigger, measurements) ``runs`` times in a ``while``
loop, each run after ``reset`` (which draws every ``agauss``/``aunif`` anew) and
``setseed`` once at the top, so ``ngspice -b`` runs the Monte Carlo of the decision path as in a
usual SPICE flow.
"""

from __future__ import annotations

import re

from coupled.circuits.tolerances import PartTolerance
from coupled.core.errors import UserError
from coupled.spice.numbers import spice_number

_NUMBER = r"([-+0-9.eE]+)"


def _draw(t: PartTolerance, nominal: float) -> str:
    """ngspice's expression for one draw of class ``t`` about ``nominal``."""
    if t.distribution == "uniform0":
        half = spice_number(t.limit / 2)
        return f"aunif({half}, {half})"
    if t.unit == "fraction":
        spread = t.limit * abs(nominal)
    else:
        spread = t.limit
    return f"agauss({spice_number(nominal)}, {spice_number(spread)}, 3)"


def monte_carlo_netlist(
    text: str, tolerances: dict[str, PartTolerance], runs: int, seed: int
) -> str:
    """The Monte Carlo form of a standalone board netlist ``text`` (see the module docstring).

    Parameters
    ----------
    text
        A standalone netlist of a board with nominal parts (ends with a ``.control`` block).
    tolerances
        The part classes (:data:`coupled.circuits.tolerances.DEFAULT_TOLERANCES` or a copy).
    runs
        Monte Carlo runs of the control block, >= 1.
    seed
        ``setseed`` of ngspice's random numbers.

    Returns
    -------
    str
    """
    if runs < 1:
        raise UserError(f"--monte-carlo {runs}: must be at least 1 run")
    params: list[str] = []
    out_lines: list[str] = []

    def param(name: str, expression: str) -> str:
        params.append(f".param {name} = {expression}")
        return "{" + name + "}"

    def sub(line: str, key: str, t: PartTolerance, name: str) -> str:
        match = re.search(rf"\b{key}={_NUMBER}", line)
        if match is None:
            raise UserError(f"monte carlo: no {key}= on {line.split()[0]}")
        value = float(match.group(1))
        return line[: match.start(1)] + param(name, _draw(t, value)) + line[match.end(1) :]

    body, control = text.split("\n.control\n", 1)
    for line in body.split("\n"):
        head = line.split(" ", 1)[0]
        low = head.lower()
        if re.fullmatch(r"XPOT[FC]_\d+", head):
            line = sub(line, "rab", tolerances["pot_r_ab"], f"mc_rab_{low[1:]}")
        elif re.fullmatch(r"RSER[FC]_\d+", head):
            parts = line.split(" ")
            parts[3] = param(f"mc_{low}", _draw(tolerances["series_r"], float(parts[3])))
            line = " ".join(parts)
        elif re.fullmatch(r"X(DIFF|DIFC|DIFN|SENA|SENB)_\d+", head):
            line = sub(line, "gain", tolerances["amp_gain"], f"mc_gain_{low[1:]}")
            line = sub(line, "voff", tolerances["amp_offset"], f"mc_voff_{low[1:]}")
        elif re.fullmatch(r"XCMP[AB]_\d+", head):
            line = sub(line, "voff", tolerances["comparator_offset"], f"mc_voff_{low[1:]}")
        elif re.fullmatch(r"XOSC_\d+", head):
            edge = head.split("_")[1]
            line = sub(line, "r", tolerances["osc_r"], f"mc_r_osc_{edge}")
            line = sub(line, "c", tolerances["osc_c"], f"mc_c_osc_{edge}")
            divider = [param(f"mc_{k}_osc_{edge}", _draw(tolerances["osc_r"], 1.0)) for k in "tmb"]
            t, m, b = (d.strip("{}") for d in divider)
            line = re.sub(rf"\bfl={_NUMBER}", f"fl={{{b}/({t}+{m}+{b})}}", line)
            line = re.sub(rf"\bfh={_NUMBER}", f"fh={{({m}+{b})/({t}+{m}+{b})}}", line)
        out_lines.append(line)
    head_lines, _, loop_and_tail = control.partition("\nop\n")
    if not loop_and_tail:
        raise UserError("monte carlo: the control block has no operating point to repeat")
    loop_body, _, _ = loop_and_tail.partition("\nquit 0\n")
    before_op = head_lines.split("\n")
    setup = [ln for ln in before_op if ln.startswith("set ")]
    per_run = [ln for ln in before_op if not ln.startswith("set ")]
    control_lines = [
        *setup,
        f"setseed {int(seed)}",
        "let mc_run = 0",
        f"while mc_run < {int(runs)}",
        "reset",
        'echo "monte carlo run $&mc_run"',
        *per_run,
        "op",
        *loop_body.split("\n"),
        "let mc_run = mc_run + 1",
        "end",
        "quit 0",
        ".endc",
        ".end",
        "",
    ]
    header = [
        f"* Monte Carlo: {runs} runs, setseed {int(seed)}; part tolerances (limit, unit, "
        "distribution, source):",
        *(
            f"*   {t.part_class}: {t.limit:g} {t.unit}, {t.distribution}, {t.source}"
            for t in tolerances.values()
        ),
        "*   pot_nonlinearity: not drawn in this netlist (linear pot model)",
    ]
    first, rest = out_lines[0], out_lines[1:]
    return "\n".join([first, *header, *params, *rest, ".control", *control_lines])
