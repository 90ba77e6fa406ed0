"""A training run's definition and its result: ``TrainConfig``, ``TrainResult``, ``load_result``.

``TrainConfig`` is frozen; its fields are the CLI long options with underscores. ``validate()``
checks every value before any work (``UserError`` naming the first bad value and what is
allowed) and returns the loaded network; ``resolved()`` fills ``inputs``/``grounds`` from the task
kind and is what result files record; ``to_dict``/``from_dict`` are the plain-JSON form (an
unknown key or a bad value raises ``UserError``). The choice tuples (``RULES``, ``MODES``, ...)
are the allowed values of the options with choices.

``TrainResult`` is what :func:`coupled.training.train` returns; its tables have the columns
``HISTORY_COLUMNS`` and ``EVENT_COLUMNS``. ``load_result(dir)`` reads a finished run's folder
(``final_state.json``, ``history.csv``, ``run.json`` as written by :mod:`coupled.training`) back
into a ``TrainResult``, re-making its tasks from their seeded streams
(:mod:`coupled.training.draws`).
Everything here is re-exported by :mod:`coupled.training`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from coupled.circuits import design
from coupled.circuits.parts import PartSet
from coupled.core.errors import ParameterError, UserError, named
from coupled.core.memory import refuse_if_too_large
from coupled.core.options import INT64_MAX, check_choice, check_range, check_whole, is_whole
from coupled.engines import check_engine_name
from coupled.physics import rules, sensing
from coupled.physics.catalogue import load_network
from coupled.physics.networks import Network
from coupled.physics.tasks import (
    TASK_KINDS,
    check_counts,
    declares_roles,
    default_counts,
    network_roles,
)

RULES = ("continuous", "discrete")
MODES = ("bernoulli", "fixed")
P_MODES = (*MODES, "oscillator")
"""``--p-mode``: ``oscillator`` gates each edge by the board's oscillator (board twin)."""
SIGMA_MODES = ("step", "fixed", "board")
"""``--sigma-mode``: ``board`` decides by the board's fixed comparator offsets (board twin)."""
ROLE_MODES = ("auto", "network", "random")
"""``--roles``: ``auto`` (the default) is ``network`` for a network that declares inputs, outputs
or grounds and ``random`` for one that declares none; ``network`` takes the declared roles
(counts from the file); ``random`` draws them per task from the seed."""
TRIGGERS = design.TRIGGERS
"""``--trigger``: ``global`` (the board's trigger line) or ``self`` (each edge fires on its own
oscillator; :mod:`coupled.engines.board.selftrigger`)."""
SELF_TRIGGER_ENGINES = ("ideal", "circuit")
EVENT_FORMATS = ("none", "csv", "parquet")
HISTORY_COLUMNS = ("task", "step", "steps_x_p", "error", "scaled_error", "train_error")
EVENT_COLUMNS = ("step", "task", "edge", "enabled", "direction")
RESISTANCE_COLUMNS = ("step", "task", "edge", "resistance_ohm", "tap")
HISTORY_ROWS = 200
"""Rows per task that the history aims at when ``log_every`` is not given."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (field names follow the CLI long options).

    ``network`` is a built-in name, a network file or a :class:`~coupled.physics.networks.Network`
    (recorded in result files in its JSON form; a run folder also keeps a copy of the network
    it trained, ``network.json``). ``roles`` ``"auto"`` (default) uses the network's declared
    roles when it declares any (``"network"``) and random ones otherwise (``"random"``). With the
    network's roles, ``inputs``, ``outputs`` and ``grounds`` default (``None``) to the declared
    counts and any other count is refused; with random roles they default to the task kind's
    counts (2 outputs; regression: 2 inputs, 1 ground; allostery: O inputs, max(1, O // 2)
    grounds). :meth:`resolved` fills them in (and ``roles``) and is what result files record.
    ``gamma`` is in ohm per ampere squared (continuous rule only),
    ``sigma_v`` in volts (discrete rule only). ``trigger="self"`` trains the self-triggered
    board (a step is one example period of ``example_period_s`` seconds, ``p`` the mean firings
    per edge per example period; :mod:`coupled.engines.board.selftrigger`). ``parts`` maps
    part roles to catalogue part numbers (:mod:`coupled.circuits.parts`; unnamed roles take the
    default board's), e.g. ``{"comparator": "TLV3201AIDBVR"}``. See
    :mod:`coupled.training.draws` and :mod:`coupled.training` for the semantics.
    """

    network: str | Network = "jammed143"
    task: str = "regression"
    inputs: int | None = None
    outputs: int | None = None
    grounds: int | None = None
    roles: str = "auto"
    rule: str = "continuous"
    engine: str = "ideal"
    p: float = 1.0
    p_mode: str = "bernoulli"
    batch_fraction: float = 1.0
    batch_mode: str = "bernoulli"
    steps: int = 20000
    tasks: int = 1
    first_task: int = 0
    seed: int = 0
    eta: float = 1.0
    gamma: float = 2e7
    sigma_v: float = rules.DEFAULT_SIGMA_V
    sigma_mode: str = "step"
    sense_gain: float = sensing.DEFAULT_SENSE_GAIN
    r_min_ohm: float = rules.DEFAULT_R_MIN_OHM
    r_max_ohm: float = rules.DEFAULT_R_MAX_OHM
    input_min_v: float = 0.0
    input_max_v: float = 5.0
    train_size: int = 16
    test_size: int = 64
    log_every: int | None = None
    checkpoint_every: int = 1000
    record_events: str = "none"
    record_resistance_every: int = 0
    trigger: str = "global"
    example_period_s: float | None = None
    engine_options: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)

    # -- conversion ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain-JSON form (a :class:`Network` becomes its JSON form, ``Network.to_dict()``)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if isinstance(self.network, Network):
            data["network"] = self.network.to_dict()
        data["engine_options"] = dict(self.engine_options)
        data["parts"] = dict(self.parts)
        return data

    @property
    def network_label(self) -> str:
        """The network as a short text: the name or file as given, or a network object's name."""
        return self.network.name if isinstance(self.network, Network) else str(self.network)

    @property
    def part_set(self) -> PartSet:
        """The board's parts: ``parts`` (role -> part number) over the default board's."""
        return PartSet.from_mapping(self.parts)

    @property
    def n_taps(self) -> int:
        """Tap count of the discrete rule: the board's pot's (128 for the default AD5220)."""
        return self.part_set.pot.n_taps

    @classmethod
    def from_dict(cls, data: dict, *, network: Network | None = None) -> TrainConfig:
        """Build and validate a config; ``UserError`` names an unknown key or a bad value.

        ``network`` is the loaded network to validate against instead of loading
        ``data["network"]`` (a run folder's stored copy, ``network.json``); a ``network`` entry
        in JSON form (a mapping) becomes a :class:`Network`.
        """
        if not isinstance(data, dict):
            raise UserError(f"config must be a mapping of option names to values, got {data!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            allowed = ", ".join(sorted(known))
            raise UserError(f"config key {unknown[0]!r}: unknown; allowed: {allowed}")
        values = dict(data)
        if isinstance(values.get("record_events"), bool):
            values["record_events"] = "parquet" if values["record_events"] else "none"
        if isinstance(values.get("network"), dict):
            values["network"] = load_network(values["network"])
        config = cls(**values)
        config.validate(network=network)
        return config

    def resolved(self) -> TrainConfig:
        """A copy with ``roles``, ``inputs``, ``outputs``, ``grounds`` and ``log_every`` filled in.

        ``roles="auto"`` becomes ``"network"`` when the network declares roles, else
        ``"random"``; the counts come from the declared roles (``"network"``) or the task kind.
        ``log_every`` defaults to ``ceil(steps / HISTORY_ROWS)``: about 200 history rows per task
        whatever the step count.
        """
        roles, declared = self.roles, None
        if roles in ("auto", "network"):
            network = _network_or_none(self.network)
            if network is not None and declares_roles(network):
                roles = "network"
                declared = (len(network.inputs), len(network.outputs), len(network.grounds))
            elif roles == "auto" and network is not None:
                roles = "random"
        if declared is not None:
            counts = [
                have if given is None else given
                for given, have in zip(
                    (self.inputs, self.outputs, self.grounds), declared, strict=True
                )
            ]
        else:
            outputs = DEFAULT_OUTPUTS if self.outputs is None else self.outputs
            inputs, grounds = default_counts(self.task, outputs if _is_int(outputs) else 1)
            counts = [
                inputs if self.inputs is None else self.inputs,
                outputs,
                grounds if self.grounds is None else self.grounds,
            ]
        log_every = self.log_every
        if log_every is None:
            steps = self.steps if _is_int(self.steps) and self.steps > 0 else HISTORY_ROWS
            log_every = -(-steps // HISTORY_ROWS)
        return dataclasses.replace(
            self,
            roles=roles,
            inputs=counts[0],
            outputs=counts[1],
            grounds=counts[2],
            log_every=log_every,
        )

    # -- validation ---------------------------------------------------------------------------
    def validate(self, network: Network | None = None) -> Network:
        """Check every value before any work; returns the loaded network.

        Parameters
        ----------
        network
            Use this network instead of loading ``self.network`` (a run folder's stored copy:
            resuming and reading a run back work from any working directory).

        Raises
        ------
        UserError
            Naming the first bad value and what is allowed.
        """
        _choice("task", self.task, TASK_KINDS)
        _choice("rule", self.rule, RULES)
        _choice("p_mode", self.p_mode, P_MODES)
        _choice("batch_mode", self.batch_mode, MODES)
        _choice("sigma_mode", self.sigma_mode, SIGMA_MODES)
        _choice("roles", self.roles, ROLE_MODES)
        _choice("record_events", self.record_events, EVENT_FORMATS)
        if not isinstance(self.engine, str):
            raise ParameterError(f"{{engine}} {self.engine!r}: must be a name", "engine")
        check_engine_name(self.engine)
        check_range("p", self.p, 0.0, 1.0, low_open=True)
        check_range("batch_fraction", self.batch_fraction, 0.0, 1.0, low_open=True)
        check_range("eta", self.eta, 0.0, 1.0, low_open=True)
        check_range("gamma", self.gamma, 0.0, low_open=True)
        check_range("sigma_v", self.sigma_v, 0.0)
        sensing.check_sense_gain(self.sense_gain)
        check_range("r_min_ohm", self.r_min_ohm, 0.0, low_open=True)
        check_range("r_max_ohm", self.r_max_ohm, float(self.r_min_ohm), low_open=True)
        check_range("input_min_v", self.input_min_v)
        check_range("input_max_v", self.input_max_v, float(self.input_min_v), low_open=True)
        for name, low in (
            ("steps", 1),
            ("tasks", 1),
            ("first_task", 0),
            ("seed", 0),
            ("train_size", 1),
            ("test_size", 1),
            ("checkpoint_every", 0),
            ("record_resistance_every", 0),
        ):
            _whole(name, getattr(self, name), low)
        for name, high in MAX_COUNTS.items():
            if getattr(self, name) > high:
                raise ParameterError(
                    f"{named(name)} {getattr(self, name)}: must be at most {high} "
                    "(each one is held in memory; split larger studies into a sweep)",
                    name,
                )
        for name, low in (("inputs", 1), ("outputs", 1), ("grounds", 0), ("log_every", 1)):
            if getattr(self, name) is not None:
                _whole(name, getattr(self, name), low)
        if self.rule == "discrete" and self.batch_fraction != 1.0:
            raise ParameterError(
                f"{{batch_fraction}} {self.batch_fraction}: the discrete rule shows one example "
                "per step; batch fraction applies to the continuous rule only (leave it at 1)",
                "batch_fraction",
            )
        _check_trigger(self)
        self.part_set  # noqa: B018 - checks every role and part number
        if not isinstance(self.engine_options, dict):
            raise UserError(f"engine_options {self.engine_options!r}: must be a mapping")
        from coupled.engines import engine_class

        engine_class(self.engine).check_options(dict(self.engine_options))
        if network is None:
            network = load_network(self.network)
        cfg = self.resolved()
        if cfg.roles == "network":
            network_roles(network, cfg.inputs, cfg.outputs, cfg.grounds)
        check_counts(network, cfg.inputs, cfg.outputs, cfg.grounds)
        estimate, counted = memory_estimate(network, cfg)
        refuse_if_too_large("network", network.name, estimate, counted)
        return network


DEFAULT_OUTPUTS = 2
"""Outputs per task with random roles when ``outputs`` is not given."""


def _network_or_none(spec: Any) -> Network | None:
    """The network named by ``spec``, or ``None`` when it cannot be loaded (validate() says why)."""
    try:
        return load_network(spec)
    except (UserError, TypeError, ValueError, AttributeError):
        return None


BYTES_PER_EDGE = {"ideal": 0, "spice": 256 * 1024, "circuit": 2 * 1024**2}
"""ngspice's memory per edge of a loaded network (spice) or board (circuit), bytes: an upper
bound of what the 143-edge board measured (a 1-step circuit run peaked at 0.35 GB, its
electrical rule check's full transient included)."""
BASE_BYTES = 400 * 1024**2
"""The interpreter with numpy, pandas, numba and ngspice loaded (bytes)."""


def memory_estimate(network: Network, cfg: TrainConfig) -> tuple[float, str]:
    """A run's peak memory (bytes) and what the estimate counts (for the refusal's message).

    Counted: the dense incidence matrix (E x N) and two N x N Laplacians that the task draws
    and the exact solver build, every task's train and test examples at every node (free and
    clamped), ngspice's share per edge for the ngspice engines, and the process itself.
    """
    n, e, k = network.n_nodes, network.n_edges, cfg.tasks
    dense = 8.0 * (e * n + 2 * n * n)
    examples = 8.0 * 2 * k * (cfg.train_size + cfg.test_size) * n
    spice = float(BYTES_PER_EDGE.get(cfg.engine, BYTES_PER_EDGE["circuit"]) * e)
    counted = (
        f"dense {e} x {n} incidence and {n} x {n} Laplacians {dense / 1024**3:.3g} GiB, "
        f"examples {examples / 1024**3:.3g} GiB, ngspice {spice / 1024**3:.3g} GiB"
    )
    return BASE_BYTES + dense + examples + spice, counted


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    check_choice(name, value, allowed)


_is_int = is_whole


MAX_WHOLE = INT64_MAX
"""Largest whole-number option: results tables store them as 64-bit integers."""
MAX_COUNTS = {"tasks": 100_000, "train_size": 1_000_000, "test_size": 1_000_000}
"""Upper bounds of the counts that size memory (tasks and examples are all held at once)."""


def _whole(name: str, value: Any, low: int) -> None:
    check_whole(name, value, low, MAX_WHOLE)


def _check_trigger(cfg: TrainConfig) -> None:
    """``--trigger`` and ``--example-period-s``: where a self-triggered board makes sense."""
    _choice("trigger", cfg.trigger, TRIGGERS)
    if cfg.example_period_s is not None:
        check_range("example_period_s", cfg.example_period_s, 0.0, low_open=True)
        if cfg.trigger != "self":
            raise ParameterError(
                f"{{example_period_s}} {cfg.example_period_s}: applies to {{trigger}} self only",
                "example_period_s",
                "trigger",
            )
    if cfg.trigger != "self":
        return
    if cfg.rule != "discrete":
        raise ParameterError(
            f"{{trigger}} self with {{rule}} {cfg.rule}: a self-triggered board moves taps; "
            "it needs {rule} discrete",
            "trigger",
            "rule",
        )
    if cfg.engine not in SELF_TRIGGER_ENGINES:
        raise ParameterError(
            f"{{trigger}} self with {{engine}} {cfg.engine}: runs on "
            f"{' or '.join(SELF_TRIGGER_ENGINES)}",
            "trigger",
            "engine",
        )
    if cfg.engine == "ideal" and cfg.p_mode != "oscillator":
        raise ParameterError(
            f"{{trigger}} self with {{p_mode}} {cfg.p_mode}: each edge fires on its own "
            "oscillator; the ideal engine needs {p_mode} oscillator",
            "trigger",
            "p_mode",
        )
    if cfg.engine == "circuit" and cfg.p_mode == "fixed":
        raise ParameterError(
            "{trigger} self with {p_mode} fixed: use {p_mode} oscillator", "trigger", "p_mode"
        )
