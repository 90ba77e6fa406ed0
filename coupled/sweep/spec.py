"""Sweep specifications: a TOML file of ``coupled train`` options and the grid they span.

A spec has two tables::

    [base]                      # options every point shares (TrainConfig field names,
    network = "experiment16"    #   i.e. the long ``coupled train`` options with underscores)
    rule = "discrete"
    steps = 3000
    [grid]                      # lists; the sweep is their cartesian product
    p = [0.2, 0.5, 1.0]
    seed = [11, 12]

Contract
--------
* :func:`load_spec` reads and checks the file's shape; :func:`plan_sweep` expands the grid and
  validates every point through :meth:`coupled.training.TrainConfig.from_dict`. Any problem
  raises :class:`coupled.core.errors.UserError` with one line naming the spec, the key or point and
  what is allowed, before anything is created.
* Grid order: the first grid key varies slowest (``itertools.product`` in file order); point
  ``i`` of the plan is row block ``i`` of the results.
* Whole numbers given for float options (``p = [1, 0.5]``) are stored as floats, so ``1`` and
  ``1.0`` are the same point. A key may be in ``[base]`` or ``[grid]``, not both.
* ``coupled train``'s board shorthands (``tolerance``, ``supply_v``, ``trigger_period_s``,
  ``golden``, ``calibration``, ``board_seed``, ``jitter``; :data:`ENGINE_OPTION_KEYS`) are keys
  too: each point gets them in its ``engine_options``.
* Relative network paths are taken relative to the spec's folder and made absolute.
* Every point carries a hash (:func:`point_hash`) of its resolved configuration and the package
  version; a network file enters the hash by the SHA-256 of its bytes, not by its path. Two grid
  points with the same hash are refused (they would be the same run).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coupled.core.errors import ParameterError, UserError
from coupled.core.version import __version__
from coupled.physics.catalogue import BUILTIN_NETWORKS
from coupled.training.config import TrainConfig

TABLES = ("base", "grid")
HASH_LENGTH = 16
"""Hex digits of a point hash (64 bits)."""

_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
ENGINE_OPTION_KEYS = (
    "tolerance",
    "supply_v",
    "trigger_period_s",
    "golden",
    "calibration",
    "board_seed",
    "jitter",
)
"""Options that ``coupled train`` takes as flags but that live in ``engine_options`` (its
shorthands ``--tolerance``, ``--supply-v``, ...): as sweep keys they go into each point's
``engine_options``."""
_BUILTIN_PREFIXES = {name.split(":", 1)[0] for name in BUILTIN_NETWORKS}
_FLOAT_FIELDS = {name for name, f in _FIELDS.items() if isinstance(f.default, float)}


@dataclass(frozen=True)
class SweepSpec:
    """A parsed spec: shared options, grid axes (in file order) and where it came from."""

    base: Mapping[str, Any]
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    source: str = "<mapping>"
    text: str = ""

    @property
    def n_points(self) -> int:
        """Number of grid points (product of the axis lengths; 1 for an empty grid)."""
        count = 1
        for _, values in self.grid:
            count *= len(values)
        return count

    def to_dict(self) -> dict:
        """Plain-JSON form (``base``, ``grid`` as a mapping of lists, ``source``)."""
        return {
            "source": self.source,
            "base": dict(self.base),
            "grid": {key: list(values) for key, values in self.grid},
        }


@dataclass(frozen=True)
class SweepPoint:
    """One validated grid point: its position, hash, grid values and full configuration."""

    index: int
    hash: str
    values: Mapping[str, Any]
    config: TrainConfig


@dataclass(frozen=True)
class SweepPlan:
    """A spec with every point expanded and validated (what ``coupled.sweep.run_sweep`` runs)."""

    spec: SweepSpec
    points: tuple[SweepPoint, ...]


def load_spec(path: str | Path) -> SweepSpec:
    """Read a TOML sweep spec.

    Parameters
    ----------
    path
        The ``.toml`` file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    UserError
        The file is missing, unreadable or not TOML, or its tables or keys are not allowed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UserError(f"spec {path}: cannot read it ({reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"spec {path}: not valid TOML ({exc})") from None
    spec = parse_spec(data, source=str(path))
    base = dict(spec.base)
    grid = list(spec.grid)
    folder = path.resolve().parent
    if "network" in base:
        base["network"] = _network_path(base["network"], folder)
    grid = [
        (key, tuple(_network_path(v, folder) for v in values) if key == "network" else values)
        for key, values in grid
    ]
    return dataclasses.replace(spec, base=base, grid=tuple(grid), text=text)


def parse_spec(data: Mapping[str, Any], source: str = "<mapping>") -> SweepSpec:
    """Check the shape of a spec given as a mapping (the parsed TOML).

    Raises
    ------
    UserError
        An unknown table or option, a grid value that is not a non-empty list, or a key given in
        both tables.
    """
    if not isinstance(data, Mapping):
        raise UserError(f"spec {source}: must be a table with [base] and [grid]")
    for name in data:
        if name not in TABLES:
            raise UserError(f"spec {source}: unknown table or key {name!r}; allowed: base, grid")
    base = data.get("base", {})
    grid = data.get("grid", {})
    for name, table in (("base", base), ("grid", grid)):
        if not isinstance(table, Mapping):
            raise UserError(f"spec {source}: {name} must be a table ([{name}]), got {table!r}")
        for key in table:
            _check_key(source, name, key)
    axes = []
    for key, values in grid.items():
        if not isinstance(values, list):
            raise UserError(
                f"spec {source} [grid] {key} = {values!r}: must be a list of values, "
                f"e.g. {key} = [{values!r}]"
            )
        if not values:
            raise UserError(f"spec {source} [grid] {key}: empty list; give at least one value")
        if key in base:
            raise UserError(
                f"spec {source}: {key!r} is in both [base] and [grid]; keep it in one of them"
            )
        axes.append((key, tuple(_normal(key, v) for v in values)))
    base_values = {key: _normal(key, value) for key, value in base.items()}
    return SweepSpec(base=base_values, grid=tuple(axes), source=source)


def plan_sweep(spec: SweepSpec) -> SweepPlan:
    """Expand the grid and validate every point.

    Returns
    -------
    SweepPlan
        Points in grid order (first grid key slowest).

    Raises
    ------
    UserError
        A point whose configuration :class:`TrainConfig` rejects (the message names the point and
        its grid values), or two points that are the same run.
    """
    keys = [key for key, _ in spec.grid]
    points: list[SweepPoint] = []
    seen: dict[str, int] = {}
    digests: dict[str, str] = {}
    for index, combo in enumerate(itertools.product(*(values for _, values in spec.grid))):
        values = dict(zip(keys, combo, strict=True))
        where = _describe(spec.source, index, values)
        try:
            config = TrainConfig.from_dict(_with_engine_options({**spec.base, **values}))
            config = config.resolved()
        except ParameterError as exc:  # still names the parameters (the CLI: its flags)
            raise ParameterError(f"{where}: {exc.template}", *exc.parameters) from None
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
        except TypeError as exc:  # a value of a type the dataclass cannot hold
            raise UserError(f"{where}: {exc}") from None
        digest = point_hash(config, _cache=digests)
        if digest in seen:
            raise UserError(
                f"{where}: same run as grid point {seen[digest]}; remove the duplicate value"
            )
        seen[digest] = index
        points.append(SweepPoint(index=index, hash=digest, values=values, config=config))
    return SweepPlan(spec=spec, points=tuple(points))


def point_hash(
    config: TrainConfig, version: str = __version__, *, _cache: dict | None = None
) -> str:
    """Hash of a run: its resolved configuration, its network's content and the version.

    A network file is hashed by its bytes (so moving it keeps the hash and editing it changes
    it); built-in names are hashed by name. Returns ``HASH_LENGTH`` hex digits.
    """
    data = config.resolved().to_dict()
    if not data.get("parts"):  # the default board's parts: hashes as before parts existed
        data.pop("parts", None)
    data["network"] = _network_identity(str(data["network"]), _cache)
    text = json.dumps({"config": data, "version": version}, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def _network_identity(network: str, cache: dict | None) -> str:
    path = Path(network)
    try:
        if not path.is_file():
            return network
    except OSError:
        return network
    key = str(path.resolve())
    if cache is not None and key in cache:
        return cache[key]
    identity = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    if cache is not None:
        cache[key] = identity
    return identity


def _check_key(source: str, table: str, key: str) -> None:
    if key in _FIELDS or key in ENGINE_OPTION_KEYS:
        return
    hint = ""
    if key.replace("-", "_") in _FIELDS:
        hint = f" (write {key.replace('-', '_')}: underscores, not dashes)"
    allowed = ", ".join(sorted([*_FIELDS, *ENGINE_OPTION_KEYS]))
    raise UserError(f"spec {source} [{table}]: unknown option {key!r}{hint}; allowed: {allowed}")


def _with_engine_options(values: dict) -> dict:
    """Move the shorthand keys (:data:`ENGINE_OPTION_KEYS`) into ``engine_options``."""
    moved = {k: values.pop(k) for k in ENGINE_OPTION_KEYS if k in values}
    if not moved:
        return values
    options = values.get("engine_options", {})
    if not isinstance(options, Mapping):
        return values  # TrainConfig names the bad value
    both = sorted(set(moved) & set(options))
    if both:
        raise UserError(f"{both[0]!r} is given both as a key and in engine_options; give it once")
    values["engine_options"] = {**options, **moved}
    return values


def _normal(key: str, value: Any) -> Any:
    if key in ("tolerance", "supply_v", "trigger_period_s", "jitter") and isinstance(value, int):
        return value if isinstance(value, bool) else float(value)
    if key in _FLOAT_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _network_path(value: Any, folder: Path) -> Any:
    """A relative network path that exists beside the spec, made absolute; else unchanged."""
    if not isinstance(value, str) or not value.strip():
        return value
    if value.split(":", 1)[0] in _BUILTIN_PREFIXES:
        return value
    path = Path(value)
    if path.is_absolute() or not (folder / path).exists():
        return value
    return str((folder / path).resolve())


def _describe(source: str, index: int, values: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
    return f"spec {source} grid point {index}" + (f" ({shown})" if shown else "")
