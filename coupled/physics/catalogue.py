"""Where networks come from: the built-in networks, network files, and ``load_network``.

:func:`load_network` takes a built-in name (``experiment16``, ``jammed143``, ``square:RxC``,
``rgg:N:RADIUS[:SEED]``, :data:`BUILTIN_NETWORKS`) or a file: the project's JSON
(:func:`read_json`, :func:`write_json`) or the group's plain text (:func:`read_text`,
:func:`write_text`). Every malformed file raises :class:`coupled.core.errors.UserError` naming
what is wrong. The :class:`~coupled.physics.networks.Network` type itself lives in
:mod:`coupled.physics.networks`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from coupled.core.errors import ParameterError, UserError
from coupled.core.options import is_whole
from coupled.physics.networks import DEFAULT_RESISTANCE_OHM, Network

# -- built-in networks --------------------------------------------------------------------------

EXPERIMENT16_NODES = ("I1", "I2", "O1", "O2", "G1", "G2", "G3", "G4", "G5")
EXPERIMENT16_EDGES = (
    ("I1", "G1"),
    ("G1", "O1"),
    ("I1", "O1"),
    ("I1", "G4"),
    ("I1", "O2"),
    ("I1", "G5"),
    ("G4", "O2"),
    ("G4", "G5"),
    ("G5", "O2"),
    ("O1", "O2"),
    ("O1", "I2"),
    ("O1", "G2"),
    ("I2", "G3"),
    ("I2", "G2"),
    ("G3", "G2"),
    ("G2", "O2"),
)


def experiment16(resistance_ohm: float = DEFAULT_RESISTANCE_OHM) -> Network:
    """The 16-edge, 9-node experimental network (this project's reading of the paper's drawing)."""
    index = {name: i for i, name in enumerate(EXPERIMENT16_NODES)}
    edges = [(index[a], index[b]) for a, b in EXPERIMENT16_EDGES]
    return Network(
        n_nodes=len(EXPERIMENT16_NODES),
        edges=np.array(edges),
        resistance_ohm=np.full(len(edges), resistance_ohm),
        node_names=EXPERIMENT16_NODES,
        inputs=(0, 1),
        outputs=(2, 3),
        name="experiment16",
    )


def jammed143() -> Network:
    """The 64-node, 143-edge contact network of a jammed bidisperse packing (shipped file)."""
    ref = resources.files("coupled") / "data" / "jammed143.txt"
    with resources.as_file(ref) as path:
        net = read_text(path)
    return replace(net, name="jammed143")


def square_lattice(rows: int, cols: int, resistance_ohm: float = DEFAULT_RESISTANCE_OHM) -> Network:
    """A ``rows`` x ``cols`` square lattice with nearest-neighbour edges (open boundaries)."""
    if rows < 1 or cols < 1 or rows * cols < 2:
        raise UserError(f"square lattice {rows}x{cols}: needs at least 2 nodes")
    idx = np.arange(rows * cols).reshape(rows, cols)
    horizontal = np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], axis=1)
    vertical = np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], axis=1)
    edges = np.concatenate([horizontal, vertical])
    yy, xx = np.divmod(np.arange(rows * cols), cols)
    return Network(
        n_nodes=rows * cols,
        edges=edges,
        resistance_ohm=np.full(len(edges), resistance_ohm),
        positions=np.stack([xx, yy], axis=1).astype(float),
        name=f"square:{rows}x{cols}",
    )


def random_geometric(
    n_nodes: int,
    radius: float,
    seed: int = 0,
    resistance_ohm: float = DEFAULT_RESISTANCE_OHM,
    max_tries: int = 1000,
) -> Network:
    """A connected random geometric graph: nodes uniform in the unit square, edges shorter than
    ``radius``. Redraws (up to ``max_tries`` times, from the seeded generator) until connected."""
    if n_nodes < 2 or not 0 < radius <= 1.5:
        raise UserError(f"rgg:{n_nodes}:{radius}: needs at least 2 nodes and radius in (0, 1.5]")
    rng = np.random.default_rng(seed)
    for _ in range(max_tries):
        pos = rng.random((n_nodes, 2))
        dist = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1)
        a, b = np.nonzero(np.triu(dist < radius, k=1))
        if a.size == 0:
            continue
        graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n_nodes, n_nodes))
        if connected_components(graph, directed=False)[0] == 1:
            return Network(
                n_nodes=n_nodes,
                edges=np.stack([a, b], axis=1),
                resistance_ohm=np.full(a.size, resistance_ohm),
                positions=pos,
                name=f"rgg:{n_nodes}:{radius:g}:{seed}",
            )
    raise UserError(
        f"rgg:{n_nodes}:{radius:g}:{seed}: no connected graph in {max_tries} draws; "
        "use a larger radius"
    )


BUILTIN_NETWORKS = ("experiment16", "jammed143", "square:RxC", "rgg:N:RADIUS[:SEED]")


def _parse_builtin(spec: str) -> Network | None:
    if spec == "experiment16":
        return experiment16()
    if spec == "jammed143":
        return jammed143()
    kind, _, rest = spec.partition(":")
    try:
        if kind == "square" and rest:
            rows, cols = (int(x) for x in rest.lower().split("x"))
            return square_lattice(rows, cols)
        if kind == "rgg" and rest:
            parts = rest.split(":")
            if len(parts) not in (2, 3):
                raise ValueError
            seed = int(parts[2]) if len(parts) == 3 else 0
            return random_geometric(int(parts[0]), float(parts[1]), seed)
    except UserError:
        raise
    except ValueError:
        raise ParameterError(
            f"{{network}} {spec!r}: malformed; use square:RxC (e.g. square:4x4) or "
            "rgg:N:RADIUS[:SEED] (e.g. rgg:50:0.25:1)",
            "network",
        ) from None
    return None


def load_network(spec: str | Path | Network) -> Network:
    """A network from a built-in name (see :data:`BUILTIN_NETWORKS`) or a ``.json``/text file.

    A :class:`Network` is returned as it is, so every function that takes a network name or file
    takes a loaded network too; a mapping in the project's JSON form (``Network.to_dict()``, as a
    training config records a network object) is read as such a file would be.
    """
    if isinstance(spec, Network):
        return spec
    if isinstance(spec, dict):
        return network_from_dict(spec, "network")
    if not isinstance(spec, str | Path):
        shown = repr(spec) if len(repr(spec)) <= 40 else f"(a {type(spec).__name__})"
        raise ParameterError(
            f"{{network}} {shown}: must be a built-in name, a file path or a coupled.Network",
            "network",
        )
    spec_text = str(spec)
    if not spec_text.strip():
        raise ParameterError("{network}: empty; give a built-in name or a file path", "network")
    builtin = _parse_builtin(spec_text)
    if builtin is not None:
        return builtin
    path = Path(spec_text)
    if not path.exists():
        raise ParameterError(
            f"{{network}} {spec_text!r}: no such built-in network or file; built-ins are "
            + ", ".join(BUILTIN_NETWORKS),
            "network",
        )
    if path.is_dir():
        raise ParameterError(
            f"{{network}} {spec_text!r}: is a folder, not a network file", "network"
        )
    if path.suffix.lower() == ".json":
        return read_json(path)
    return read_text(path)


def read_json(path: str | Path) -> Network:
    """Read the project's JSON network format (see the module docstring)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except UnicodeDecodeError:
        raise UserError(f"network file {path}: not a text file") from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"network file {path}: malformed JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    except RecursionError:
        raise UserError(f"network file {path}: malformed JSON (nested too deeply)") from None
    return network_from_dict(data, f"network file {path}", default_name=path.stem)


