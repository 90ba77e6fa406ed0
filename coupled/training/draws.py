"""The random draws of a training run: task streams, tasks, initial states, step draws.

Task ``t`` (``first_task <= t < first_task + tasks``) has its own streams,
``SeedSequence(seed, spawn_key=(t,)).spawn(3)`` (:func:`task_streams`): (0) the task (roles,
teacher, examples; :func:`make_tasks`), (1) the initial state (resistances or taps, fixed
comparator biases; :func:`initial_state`), (2) the step draws (``DrawSource``). Step draws are
made in chunks of ``DRAW_CHUNK`` steps per task, in this order: update uniforms (C, E), then for
the continuous rule batch uniforms (C, X), for the discrete rule the example shown (C,) and, with
``sigma_mode="step"``, the comparator uniforms (C, E). A task therefore gets identical draws
alone, in any batch, with any engine, and after a resume (``DrawSource.resume_states`` /
``restore`` carry the generator states through a checkpoint); ``joined_draws`` stacks the
draws of several runs' sources for one batched engine step.

Per step: continuous rule, the batch holds each training example with probability
``batch_fraction`` (``batch_mode="bernoulli"``, an empty batch changes nothing) or exactly
``round(batch_fraction * X)`` examples (``"fixed"``); discrete rule, one training example drawn
uniformly from the training set. Edges update with probability ``p`` (``p_mode="bernoulli"``) or
exactly ``round(p * E)`` of them (``"fixed"``). Everything here is re-exported by
:mod:`coupled.training`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coupled.physics import rules
from coupled.physics.networks import Network
from coupled.physics.state import StepDraws, TrainState
from coupled.physics.tasks import Task, make_task, network_roles

if TYPE_CHECKING:
    from coupled.training.config import TrainConfig

DRAW_CHUNK = 64
"""Steps of draws generated at once per task (part of the reproducibility contract)."""


def task_streams(seed: int, task_index: int) -> list[np.random.Generator]:
    """The (task, initial state, step) generators of task ``task_index`` of run ``seed``."""
    root = np.random.SeedSequence(seed, spawn_key=(task_index,))
    return [np.random.Generator(np.random.PCG64(s)) for s in root.spawn(3)]


def make_tasks(config: TrainConfig, network: Network) -> list[Task]:
    """The tasks of a run (task ``first_task + i`` from its own stream)."""
    cfg = config.resolved()
    roles = None  # "random": drawn from each task's stream
    if cfg.roles == "network":
        roles = network_roles(network, cfg.inputs, cfg.outputs, cfg.grounds)
    return [
        make_task(
            network,
            cfg.task,
            cfg.inputs,
            cfg.outputs,
            cfg.grounds,
            task_streams(cfg.seed, cfg.first_task + i)[0],
            train_size=cfg.train_size,
            test_size=cfg.test_size,
            input_range_v=(cfg.input_min_v, cfg.input_max_v),
            resistance_range_ohm=(cfg.r_min_ohm, cfg.r_max_ohm),
            roles=roles,
        )
        for i in range(cfg.tasks)
    ]


def initial_state(config: TrainConfig, n_edges: int) -> tuple[TrainState, np.ndarray]:
    """Initial state of every task and its fixed comparator biases (zeros unless fixed mode).

    Continuous rule: resistances uniform on [r_min_ohm, r_max_ohm]. Discrete rule: taps uniform
    on 0..n_taps - 1 (0..127 for the default pot). Fixed-mode biases are uniform on
    [0, sigma_v], drawn after the taps.
    """
    cfg = config
    r, taps, sigma = [], [], []
    for i in range(cfg.tasks):
        rng = task_streams(cfg.seed, cfg.first_task + i)[1]
        if cfg.rule == "continuous":
            r.append(rng.uniform(cfg.r_min_ohm, cfg.r_max_ohm, size=n_edges))
        else:
            taps.append(rng.integers(0, cfg.n_taps, size=n_edges))
        fixed = cfg.rule == "discrete" and cfg.sigma_mode == "fixed"
        sigma.append(rng.uniform(0.0, cfg.sigma_v, size=n_edges) if fixed else np.zeros(n_edges))
    if cfg.rule == "continuous":
        return TrainState(step=0, resistance_ohm=np.array(r)), np.array(sigma)
    tap_array = np.array(taps, dtype=np.int64)
    state = TrainState(
        step=0,
        resistance_ohm=rules.taps_to_ohm(tap_array, cfg.r_min_ohm, cfg.r_max_ohm, cfg.n_taps),
        taps=tap_array,
    )
    return state, np.array(sigma)


class DrawSource:
    """Makes the StepDraws of every step from the per-task step generators, chunk by chunk."""

    def __init__(
        self,
        config: TrainConfig,
        n_edges: int,
        n_train: int,
        fixed_sigma: np.ndarray,
        track_states: bool = True,
    ):
        self.cfg = config
        self.track_states = track_states  # generator states per chunk, for checkpoints only
        self.n_edges, self.n_train = n_edges, n_train
        self.fixed_sigma = fixed_sigma
        first = config.first_task
        self.rngs = [task_streams(config.seed, first + i)[2] for i in range(config.tasks)]
        self.chunk_states: list[dict] = self.states()
        self.chunk_start = -1
        self.chunk: dict[str, np.ndarray] = {}

    def states(self) -> list[dict]:
        return [rng.bit_generator.state for rng in self.rngs]

    def restore(self, states: list[dict], done_steps: int) -> None:
        """Continue after ``done_steps`` steps from generator states saved at the chunk start."""
        for rng, state in zip(self.rngs, states, strict=True):
            rng.bit_generator.state = state
        self.chunk_states = [dict(s) for s in states]
        if done_steps % DRAW_CHUNK:
            self._generate(done_steps - done_steps % DRAW_CHUNK)

    def resume_states(self, done_steps: int) -> list[dict]:
        """Generator states to store in a checkpoint taken after ``done_steps`` steps.

        The states at the start of the chunk that holds step ``done_steps + 1``: the saved
        start of that chunk if it was already drawn (a step interrupted after its draws were
        made), else the generators' current states (which are exactly there).
        """
        start = done_steps - done_steps % DRAW_CHUNK
        if self.chunk_start == start:
            return [dict(s) for s in self.chunk_states]
        return self.states()

    def _generate(self, start: int) -> None:
        cfg, c, e, k = self.cfg, DRAW_CHUNK, self.n_edges, self.cfg.tasks
        continuous = cfg.rule == "continuous"
        if self.track_states:  # reading a generator's state costs about 20 us
            self.chunk_states = self.states()
        # Each task's uniforms go through one small reused buffer (it stays in cache) and become
        # bits in the step-major (C, K, ...) chunk: the same values as per-task arrays.
        edge = np.empty((c, k, e), dtype=bool)
        # Oscillator gates replace the mask in the engine; the uniforms are drawn all the same
        # so every other draw stays where it was.
        gate_mode = "bernoulli" if cfg.p_mode == "oscillator" else cfg.p_mode
        edge_u = np.empty((c, e))
        chunk = {"edge": edge, "index": np.zeros((c, k), dtype=np.int64)}
        if continuous:
            batch, batch_u = np.empty((c, k, self.n_train), dtype=bool), np.empty((c, self.n_train))
            chunk["batch"] = batch
            chunk["sigma"] = np.broadcast_to(0.0, (c, k, e))  # unused by the continuous rule
        else:
            chunk["batch"] = np.ones((c, k, self.n_train), dtype=bool)
            if cfg.sigma_mode == "step":
                chunk["sigma"] = np.empty((c, k, e))
            else:
                chunk["sigma"] = np.broadcast_to(self.fixed_sigma, (c, k, e))
        for t, rng in enumerate(self.rngs):
            rng.random(out=edge_u)
            edge[:, t] = rules.update_mask(edge_u, cfg.p, gate_mode)
            if continuous:
                rng.random(out=batch_u)
                batch[:, t] = rules.update_mask(batch_u, cfg.batch_fraction, cfg.batch_mode)
            else:
                chunk["index"][:, t] = rng.integers(0, self.n_train, size=c)
                if cfg.sigma_mode == "step":
                    chunk["sigma"][:, t] = rng.random((c, e)) * cfg.sigma_v
        self.chunk, self.chunk_start = chunk, start

    def draws(self, step: int) -> StepDraws:
        """Draws of ``step`` (1-based); steps must come in order."""
        start = (step - 1) - (step - 1) % DRAW_CHUNK
        if start != self.chunk_start:
            self._generate(start)
        i = step - 1 - start
        ch = self.chunk
        return StepDraws(
            step=step,
            edge_mask=ch["edge"][i],
            example_mask=ch["batch"][i],
            example_index=ch["index"][i],
            sigma_v=ch["sigma"][i],
        )


def joined_draws(sources: list[DrawSource], step: int) -> StepDraws:
    """The draws of several runs' sources, stacked along the task axis."""
    parts = [s.draws(step) for s in sources]
    fields = ("edge_mask", "example_mask", "example_index", "sigma_v")
    joined = {f: np.concatenate([getattr(d, f) for d in parts]) for f in fields[:3]}
    if sources[0].cfg.rule == "continuous":  # zeros, unused: no copy
        joined["sigma_v"] = np.broadcast_to(0.0, joined["edge_mask"].shape)
    else:
        joined["sigma_v"] = np.concatenate([d.sigma_v for d in parts])
    return StepDraws(step=step, **joined)
