"""The ``circuit`` engine: the whole learning board in ngspice, one trigger per training step.

Contract. Each task trains on a copy of the board of :mod:`coupled.circuits.board` (twin digital
pots,
difference stages, two comparators and an XOR per edge, latches, per-edge relaxation
oscillators and enable comparators, global bias and trigger), all copies in one ngspice
circuit (:mod:`coupled.engines.board.session`). Per step the engine moves the pots to the
state's taps, applies the example drawn by the loop (inputs and targets), lets the circuit run
through one trigger, reads every edge's latched direction and enable and moves the taps of
enabled edges one position (saturating at 0 and 127). The board decides: the loop's update
draws (``edge_mask``) and comparator biases (``sigma_v``) are not used; p comes from the bias
voltage and sigma from the comparators' offsets (see ``docs/engines.md``). The returned state
carries the step's ``enabled`` and ``direction`` bits (``--record-events``). Only the discrete
rule (Eq. 10-11) exists on the board.

Time. Oscillators run in continuous physical time: step ``n`` samples the board at
``t_n = n * trigger_period_s`` and no oscillator is ever restarted at a common phase.

``golden=False`` (default, fast)
    One paused transient; each step is a window of ``window_s`` of simulated time, paused at
    its end, which is the trigger instant ``t_n``, to read the latches. The oscillators' state
    at ``t_n`` comes from the phase model fitted to the simulated oscillators
    (:mod:`coupled.engines.board.phase`). With ``fast_oscillators="held"`` (default) each
    oscillator's waveform node is held by a source at that voltage through the window: the
    enable comparator, latch and decision path run in the circuit, the oscillator parts do not
    (the held voltage is the phase model's value at ``t_n`` itself, also where an oscillator
    switches inside the window). With ``"released"``
    every oscillator is preset to that state (its capacitor voltage moving at its own slope,
    its comparator state), released, and run in the circuit up to ``t_n``. Both take the
    golden scheme's decisions (``tests/test_engine_equivalence.py``). Every
    ``restart_every`` steps the transient restarts (its stored vectors are dropped; nothing
    else carries over from a window to the next).
``golden=True``
    The reference: one transient in physical time, oscillators free running through every
    trigger period (time step at most the shortest period / ``golden_steps_per_period``),
    paused at each trigger instant to read the latches and alter taps and drives. Slow
    (seconds per step); for validation.

Bias. ``bias_for_p(p, calibration)`` with the ``calibration`` option (a ``calibration.json``
of ``coupled calibrate`` for this board: same tolerance and seed) or, by default, a curve
computed from the fitted phase model at this trigger period (cached per process). p = 1 puts
the bias below every oscillator: always enabled.

Options (``engine_options``): ``tolerance`` (part spread, default 0.05), ``board_seed`` (0),
``trigger_period_s`` (50e-6), ``golden`` (False), ``calibration`` (None), ``window_s``
(20e-9), ``restart_every`` (500), ``trigger_width_s`` (golden trigger pulse, 1e-6),
``golden_steps_per_period`` (5000), ``phase_model`` (``"fitted"`` or ``"formula"``),
``fast_oscillators`` (``"held"`` or ``"released"``), ``jitter`` (oscillator period jitter, rms
fraction of a period per cycle, default :data:`coupled.circuits.jitter.DEFAULT_JITTER`): in fast
mode
every held or preset phase carries the phase random walk of :mod:`coupled.circuits.jitter`, the same
walk as the board twin's for the same ``board_seed``; golden mode runs the circuit's own
oscillators, which have no noise (their phases move only by the integration error), and
ignores it.

Self-triggered board (``config.trigger == "self"``). A step is one example period; the edges'
firings come from the fitted phase model and each is one window (fast) or one pause of the
board's own free-running netlist (golden) that moves only the firing edge's tap
(:mod:`coupled.engines.board.selfcircuit`). The bias is mid-supply; no calibration is used.

Failures. A window that fails to converge is rerun once from a fresh transient (presets make
that exact) with a time step of at most ``window_s / 20``; then :class:`SpiceError` names the
step. A golden step that fails raises at once (its state cannot be rebuilt).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coupled.circuits.assembly import build_board
from coupled.circuits.design import BoardParameters
from coupled.circuits.jitter import PhaseWalk
from coupled.circuits.latch import LatchModel, buffer_v
from coupled.circuits.oscillator import advance, initial_state
from coupled.core.errors import ParameterError, SpiceError
from coupled.engines.base import Engine
from coupled.engines.board.decision import (
    SELF_TRIGGER_REFUSED,
    TWIN_ONLY,
    comparator_noise,
    refuse_changed,
    wiring_signs,
)
from coupled.engines.board.drawn import board_spec, engine_board
from coupled.engines.board.options import CIRCUIT_OPTIONS, PHASE_MODELS, check_circuit_options
from coupled.engines.board.session import FastTiming, GoldenTiming, engine_circuit
from coupled.engines.board.twin import SELF_TRIGGER_WHY
from coupled.physics import rules, solver
from coupled.physics.state import Measurement, StepDraws, TrainState
from coupled.spice.session import get_session

if TYPE_CHECKING:
    from coupled.engines.settings import RunSettings
    from coupled.physics.networks import Network
    from coupled.physics.tasks import Task

DIRECTION_THRESHOLD = 0.6
"""A latched direction reads "up" above this fraction of the logic swing: a tie (comparator
inputs exactly at threshold, as on edges between two driven nodes) leaves the XOR at mid-level
and reads "down", as the rule's strict inequality does."""
ENGINE_LATCH = LatchModel(hold_capacitance_f=1e-15)
"""The board's latches with a 1 fF hold (tracking time constant 1 ps instead of 1 ns): a latch
settles within one time step of any window, so a tie (its input exactly at mid-level) reads
mid-level, not the remains of its previous state."""
_PAUSE_TOLERATED = (r"^doanalyses:",)
_IDS = itertools.count()