def network_from_dict(data: object, where: str, default_name: str = "network") -> Network:
    """A network from the project's JSON form (:meth:`Network.to_dict`).

    Parameters
    ----------
    data
        The decoded JSON object.
    where
        What the data came from, for messages (``"network file ring6.json"``).
    default_name
        The name when ``data`` has none.

    Raises
    ------
    UserError
        Naming what is wrong.
    """
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object with nodes and edges")
    missing = [k for k in ("nodes", "edges") if k not in data]
    if missing:
        raise UserError(f"{where}: missing key {missing[0]!r}")
    known = {
        "name",
        "nodes",
        "edges",
        "resistance_ohm",
        "positions",
        "node_names",
        "inputs",
        "outputs",
        "grounds",
        "box_size",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(known))}")
    nodes_hint = data["nodes"] if isinstance(data["nodes"], int) else "N"
    expected = {
        "edges": "edges must be a list of [a, b] node pairs",
        "resistance_ohm": "resistance_ohm must be numbers in ohm",
        "positions": f"positions must be {nodes_hint} finite [x, y] pairs",
        "box_size": f"box_size {data.get('box_size')!r} must be a positive finite number",
    }
    for key, message in expected.items():
        if key in data:
            _require_numbers(where, message, data[key])
    edges = data["edges"]
    try:
        edges_array = np.array(edges, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{where}: edges must be a list of [a, b] node pairs") from None
    if edges_array.ndim != 2 or edges_array.shape[-1] != 2:
        raise UserError(f"{where}: edges must be a list of [a, b] node pairs")
    resistance = data.get("resistance_ohm", DEFAULT_RESISTANCE_OHM)
    try:
        resistance_array = np.array(resistance, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{where}: resistance_ohm must be numbers in ohm") from None
    if resistance_array.ndim == 0:
        resistance_array = np.full(len(edges_array), float(resistance_array))
    nodes = data["nodes"]
    if not is_whole(nodes):
        raise UserError(f"{where}: nodes must be a whole number, got {nodes!r}")
    name = str(data.get("name", default_name))
    lists = {}
    for key in ("node_names", "inputs", "outputs", "grounds"):
        value = data.get(key, [])
        if not isinstance(value, list):
            raise UserError(f"{where}: {key} must be a list, got {value!r}")
        lists[key] = tuple(value)
    return Network(
        n_nodes=nodes,
        edges=edges_array,
        resistance_ohm=resistance_array,
        positions=data.get("positions"),
        name=name,
        box_size=data.get("box_size"),
        **lists,
    )


def _require_numbers(where: str, message: str, value: object) -> None:
    """Refuse JSON strings, booleans and nulls where numbers (or lists of them) belong."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or not isinstance(item, int | float):
            raise UserError(f"{where}: {message}; found {item!r}")


def write_json(network: Network, path: str | Path) -> Path:
    """Write ``network`` in the project's JSON format (atomically)."""
    from coupled.core.io import write_json as _write

    return _write(path, network.to_dict())


def read_text(path: str | Path, resistance_ohm: float = DEFAULT_RESISTANCE_OHM) -> Network:
    """Read the group's plain-text format: ``N E L``, then N lines ``x y``, then E lines ``i j``."""
    path = Path(path)
    try:
        lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    except UnicodeDecodeError:
        raise UserError(f"network file {path}: not a text file") from None
    if not lines:
        raise UserError(f"network file {path}: empty")
    header = lines[0]
    try:
        if len(header) != 3:
            raise ValueError
        n, e, box = int(header[0]), int(header[1]), float(header[2])
    except ValueError:
        raise UserError(
            f"network file {path}: first line must be 'N E L' (nodes, edges, box size), "
            f"got {' '.join(header)!r}"
        ) from None
    if n < 2 or e < 1:
        raise UserError(f"network file {path}: header says {n} nodes and {e} edges")
    if len(lines) != 1 + n + e:
        raise UserError(
            f"network file {path}: header promises {n} positions and {e} edges "
            f"({1 + n + e} lines) but the file has {len(lines)} non-empty lines (truncated?)"
        )
    try:
        position_rows = [[float(v) for v in ln] for ln in lines[1 : 1 + n]]
        edge_rows = [[float(v) for v in ln] for ln in lines[1 + n :]]
    except ValueError:
        raise UserError(f"network file {path}: non-numeric value in positions or edges") from None
    if any(len(row) != 2 for row in position_rows):
        raise UserError(f"network file {path}: each position line must be 'x y'")
    positions = np.array(position_rows)
    if any(len(row) != 2 for row in edge_rows):
        raise UserError(f"network file {path}: each edge line must be 'i j'")
    return Network(
        n_nodes=n,
        edges=np.array(edge_rows),
        resistance_ohm=np.full(e, resistance_ohm),
        positions=positions,
        name=path.stem,
        box_size=box,
    )


def write_text(network: Network, path: str | Path) -> Path:
    """Write ``network`` in the group's plain-text format (positions required; resistances lost)."""
    from coupled.core.io import write_text as _write

    if network.positions is None:
        raise UserError(f"network {network.name}: the text format needs node positions")
    box = network.box_size if network.box_size is not None else 1.0
    lines = [f"{network.n_nodes} {network.n_edges} {box!r}"]
    lines += [f"{x!r} {y!r}" for x, y in network.positions.tolist()]
    lines += [f"{a} {b}" for a, b in network.edges.tolist()]
    return _write(path, "\n".join(lines) + "\n")
