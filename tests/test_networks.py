"""Networks: built-ins, file loaders (round trips) and every validation error.

Expectations are independent of the code under test: MODEL.md's edge list for experiment16,
brute-force distance checks for random geometric graphs, a breadth-first search for
connectivity, counting formulas for square lattices.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coupled.core.errors import UserError
from coupled.physics.catalogue import (
    experiment16,
    jammed143,
    load_network,
    random_geometric,
    read_json,
    read_text,
    square_lattice,
    write_json,
    write_text,
)
from coupled.physics.networks import Network

# MODEL.md, "Networks": one reading of the published drawing of the experimental board.
MODEL_MD_EDGES = (
    "I1-G1, G1-O1, I1-O1, I1-G4, I1-O2, I1-G5, G4-O2, G4-G5, "
    "G5-O2, O1-O2, O1-I2, O1-G2, I2-G3, I2-G2, G3-G2, G2-O2"
)


SHIPPED_JAMMED143 = Path(__file__).resolve().parent.parent / "coupled" / "data" / "jammed143.txt"


def connected(n_nodes: int, edges: np.ndarray) -> bool:
    """Breadth-first search from node 0."""
    neighbours: list[list[int]] = [[] for _ in range(n_nodes)]
    for a, b in edges.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    seen = {0}
    queue = deque([0])
    while queue:
        for m in neighbours[queue.popleft()]:
            if m not in seen:
                seen.add(m)
                queue.append(m)
    return len(seen) == n_nodes


def path_network(**overrides) -> dict:
    """JSON dict of a valid 4-node network (a triangle 0-1-2 with a tail 2-3)."""
    data = {
        "name": "small",
        "nodes": 4,
        "edges": [[0, 1], [1, 2], [0, 2], [2, 3]],
        "resistance_ohm": [100.0, 200.0, 300.0, 400.0],
    }
    data.update(overrides)
    return data


def dump(tmp_path: Path, data, name: str = "net.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# -- built-ins ----------------------------------------------------------------------------------


def test_experiment16_matches_model_md():
    net = experiment16()
    assert (net.n_nodes, net.n_edges) == (9, 16)
    expected = {frozenset(pair.strip().split("-")) for pair in MODEL_MD_EDGES.split(",")}
    got = {frozenset((net.node_names[a], net.node_names[b])) for a, b in net.edges.tolist()}
    assert got == expected
    assert [net.node_names[i] for i in net.inputs] == ["I1", "I2"]
    assert [net.node_names[i] for i in net.outputs] == ["O1", "O2"]
    assert np.all(net.resistance_ohm == 1000.0)
    assert load_network("experiment16") == net


def test_jammed143_is_a_connected_64_node_143_edge_packing():
    net = jammed143()
    assert net.name == "jammed143"
    assert (net.n_nodes, net.n_edges) == (64, 143)
    assert connected(net.n_nodes, net.edges)
    key = {tuple(sorted(e)) for e in net.edges.tolist()}
    assert len(key) == 143 and all(a != b for a, b in key)
    assert net.box_size is not None and net.box_size > 0
    assert np.all(net.positions >= 0) and np.all(net.positions < net.box_size)
    # a jammed packing without rattlers: every disk has at least 3 contacts
    assert net.degree().min() >= 3
    assert load_network("jammed143") == net


@pytest.mark.parametrize("rows, cols", [(1, 2), (2, 2), (3, 5), (4, 4)])
def test_square_lattice_counts(rows, cols):
    net = load_network(f"square:{rows}x{cols}")
    assert net.n_nodes == rows * cols
    assert net.n_edges == rows * (cols - 1) + cols * (rows - 1)
    a, b = net.edges.T
    lengths = np.linalg.norm(net.positions[a] - net.positions[b], axis=1)
    assert np.allclose(lengths, 1.0)
    assert net == square_lattice(rows, cols)


@pytest.mark.parametrize("n, radius, seed", [(30, 0.35, 0), (50, 0.25, 1), (12, 0.6, 7)])
def test_random_geometric_graph_edges_are_the_close_pairs(n, radius, seed):
    net = load_network(f"rgg:{n}:{radius}:{seed}")
    assert net.n_nodes == n
    pos = net.positions
    expected = {
        (i, j) for i in range(n) for j in range(i + 1, n) if math.dist(pos[i], pos[j]) < radius
    }
    assert {tuple(sorted(e)) for e in net.edges.tolist()} == expected
    assert connected(n, net.edges)
    assert net == random_geometric(n, radius, seed)
    assert net != random_geometric(n, radius, seed + 1)


def test_rgg_default_seed_is_zero():
    assert load_network("rgg:20:0.4") == random_geometric(20, 0.4, 0)


# -- round trips --------------------------------------------------------------------------------


def test_json_round_trip_keeps_everything(tmp_path):
    net = experiment16().with_resistance(np.linspace(10.0, 160.0, 16))
    net = net.with_roles(inputs=("I1",), outputs=("O1", "O2"), grounds=("G3",))
    path = write_json(net, tmp_path / "e16.json")
    back = read_json(path)
    assert back == net
    assert back.node_names == net.node_names and back.grounds == (net.node("G3"),)
    assert np.array_equal(back.resistance_ohm, net.resistance_ohm)
    assert load_network(path) == net


def test_text_round_trip_of_the_shipped_packing(tmp_path):
    net = jammed143()
    path = write_text(net, tmp_path / "jammed143.txt")
    back = read_text(path)
    assert back == net
    assert path.read_text() == SHIPPED_JAMMED143.read_text()


def test_text_format_is_the_groups_layout(tmp_path):
    path = dump(tmp_path, "3 2 5.0\n0 0\n1.5 0\n1.5 2.5\n0 1\n1 2\n", "tri.txt")
    net = load_network(path)
    assert (net.n_nodes, net.n_edges, net.box_size) == (3, 2, 5.0)
    assert net.edges.tolist() == [[0, 1], [1, 2]]
    assert net.positions.tolist() == [[0, 0], [1.5, 0], [1.5, 2.5]]
    assert net.name == "tri"


def test_json_defaults_and_scalar_resistance(tmp_path):
    net = read_json(dump(tmp_path, {"nodes": 3, "edges": [[0, 1], [1, 2]]}))
    assert np.all(net.resistance_ohm == 1000.0) and net.name == "net"
    net = read_json(dump(tmp_path, {"nodes": 3, "edges": [[0, 1], [1, 2]], "resistance_ohm": 5}))
    assert np.all(net.resistance_ohm == 5.0)


# -- validation errors --------------------------------------------------------------------------


def test_unknown_builtin_name():
    with pytest.raises(UserError, match="'nonesuch': no such built-in network or file; built-ins"):
        load_network("nonesuch")


@pytest.mark.parametrize("spec", ["", "   "])
def test_empty_spec(spec):
    with pytest.raises(UserError, match="empty; give a built-in name or a file path"):
        load_network(spec)


@pytest.mark.parametrize("spec", ["square:3", "square:axb", "rgg:10", "rgg:x:0.3", "rgg:1:2:3:4"])
def test_malformed_builtin_spec(spec):
    with pytest.raises(UserError, match="malformed; use square:RxC"):
        load_network(spec)


@pytest.mark.parametrize("spec", ["square:0x3", "square:1x1", "rgg:1:0.5", "rgg:10:0", "rgg:10:2"])
def test_builtin_out_of_range(spec):
    with pytest.raises(UserError, match="needs at least 2 nodes"):
        load_network(spec)


def test_rgg_that_cannot_connect():
    with pytest.raises(UserError, match="no connected graph in 5 draws; use a larger radius"):
        random_geometric(40, 0.01, max_tries=5)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such built-in network or file"):
        load_network(tmp_path / "missing.json")


def test_folder(tmp_path):
    with pytest.raises(UserError, match="is a folder, not a network file"):
        load_network(tmp_path)


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.txt", "empty"),
        ("blank.txt", "empty"),
        ("empty.json", "malformed JSON"),
    ],
)
def test_empty_files(tmp_path, name, message):
    path = dump(tmp_path, "\n \n" if name.startswith("blank") else "", name)
    with pytest.raises(UserError, match=message):
        load_network(path)


@pytest.mark.parametrize("text", ['{"nodes": 3, "edges": [[0, 1]', "{nodes: 3}", "[1, 2,]"])
def test_malformed_json(tmp_path, text):
    with pytest.raises(UserError, match=r"malformed JSON \(.*, line 1\)"):
        load_network(dump(tmp_path, text))


def test_binary_files(tmp_path):
    for name in ("bin.json", "bin.txt"):
        path = tmp_path / name
        path.write_bytes(b"\xff\xfe\x00\x81garbage")
        with pytest.raises(UserError, match="not a text file"):
            load_network(path)


@pytest.mark.parametrize(
    "data, message",
    [
        ([1, 2], "expected a JSON object"),
        ({"edges": [[0, 1]]}, "missing key 'nodes'"),
        ({"nodes": 2}, "missing key 'edges'"),
        (path_network(colour="red"), "unknown key 'colour'; allowed: box_size, edges"),
        (path_network(nodes=4.0), "nodes must be a whole number, got 4.0"),
        (path_network(nodes="4"), "nodes must be a whole number, got '4'"),
        (path_network(nodes=True), "nodes must be a whole number, got True"),
        (path_network(nodes=1), "nodes 1 must be a whole number >= 2"),
        (path_network(edges=[0, 1, 2]), "edges must be a list of"),
        (path_network(edges=[[0, 1, 2]]), "edges must be a list of"),
        (path_network(edges=[["a", "b"]]), "edges must be a list of"),
        (path_network(edges=[[0, 1], [1]]), "edges must be a list of"),
        (path_network(edges=[[0, 1.5]]), "edge node indices must be whole numbers"),
        (path_network(resistance_ohm="big"), "resistance_ohm must be numbers in ohm"),
        (path_network(resistance_ohm=[1, [2]]), "resistance_ohm must be numbers in ohm"),
        (path_network(positions="here"), "positions must be 4 finite"),
        (path_network(positions=[[0, 0]] * 3), "positions must be 4 finite"),
        (path_network(positions=[[0, 0], [1, 1], [2], [3, 3]]), "positions must be 4 finite"),
        (path_network(node_names=["a", "a", "b", "c"]), "node_names must be 4 distinct names"),
        (path_network(node_names=["a", "b"]), "node_names must be 4 distinct names"),
        (path_network(node_names=7), "node_names must be a list, got 7"),
        (path_network(grounds=None), "grounds must be a list, got None"),
        (path_network(inputs=[9]), "node 9 out of range 0..3"),
        (path_network(inputs=["x"]), "unknown node 'x'"),
        (path_network(inputs=7), "inputs must be a list, got 7"),
        (path_network(inputs=[1.5]), "unknown node 1.5"),
        (path_network(inputs=[math.inf]), "unknown node inf"),
        (path_network(box_size=-1), "box_size -1 must be a positive finite number"),
        (path_network(box_size="wide"), "box_size 'wide' must be a positive finite number"),
    ],
)
def test_json_content_errors(tmp_path, data, message):
    with pytest.raises(UserError, match=message):
        load_network(dump(tmp_path, data))


def test_truncated_text_file(tmp_path):
    text = SHIPPED_JAMMED143.read_text()
    path = dump(tmp_path, "\n".join(text.splitlines()[:-5]) + "\n", "cut.txt")
    with pytest.raises(UserError, match=r"header promises 64 positions and 143 edges .*truncated"):
        load_network(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("3 2\n0 0\n1 0\n2 0\n0 1\n1 2\n", "first line must be 'N E L'"),
        ("three 2 1\n0 0\n1 0\n2 0\n0 1\n1 2\n", "first line must be 'N E L'"),
        ("3 2 1\n0 0\n1 zero\n2 0\n0 1\n1 2\n", "non-numeric value"),
        ("3 2 1\n0 0\n1 0\n2 0\n0 1\n1 two\n", "non-numeric value"),
        ("3 2 1\n0 0\n1 0 0\n2 0\n0 1\n1 2\n", "each position line must be 'x y'"),
        ("3 2 1\n0 0\n1 0\n2 0\n0 1 2\n1 2\n", "each edge line must be 'i j'"),
        ("1 1 1\n0 0\n0 0\n", "header says 1 nodes and 1 edges"),
        ("3 2 1\n0 0\nnan 0\n2 0\n0 1\n1 2\n", "positions must be 3 finite"),
        ("3 2 0\n0 0\n1 0\n2 0\n0 1\n1 2\n", "box_size 0.0 must be a positive finite number"),
        ("3 2 inf\n0 0\n1 0\n2 0\n0 1\n1 2\n", "box_size inf must be a positive finite number"),
    ],
)
def test_text_content_errors(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        load_network(dump(tmp_path, text, "bad.txt"))


@pytest.mark.parametrize(
    "edges, message",
    [
        ([[0, 1], [1, 4]], r"edge 1 \(1, 4\) names a missing node; nodes are 0..3"),
        ([[0, 1], [-1, 2]], r"edge 1 \(-1, 2\) names a missing node"),
        ([[0, 1], [2, 2], [1, 3]], "edge 1 is a self loop on node 2"),
        ([[0, 1], [1, 2], [2, 3], [1, 2]], "duplicate edge between nodes 1 and 2"),
        ([[0, 1], [1, 2], [2, 3], [2, 1]], "duplicate edge between nodes 1 and 2"),
        ([[0, 1], [1, 2], [0, 2]], r"disconnected \(2 parts; node 3 is not connected to node 0\)"),
        ([[0, 3], [1, 2], [0, 3]], "duplicate edge between nodes 0 and 3"),
        ([[0, 3], [1, 2], [1, 4]], r"edge 2 \(1, 4\) names a missing node"),
        (
            [[0, 1], [2, 3]],
            r"disconnected \(4 nodes but 2 edges; a connected network needs at least",
        ),
        ([[0, 3], [1, 2], [3, 0.5]], "edge node indices must be whole numbers"),
        ([[0, 1], [1, 1e300]], r"edge 1 \(1, 1e\+300\) names a missing node"),
    ],
)
def test_graph_errors_in_json_and_text(tmp_path, edges, message):
    data = {"nodes": 4, "edges": edges}
    with pytest.raises(UserError, match=message):
        load_network(dump(tmp_path, data))
    lines = [f"4 {len(edges)} 1.0"] + ["0 0"] * 4 + [f"{a} {b}" for a, b in edges]
    with pytest.raises(UserError, match=message):
        load_network(dump(tmp_path, "\n".join(lines) + "\n", "g.txt"))


def test_many_nodes_few_edges_is_disconnected_without_huge_allocations(tmp_path):
    with pytest.raises(UserError, match="disconnected"):
        load_network(dump(tmp_path, {"nodes": 10**15, "edges": [[0, 1]]}))


@pytest.mark.parametrize("value", [0.0, -5.0, math.nan, math.inf, -math.inf])
def test_bad_resistance(tmp_path, value):
    message = r"resistance_ohm\[2\] = .* must be a positive finite number of ohm"
    data = path_network(resistance_ohm=[1.0, 2.0, value, 4.0])
    with pytest.raises(UserError, match=message):
        load_network(dump(tmp_path, data))  # json writes NaN / Infinity tokens
    with pytest.raises(UserError, match=message):
        experiment16().with_resistance(np.r_[1.0, 1.0, value, np.ones(13)])
    with pytest.raises(UserError, match=r"resistance_ohm\[0\]"):
        experiment16(resistance_ohm=value)


@pytest.mark.parametrize("count", [3, 5])
def test_wrong_number_of_resistances(tmp_path, count):
    data = path_network(resistance_ohm=[100.0] * count)
    with pytest.raises(UserError, match=f"{count} resistances given for 4 edges"):
        load_network(dump(tmp_path, data))


def test_node_in_two_roles(tmp_path):
    with pytest.raises(UserError, match=r"node n2 is in two roles \(inputs and grounds\)"):
        load_network(dump(tmp_path, path_network(inputs=[0, 2], grounds=[2])))
    with pytest.raises(UserError, match=r"node O1 is in two roles \(outputs and grounds\)"):
        experiment16().with_roles(inputs=("I1",), outputs=("O1",), grounds=("O1",))
    with pytest.raises(UserError, match=r"node I1 is in two roles \(inputs and inputs\)"):
        experiment16().with_roles(inputs=("I1", 0))


def test_network_constructor_checks():
    with pytest.raises(UserError, match="nodes 2.5 must be a whole number >= 2"):
        Network(n_nodes=2.5, edges=[[0, 1]], resistance_ohm=[1.0])
    with pytest.raises(UserError, match=r"edges must be a non-empty list of \[a, b\] pairs"):
        Network(n_nodes=2, edges=np.zeros((0, 2), int), resistance_ohm=[])
    with pytest.raises(UserError, match="edge node indices must be whole numbers"):
        Network(n_nodes=2, edges=[[0, math.nan]], resistance_ohm=[1.0])
    net = Network(n_nodes=2, edges=[[0, 1]], resistance_ohm=[1.0])
    with pytest.raises(ValueError, match="read-only"):
        net.resistance_ohm[0] = 2.0


def test_text_writer_needs_positions(tmp_path):
    with pytest.raises(UserError, match="the text format needs node positions"):
        write_text(experiment16(), tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


# -- property tests -----------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


def load_from_text(text: str | bytes, suffix: str) -> Network:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"net{suffix}"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return load_network(path)


@st.composite
def valid_networks(draw) -> Network:
    n = draw(st.integers(2, 10))
    edges = {(draw(st.integers(0, i - 1)), i) for i in range(1, n)}  # a spanning tree
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=12))
    for a, b in extra:
        if a != b and (a, b) not in edges and (b, a) not in edges:
            edges.add((a, b))
    edges = sorted(edges)
    if draw(st.booleans()):
        edges = [(b, a) for a, b in edges]
    finite = st.floats(-1e6, 1e6, allow_nan=False)
    r = draw(st.lists(st.floats(1e-3, 1e12), min_size=len(edges), max_size=len(edges)))
    nodes = draw(st.permutations(range(n)))
    k_in, k_out, k_gnd = (draw(st.integers(0, 2)) for _ in range(3))
    roles = [tuple(nodes[:k_in]), tuple(nodes[k_in : k_in + k_out])]
    roles.append(tuple(nodes[k_in + k_out : k_in + k_out + k_gnd]))
    return Network(
        n_nodes=n,
        edges=np.array(edges),
        resistance_ohm=r,
        positions=np.array(draw(st.lists(st.tuples(finite, finite), min_size=n, max_size=n))),
        inputs=roles[0],
        outputs=roles[1],
        grounds=roles[2],
        name=draw(st.text(min_size=1, max_size=8)),
        box_size=draw(st.floats(1e-3, 1e6)),
    )


@PROPERTY_SETTINGS
@given(valid_networks())
def test_property_valid_networks_round_trip(net):
    with tempfile.TemporaryDirectory() as folder:
        assert read_json(write_json(net, Path(folder) / "n.json")) == net
        path = write_text(net, Path(folder) / "n.txt")
        bare = Network(
            n_nodes=net.n_nodes,
            edges=net.edges,
            resistance_ohm=np.full(net.n_edges, 1000.0),
            positions=net.positions,
            name="n",
            box_size=net.box_size,
        )
        assert read_text(path) == bare


KNOWN_KEYS = {
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


def _must_fail_json(data: dict, draw) -> dict:
    """Apply one corruption that makes the network invalid."""
    kind = draw(
        st.sampled_from(
            [
                "missing_node",
                "self_loop",
                "duplicate",
                "resistance",
                "count",
                "nodes",
                "edges",
                "unknown_key",
                "drop_key",
                "isolated",
                "roles",
            ]
        )
    )
    n, edges, r = data["nodes"], data["edges"], data["resistance_ohm"]
    if kind == "missing_node":
        e = draw(st.integers(0, len(edges) - 1))
        bad = draw(st.integers(n, 10**18) | st.integers(-(10**18), -1))
        edges[e] = [edges[e][0], bad]
    elif kind == "self_loop":
        v = draw(st.integers(0, n - 1))
        edges.append([v, v])
        r.append(1.0)
    elif kind == "duplicate":
        a, b = edges[draw(st.integers(0, len(edges) - 1))]
        edges.append([b, a] if draw(st.booleans()) else [a, b])
        r.append(1.0)
    elif kind == "resistance":
        r[draw(st.integers(0, len(r) - 1))] = draw(
            st.floats(max_value=0.0) | st.sampled_from([math.inf, -math.inf, math.nan])
        )
    elif kind == "count":
        data["resistance_ohm"] = r[:-1] if draw(st.booleans()) else [*r, 1.0]
    elif kind == "nodes":
        data["nodes"] = draw(json_values.filter(lambda v: not (type(v) is int and v == n)))
    elif kind == "edges":
        data["edges"] = draw(
            json_values.filter(lambda v: not (isinstance(v, list) and len(v) == len(edges)))
        )
    elif kind == "unknown_key":
        data[draw(st.text(max_size=6).filter(lambda k: k not in KNOWN_KEYS))] = draw(json_values)
    elif kind == "drop_key":
        del data[draw(st.sampled_from(["nodes", "edges"]))]
    elif kind == "isolated":
        data["nodes"] = n + draw(st.integers(1, 10**6))
    else:
        v = draw(st.integers(0, n - 1))
        data["inputs"] = [v]
        data["outputs"] = [v]
    return data


@PROPERTY_SETTINGS
@given(valid_networks(), st.data())
def test_property_corrupted_json_raises_user_error(net, data):
    content = net.to_dict()
    content.pop("name")
    corrupted = _must_fail_json(content, data.draw)
    with pytest.raises(UserError):
        load_from_text(json.dumps(corrupted), ".json")


@PROPERTY_SETTINGS
@given(valid_networks(), st.data())
def test_property_truncated_json_raises_user_error(net, data):
    text = json.dumps(net.to_dict(), indent=1)
    cut = data.draw(st.integers(0, len(text) - 1))
    with pytest.raises(UserError, match="malformed JSON"):
        load_from_text(text[:cut], ".json")


@PROPERTY_SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            sorted(path_network())
            + ["positions", "node_names", "inputs", "outputs", "grounds", "box_size"]
        ),
        json_values,
    )
)
def test_property_arbitrary_values_never_raise_other_errors(overrides):
    try:
        load_from_text(json.dumps(path_network(**overrides)), ".json")
    except UserError as exc:
        assert "\n" not in str(exc)


@PROPERTY_SETTINGS
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_property_random_content_raises_user_error(content):
    for suffix in (".json", ".txt"):
        with pytest.raises(UserError):
            load_from_text(content, suffix)


@PROPERTY_SETTINGS
@given(valid_networks(), st.data())
def test_property_corrupted_text_raises_user_error(net, data):
    lines = [ln for ln in write_text_lines(net)]
    n, e = net.n_nodes, net.n_edges
    kind = data.draw(st.sampled_from(["truncate", "token", "header", "extra", "missing", "loop"]))
    if kind == "truncate":
        lines = lines[: data.draw(st.integers(1, len(lines) - 1))]
    elif kind == "token":
        row = data.draw(st.integers(0, len(lines) - 1))
        tokens = lines[row].split()
        col = data.draw(st.integers(0, len(tokens) - 1))
        tokens[col] = data.draw(st.sampled_from(["x", "1,5", "--1", "0x10", "one", "1e", "nan"]))
        lines[row] = " ".join(tokens)
    elif kind == "header":
        lines[0] = f"{n + data.draw(st.integers(1, 5))} {e} 1.0"
    elif kind == "extra":
        row = data.draw(st.integers(1, len(lines) - 1))
        lines[row] += " 7"
    elif kind == "missing":
        lines[1 + n] = f"0 {data.draw(st.integers(n, 10**6))}"
    else:
        lines[1 + n] = "1 1"
    with pytest.raises(UserError):
        load_from_text("\n".join(lines) + "\n", ".txt")


def write_text_lines(net: Network) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        return write_text(net, Path(folder) / "n.txt").read_text().splitlines()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("edges", [[0, 1], ["1", 2]]),
        ("edges", [[0, 1], [True, 2]]),
        ("resistance_ohm", [1000.0, "1000", 1000.0]),
        ("resistance_ohm", [1000.0, None, 1000.0]),
        ("resistance_ohm", True),
        ("positions", [[0, 0], [1, "0"], [0, 1]]),
    ],
)
def test_json_loader_refuses_strings_and_booleans_for_numbers(tmp_path, key, value):
    import json

    data = {"nodes": 3, "edges": [[0, 1], [1, 2]], "resistance_ohm": [1000.0, 1000.0]}
    if key == "resistance_ohm" and isinstance(value, list):
        data["edges"] = [[0, 1], [1, 2], [0, 2]]
    data[key] = value
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=f"{key} .*; found "):
        read_json(path)