class CircuitEngine(Engine):
    """The learning board in ngspice (see the module docstring)."""

    name = "circuit"
    options: ClassVar[dict] = CIRCUIT_OPTIONS
    extra_saves: tuple[str, ...] = ()
    """Node names kept by transients besides the latches (``coupled waveforms`` sets them)."""
    board_parameters: BoardParameters | None = None
    """A board's drawn parts to use instead of drawing them from ``tolerance`` and
    ``board_seed`` (``coupled yield --check-circuit`` sets it before ``prepare``)."""

    @classmethod
    def check_options(cls, options: dict) -> dict:
        """Options with defaults filled in; ``UserError`` names a bad value."""
        return check_circuit_options(super().check_options(options))

    # -- set-up ---------------------------------------------------------------------------------
    def prepare(self, network: Network, tasks: list[Task], config: RunSettings) -> None:
        """Draw the board, fit its oscillators, set the bias for p; the circuit loads lazily."""
        super().prepare(network, tasks, config)
        opts = self.check_options(dict(config.engine_options))
        if config.rule != "discrete":
            raise ParameterError(
                f"{{engine}} circuit: the board realises the discrete rule (Eq. 10-11), not "
                f"{{rule}} {config.rule}; use {{rule}} discrete or another engine",
                "rule",
                "engine",
            )
        if config.p_mode not in ("bernoulli", "oscillator"):
            raise ParameterError(
                f"{{p_mode}} {config.p_mode}: on the board each edge's oscillator decides, so the "
                "number of moving edges varies; use {p_mode} bernoulli (or oscillator) with "
                "{engine} circuit",
                "p_mode",
                "engine",
            )
        refuse_changed(
            opts,
            TWIN_ONLY,
            "the board's netlist has the XOR decision and unity drop stages; this design "
            "alternative runs on the board twin (engine ideal or spice)",
        )
        self.opts = opts
        self_triggered = config.trigger == "self"
        if self_triggered:
            refuse_changed(opts, SELF_TRIGGER_REFUSED, SELF_TRIGGER_WHY)
        self.spec = board_spec(config, opts)
        board = engine_board(
            network,
            self.spec,
            opts,
            float(config.p),
            config.example_period_s,
            latch=ENGINE_LATCH,
            parameters=self.board_parameters,
        )
        self.board = board
        self.design = board.design
        self.parameters = board.parameters
        self.phase_oscillators = board.oscillators
        self.calibration = board.calibration
        self.bias_v = board.bias_v
        self.wiring = wiring_signs(network, self.tasks, opts["wiring"])
        self.walk = PhaseWalk(
            opts["board_seed"],
            opts["jitter"],
            opts["trigger_period_s"],
            self.phase_oscillators.period_s,
        )
        self.session = get_session()
        self.circuit_name = f"circuit-engine-{next(_IDS)}"
        self._circuit = None
        self._offset_step = 0
        if self_triggered:
            from coupled.engines.board.selfcircuit import SelfTriggeredCircuit

            if opts["golden"]:  # the self-triggered board's own netlist, free running
                self.design = replace(self.design, trigger="self")
            self.clockless = SelfTriggeredCircuit(self)

    def _boards(self, start_step: int):
        """One board per task; in golden mode the oscillators start at ``start_step``'s time."""
        parameters = self.parameters
        if self.opts["golden"] and start_step:
            moved = advance(parameters.oscillators, start_step * self.opts["trigger_period_s"])
            parameters = replace(parameters, oscillators=moved)
        return [
            build_board(
                self._task_network(t),
                parameters,
                self.design,
                inputs=task.inputs,
                outputs=task.outputs,
                grounds=task.grounds,
                input_v=task.train_inputs_v[0],
                target_v=task.train_targets_v[0],
                eta=self.config.eta,
                taps=np.zeros(self.network.n_edges, dtype=np.int64),
                bias_v=self.bias_v,
            )
            for t, task in enumerate(self.tasks)
        ]

    def _task_network(self, t: int):
        """The network as task ``t``'s board is wired (``wiring``: edges along the current)."""
        if self.wiring is None:
            return self.network
        from dataclasses import replace

        edges = np.where(
            self.wiring[t][:, None] < 0, self.network.edges[:, ::-1], self.network.edges
        )
        return replace(self.network, edges=edges)

    def _load(self, start_step: int) -> None:
        opts = self.opts
        if opts["golden"]:
            timing = GoldenTiming(opts["trigger_period_s"], opts["trigger_width_s"])
        else:
            timing = FastTiming(opts["window_s"], oscillators=opts["fast_oscillators"])
        noise = opts["comparator_noise_v"] > 0
        self._circuit = engine_circuit(self._boards(start_step), timing, noise=noise)
        self.session.load(self._circuit.netlist, name=self.circuit_name)
        self._offset_step = start_step
        self._windows = 0  # windows since the transient started (0: not started)
        self._loaded = {}  # element -> value the circuit holds

    # -- a step ---------------------------------------------------------------------------------
    def step(self, state: TrainState, draws: StepDraws) -> TrainState:
        """Move the pots, apply the example, run one trigger, read the latches, move taps."""
        if self.clockless is not None:  # --trigger self: event to event
            return self.clockless.step(state, draws)
        n = int(draws.step)
        if self._circuit is None:
            self._load(n - 1)
        elif self.circuit_name not in self.session.circuits:
            if self.opts["golden"]:
                raise SpiceError(
                    f"circuit engine (golden), step {n}: the board's circuit was removed from "
                    "the ngspice session; a free-running transient cannot be rebuilt"
                )
            self._load(n - 1)  # presets and a full write of the values restore the state
        taps = np.asarray(state.taps, dtype=np.int64)
        values = self._tap_values(taps) | self._drive_values(draws.example_index)
        if not self.opts["golden"]:
            values |= self._preset_values(n)
        if self._circuit.noise_sources is not None:
            values |= self._noise_values(n)
        commands = [f"alter {k} = {v!r}" for k, v in values.items() if self._loaded.get(k) != v]
        data = self._advance(n, commands)
        self._loaded.update(values)
        enabled, direction = self._bits(data)
        n_taps = self.design.pot.n_taps
        new_taps = rules.discrete_update(taps, direction, enabled, n_taps)
        cfg = self.config
        return TrainState(
            step=n,
            resistance_ohm=rules.taps_to_ohm(new_taps, cfg.r_min_ohm, cfg.r_max_ohm, n_taps),
            taps=new_taps,
            enabled=enabled,
            direction=direction,
        )

    # -- public interface of the event-to-event stepping (engines/board/selfcircuit.py) -------
    @property
    def circuit_built(self) -> bool:
        """Whether the board's circuit has been built (it loads lazily at the first step)."""
        return self._circuit is not None

    @property
    def circuit_loaded(self) -> bool:
        """Whether the board's circuit is built and still in the ngspice session."""
        return self._circuit is not None and self.circuit_name in self.session.circuits

    def load(self, start_step: int) -> None:
        """Build and load the circuit, its oscillators at ``start_step`` (golden mode)."""
        self._load(start_step)

    def board_values(self, taps: np.ndarray, example_index: np.ndarray) -> dict[str, float]:
        """Element -> value of every pot at ``taps`` (K, E) and every task's example drive."""
        return self._tap_values(taps) | self._drive_values(example_index)

    def edge_values(self, taps: np.ndarray, edge: int) -> dict[str, float]:
        """Element -> value of both twins' pots of ``edge`` in every task at ``taps`` (K, E)."""
        pot, p = self.design.pot, self.parameters
        free = pot.wiper_resistance_ohm(taps[:, edge], p.r_ab_free_ohm[edge])
        clamped = pot.wiper_resistance_ohm(taps[:, edge], p.r_ab_clamped_ohm[edge])
        values: dict[str, float] = {}
        for t, elements in enumerate(self._circuit.tap_elements):
            f, c = elements[edge]
            values[f], values[c] = float(free[t]), float(clamped[t])
        return values

    def fast_window(self, step: int, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Alter the changed ``values``, run one fast window; the latched (enabled, direction)."""
        commands = [f"alter {k} = {v!r}" for k, v in values.items() if self._loaded.get(k) != v]
        data = self._advance(step, commands)
        self._loaded.update(values)
        return self._bits(data)

    def golden_window(
        self, step: int, values: dict[str, float], pause_s: float, stop_s: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Alter the changed ``values`` and resume the free-running transient to ``pause_s``
        (it ends at ``stop_s``); the latched (enabled, direction) there."""
        self.session.select(self.circuit_name)
        commands = [f"alter {k} = {v!r}" for k, v in values.items() if self._loaded.get(k) != v]
        period = float(self.parameters.oscillators.period_s.min())
        max_step = period / self.opts["golden_steps_per_period"]
        start = self._windows == 0
        self._windows = 1
        try:
            data = self._run(commands, pause_s, start, max_step, stop_s)
        except SpiceError as exc:
            raise SpiceError(f"circuit engine (golden), step {step}: {exc}") from None
        self._loaded.update(values)
        return self._bits(data)

    def _tap_values(self, taps: np.ndarray) -> dict[str, float]:
        pot, p = self.design.pot, self.parameters
        free = pot.wiper_resistance_ohm(taps, p.r_ab_free_ohm)
        clamped = pot.wiper_resistance_ohm(taps, p.r_ab_clamped_ohm)
        values: dict[str, float] = {}
        for t, elements in enumerate(self._circuit.tap_elements):
            for (f, c), rf, rc in zip(elements, free[t].tolist(), clamped[t].tolist(), strict=True):
                values[f] = rf
                values[c] = rc
        return values

    def _drive_values(self, example_index: np.ndarray) -> dict[str, float]:
        values: dict[str, float] = {}
        for t, index in enumerate(np.asarray(example_index).tolist()):
            x, y = self.train_inputs_v[t, index], self.train_targets_v[t, index]
            values.update(zip(self._circuit.input_sources[t], x.tolist(), strict=True))
            values.update(zip(self._circuit.target_sources[t], y.tolist(), strict=True))
        return values

    def _noise_values(self, step: int) -> dict[str, float]:
        """Comparator noise of ``step`` (the board twin's draw, the same for every task)."""
        noise = comparator_noise(
            self.opts["board_seed"], step, self.network.n_edges, self.opts["comparator_noise_v"]
        )
        values: dict[str, float] = {}
        for names in self._circuit.noise_sources:
            for (a, b), va, vb in zip(names, noise[0].tolist(), noise[1].tolist(), strict=True):
                values[a], values[b] = va, vb
        return values

    def _preset_values(self, step: int) -> dict[str, float]:
        """Oscillator states at the step's trigger instant: voltage, comparator state, slope."""
        osc, swing = self.phase_oscillators, self.design.swing_v
        if self.walk.jitter:
            osc = osc.with_phase(np.mod(osc.phase_fraction + self.walk.offsets(step), 1.0))
        vc, q = initial_state(osc, swing, step * self.opts["trigger_period_s"])
        slope = (q * swing - vc) / osc.tau_s  # d(v)/dt of the RC exponential, V/s
        values: dict[str, float] = {}
        for names in self._circuit.preset_sources:
            if self.opts["fast_oscillators"] == "held":
                values.update((held, v) for (held,), v in zip(names, vc.tolist(), strict=True))
                continue
            for (pv, pq, ps), a, b, c in zip(
                names, vc.tolist(), q.tolist(), slope.tolist(), strict=True
            ):
                values[pv], values[pq], values[ps] = a, b, c
        return values

    # -- the transient --------------------------------------------------------------------------
    def _advance(self, step: int, commands: list[str]) -> dict[str, np.ndarray]:
        """Run to the step's trigger instant (fast: a window; golden: a trigger period)."""
        opts = self.opts
        self.session.select(self.circuit_name)
        if opts["golden"]:
            pause = (step - self._offset_step) * opts["trigger_period_s"]
            start = self._windows == 0
            self._windows = 1
            period = float(self.parameters.oscillators.period_s.min())
            max_step = period / opts["golden_steps_per_period"]
            stop = (self.config.steps - self._offset_step + 2) * opts["trigger_period_s"]
            try:
                return self._run(commands, pause, start, max_step, stop)
            except SpiceError as exc:
                raise SpiceError(f"circuit engine (golden), step {step}: {exc}") from None
        window = opts["window_s"]
        if self._windows >= opts["restart_every"]:
            self._windows = 0
        stop = (opts["restart_every"] + 2) * window
        try:
            data = self._run(
                commands, (self._windows + 1) * window, self._windows == 0, window, stop
            )
        except SpiceError as first:
            # Fallback: a fresh transient with a finer time step, all values written again.
            full = [f"alter {k} = {v!r}" for k, v in self._loaded.items()] + commands
            try:
                data = self._run(full, window, True, window / 20, stop)
            except SpiceError as second:
                raise SpiceError(
                    f"circuit engine, step {step}: the window failed ({first}) and so did a "
                    f"fresh transient with a 20x smaller time step ({second})"
                ) from None
            self._windows = 0
        self._windows += 1
        return data

    def _run(self, commands, pause_s, start, max_step_s, stop_s) -> dict[str, np.ndarray]:
        # `time >= guard` cannot be stepped over; a new `tran` turns it into a breakpoint, a
        # paused one needs an explicit breakpoint to land on the pause (see coupled.spice).
        guard = pause_s - 16 * float(np.spacing(pause_s))
        tail = [f"stop when time >= {guard!r}"]
        if start:
            self._save_only_latches()
            tran = f"tran {max_step_s / 10!r} {stop_s!r} 0 {max_step_s!r} uic"
            tail = ["destroy all", *tail, tran]
        else:
            tail.append("resume")
            self.session.set_breakpoint(pause_s)
        self.session.script([*commands, *tail], tolerate=_PAUSE_TOLERATED)
        circuit = self._circuit
        keys = [k for t in range(len(self.tasks)) for k in circuit.direction_keys[t]]
        keys += [k for t in range(len(self.tasks)) for k in circuit.enable_keys[t]]
        data = self.session.vectors(["time", *keys], tail=1)
        reached = float(data["time"][-1])
        if abs(reached - pause_s) > 1e-9 * pause_s:
            raise SpiceError(f"the transient stopped at {reached!r} s instead of {pause_s!r} s")
        return data

    def _save_only_latches(self) -> None:
        """``save`` the latch outputs for the transient about to start (a few commands per
        restart; a script forgets them, which is fine once the transient runs)."""
        names = list(self._circuit.save_nodes) + list(self.extra_saves)
        while names:
            chunk = []
            while names and len(" ".join(["save", *chunk, names[0]])) < 1000:
                chunk.append(names.pop(0))
            self.session.command("save " + " ".join(chunk))

    def _bits(self, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        d = self.design
        up_above = d.vss_v + DIRECTION_THRESHOLD * d.swing_v
        circuit = self._circuit
        direction = self._latched(data, circuit.direction_keys) > up_above
        enabled = self._latched(data, circuit.enable_keys) > d.threshold_v
        return enabled, np.where(direction, 1, -1).astype(np.int8)

    def _latched(self, data: dict[str, np.ndarray], keys: list[list[str]]) -> np.ndarray:
        """Latch outputs (K, E) at the pause; fast windows bring out the hold voltages and the
        latches' restoring buffer is applied here (``netlists/latch_fast.lib``)."""
        values = np.array([[data[k][-1] for k in row] for row in keys], dtype=float)
        if self.opts["golden"]:
            return values
        d = self.design
        return buffer_v(values, d.latch, d.vss_v, d.vdd_v)

    # -- exact states of the board's twins (history, tests) -------------------------------------
    def twin_resistances(self, resistance_ohm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The board's free and clamped resistances (K, E) at the taps of ``resistance_ohm``.

        ``resistance_ohm`` is the state's (nominal tap values); with part spread the board's
        two pots of an edge differ from it and from each other.
        """
        cfg, pot, p = self.config, self.design.pot, self.parameters
        step = (cfg.r_max_ohm - cfg.r_min_ohm) / (pot.n_taps - 1)
        taps = np.clip(
            np.rint((np.asarray(resistance_ohm) - cfg.r_min_ohm) / step), 0, pot.n_taps - 1
        ).astype(np.int64)
        free = pot.resistance_ohm(taps, p.r_ab_free_ohm, p.r_series_free_ohm)
        clamped = pot.resistance_ohm(taps, p.r_ab_clamped_ohm, p.r_series_clamped_ohm)
        return free, clamped

    def measure(self, resistance_ohm: np.ndarray, example_index: np.ndarray) -> Measurement:
        """Exact free and clamped drops of the board's twins (numpy solver, analog nudge)."""
        free_ohm, clamped_ohm = self.twin_resistances(resistance_ohm)
        index = np.asarray(example_index, dtype=np.int64)
        free_drops, clamped_drops, outputs = [], [], []
        for t, task in enumerate(self.tasks):
            x, y = self.train_inputs_v[t, index[t]], self.train_targets_v[t, index[t]]
            free_v, clamped_v = _twin_states(
                self.network, task, free_ohm[t], clamped_ohm[t], x, y, self.config.eta
            )
            free_drops.append(solver.edge_drops(self.network, free_v))
            clamped_drops.append(solver.edge_drops(self.network, clamped_v))
            outputs.append(free_v[:, list(task.outputs)])
        return Measurement(np.array(free_drops), np.array(clamped_drops), np.array(outputs))

    def predict(self, resistance_ohm: np.ndarray, inputs_v: np.ndarray) -> np.ndarray:
        """Free outputs (K, X, O) of the board's free twins (exact numpy solve)."""
        free_ohm, _ = self.twin_resistances(resistance_ohm)
        out = []
        for t, task in enumerate(self.tasks):
            free_v = _free_state(self.network, task, free_ohm[t], np.asarray(inputs_v[t]))
            out.append(free_v[:, list(task.outputs)])
        return np.array(out)

    def provenance(self) -> dict:
        """The bias applied for the requested p and the calibration that set it."""
        import hashlib

        path = self.opts["calibration"]
        record = {
            "bias_v": float(self.bias_v),
            "calibration_path": None,
            "calibration_sha256": None,
            "calibration_source": "phase model of the board",
        }
        record.update(board_spec=self.spec.to_dict(), board_spec_key=self.spec.key())
        if self.clockless is not None:
            record.update(self.clockless.provenance(), calibration_source="none (self-triggered)")
        elif path is not None:
            absolute = Path(path).resolve()
            record.update(
                calibration_path=str(absolute),
                calibration_sha256=hashlib.sha256(absolute.read_bytes()).hexdigest(),
                calibration_source="file",
            )
        return record

    def close(self) -> None:
        """Remove the board from the ngspice session."""
        if getattr(self, "_circuit", None) is not None:
            self.session.remove(self.circuit_name)
            self.session.script(["destroy all"])
            self._circuit = None


def _free_state(network, task, resistance_ohm, inputs_v) -> np.ndarray:
    driven = list(task.inputs) + list(task.grounds)
    volts = np.concatenate([inputs_v, np.zeros((inputs_v.shape[0], len(task.grounds)))], axis=1)
    return solver.solve(
        network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=resistance_ohm
    )


def _twin_states(network, task, free_ohm, clamped_ohm, inputs_v, targets_v, eta):
    free_v = _free_state(network, task, free_ohm, inputs_v)
    clamp = rules.clamp(free_v[:, list(task.outputs)], targets_v, eta)
    driven = list(task.inputs) + list(task.grounds) + list(task.outputs)
    volts = np.concatenate(
        [inputs_v, np.zeros((inputs_v.shape[0], len(task.grounds))), clamp], axis=1
    )
    clamped_v = solver.solve(
        network, driven_nodes=driven, driven_voltages_v=volts, resistance_ohm=clamped_ohm
    )
    return free_v, clamped_v


__all__ = ["CircuitEngine", "DIRECTION_THRESHOLD", "PHASE_MODELS"]
