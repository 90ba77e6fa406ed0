"""Property-based tests of every loader and validator: random, malformed input gives either a
valid object or ``UserError`` (or argparse's exit status 2), never any other exception.

Covered: network files (JSON documents of any shape, text files of random tokens, random bytes),
built-in network names, ``TrainConfig.from_dict`` with random dicts, sweep TOML specs (random
tables and random text), the option parsers of :mod:`coupled.core.options` and ``check_range``, and
``coupled solve --drive`` through the real command line. Sizes are bounded so that a valid
draw never asks for a large network (huge sizes are covered in ``test_bad_input.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coupled.cli.main import main
from coupled.core import options
from coupled.core.errors import UserError
from coupled.physics.catalogue import load_network, read_json, read_text
from coupled.physics.networks import Network
from coupled.sweep.spec import load_spec, plan_sweep
from coupled.training.config import TrainConfig

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- value strategies ----------------------------------------------------------------------------

special_floats = st.sampled_from(
    [math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, 10**400, -(10**400), 2**63, 2**64]
)
numbers = st.one_of(
    st.integers(-3, 12),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    special_floats,
)
scalars = st.one_of(numbers, st.booleans(), st.none(), st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)

NETWORK_KEYS = [
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
]
small_edges = st.lists(
    st.lists(st.one_of(st.integers(-1, 6), numbers), min_size=0, max_size=3), max_size=8
)
network_documents = st.fixed_dictionaries(
    {},
    optional={
        "nodes": st.one_of(st.integers(-1, 7), numbers, scalars),
        "edges": st.one_of(small_edges, json_values),
        "resistance_ohm": st.one_of(numbers, st.lists(numbers, max_size=8), json_values),
        "positions": st.one_of(st.lists(st.lists(numbers, max_size=3), max_size=8), json_values),
        "node_names": st.one_of(st.lists(st.text(max_size=3), max_size=8), json_values),
        "inputs": st.one_of(st.lists(st.integers(-2, 8), max_size=3), json_values),
        "outputs": st.one_of(st.lists(st.integers(-2, 8), max_size=3), json_values),
        "grounds": st.one_of(st.lists(st.integers(-2, 8), max_size=3), json_values),
        "box_size": st.one_of(numbers, scalars),
        "name": scalars,
        "extra": json_values,
    },
)


def _write(folder: str, name: str, content: str | bytes) -> Path:
    path = Path(folder) / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return path


def _valid_network(network: Network) -> None:
    """What a Network that exists guarantees (see coupled.physics.networks)."""
    assert network.n_nodes >= 2 and network.n_edges >= 1
    assert np.all(network.resistance_ohm > 0) and np.all(np.isfinite(network.resistance_ohm))
    assert np.all(network.edges[:, 0] != network.edges[:, 1])
    assert network.edges.min() >= 0 and network.edges.max() < network.n_nodes


# -- network files -------------------------------------------------------------------------------


@FAST
@given(document=st.one_of(network_documents, json_values))
def test_random_json_documents(document):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "net.json", json.dumps(document, allow_nan=True))
        try:
            network = read_json(path)
        except UserError as exc:
            assert "\n" not in str(exc)
        else:
            _valid_network(network)


@FAST
@given(text=st.text(max_size=200), cut=st.integers(0, 400))
def test_random_and_truncated_json_text(text, cut):
    good = json.dumps({"nodes": 3, "edges": [[0, 1], [1, 2]], "resistance_ohm": [1.0, 2.0]})
    with tempfile.TemporaryDirectory() as folder:
        for content in (text, good[: cut % (len(good) + 1)], text + good, good + text):
            try:
                _valid_network(read_json(_write(folder, "net.json", content)))
            except UserError:
                pass


tokens = st.one_of(
    st.integers(-3, 8).map(str),
    st.floats(allow_nan=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "x", "", "0x1", "1_0", "١"]),
    st.text(max_size=3),
)
text_lines = st.lists(st.lists(tokens, max_size=4).map(" ".join), max_size=14)


@FAST
@given(header=st.lists(tokens, max_size=4).map(" ".join), lines=text_lines)
def test_random_text_networks(header, lines):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "net.txt", "\n".join([header, *lines]) + "\n")
        try:
            _valid_network(read_text(path))
        except UserError as exc:
            assert "\n" not in str(exc)


@FAST
@given(content=st.binary(max_size=120), suffix=st.sampled_from([".json", ".txt", ""]))
def test_random_bytes_through_load_network(content, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, f"net{suffix}", content)
        try:
            _valid_network(load_network(path))
        except UserError:
            pass


small = st.one_of(st.integers(-2, 7).map(str), st.sampled_from(["", "x", "1.5", "-0", "9e0"]))
builtin_specs = st.one_of(
    st.builds(
        lambda a, b, sep: f"square:{a}{sep}{b}", small, small, st.sampled_from(["x", "X", "*", ""])
    ),
    st.builds(
        lambda n, r, s: f"rgg:{n}:{r}" + ("" if s is None else f":{s}"),
        small,
        st.sampled_from(["0.5", "0", "-1", "nan", "inf", "2", "abc", ""]),
        st.one_of(st.none(), st.sampled_from(["0", "-1", "x", str(2**70), "1.5"])),
    ),
    st.text(max_size=12),
)


@FAST
@given(spec=builtin_specs)
def test_random_network_names(spec):
    assume("\x00" not in spec)
    try:
        _valid_network(load_network(spec))
    except UserError as exc:
        assert "\n" not in str(exc)


# -- TrainConfig.from_dict -------------------------------------------------------------------------

FIELDS = [f for f in TrainConfig.__dataclass_fields__]
config_values = st.one_of(
    numbers,
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(st.sampled_from(["slack", "dense_tail", "x"]), scalars, max_size=2),
)
networks = st.sampled_from(["square:3x3", "experiment16", "rgg:8:0.6:1", "nosuch", "", "rgg:3"])


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(st.sampled_from([*FIELDS, "speed", "p-mode"]), config_values, max_size=6),
    network=st.one_of(st.none(), networks),
)
def test_train_config_from_random_dicts(data, network):
    if network is not None:
        data["network"] = network
    data.setdefault("network", "square:3x3")
    try:
        config = TrainConfig.from_dict(data)
    except UserError as exc:
        assert "\n" not in str(exc)
    else:  # what validate() promises
        assert 0 < config.p <= 1 and 0 < config.eta <= 1 and config.steps >= 1
        assert TrainConfig.from_dict(config.to_dict()) == config


@FAST
@given(data=st.one_of(json_values, st.lists(st.tuples(st.text(max_size=4), scalars))))
def test_train_config_from_things_that_are_not_dicts(data):
    try:
        TrainConfig.from_dict(data)
    except UserError:
        pass


# -- sweep specs -----------------------------------------------------------------------------------


def _toml(value) -> str:
    """A tiny TOML writer for the values the strategies make."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


toml_scalars = st.one_of(
    st.integers(-3, 30000),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    st.text(max_size=6),
    st.sampled_from(["square:3x3", "experiment16", "nosuch.json"]),
)
toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["slack", "dense_tail"]), toml_scalars, max_size=2),
)
table = st.dictionaries(
    st.sampled_from([*FIELDS, "speed", "batch-fraction"]), toml_values, max_size=4
)


@settings(max_examples=80, deadline=None)
@given(
    base=table,
    grid=st.dictionaries(
        st.sampled_from(["p", "seed", "eta", "steps", "network", "what"]),
        st.one_of(st.lists(toml_scalars, max_size=3), toml_scalars),
        max_size=3,
    ),
    other=st.sampled_from(["", "[other]\nx = 1\n", "top = 1\n", "[base.inner]\nx = 1\n"]),
)
def test_random_sweep_specs(base, grid, other):
    base.setdefault("network", "square:3x3")
    text = other + "".join(
        f"[{name}]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in tab.items())
        for name, tab in (("base", base), ("grid", grid))
    )
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "spec.toml", text)
        try:
            plan = plan_sweep(load_spec(path))
        except UserError as exc:
            assert "\n" not in str(exc)
        else:
            assert len(plan.points) == plan.spec.n_points
            assert len({p.hash for p in plan.points}) == len(plan.points)


@FAST
@given(text=st.text(max_size=120))
def test_random_text_as_sweep_spec(text):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "spec.toml", text)
        try:
            plan_sweep(load_spec(path))
        except UserError:
            pass


# -- option parsers --------------------------------------------------------------------------------

PARSERS = {
    "probability": (options.probability, lambda v: 0 < v <= 1),
    "fraction": (options.fraction, lambda v: 0 <= v <= 1),
    "positive_float": (options.positive_float, lambda v: 0 < v < math.inf),
    "nonnegative_float": (options.nonnegative_float, lambda v: 0 <= v < math.inf),
    "finite_float": (options.finite_float, math.isfinite),
    "positive_int": (options.positive_int, lambda v: isinstance(v, int) and v >= 1),
    "nonnegative_int": (options.nonnegative_int, lambda v: isinstance(v, int) and v >= 0),
}
option_texts = st.one_of(
    st.text(max_size=12),
    st.floats().map(repr),
    st.integers().map(str),
    st.sampled_from(["nan", "-inf", "1e400", "0x10", " 1 ", "1_000", "", "9" * 5000]),
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(PARSERS)), text=option_texts)
def test_option_parsers(name, text):
    parse, allowed = PARSERS[name]
    try:
        value = parse(text)
    except argparse.ArgumentTypeError as exc:
        message = str(exc)
        assert "\n" not in message
        assert message.startswith((repr(text), str(text).strip()[:20])) or "must be" in message
    else:
        assert allowed(value)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        numbers,
        scalars,
        st.lists(numbers, max_size=2),
        st.complex_numbers(),
        st.fractions(),
        st.decimals(),
        st.just(np.float32(0.5)),
        st.just(np.int64(3)),
        st.just(np.array([0.5])),
    ),
    low=st.one_of(st.none(), st.floats(-10, 10)),
    span=st.one_of(st.none(), st.floats(0, 10)),
    low_open=st.booleans(),
    high_open=st.booleans(),
)
def test_check_range(value, low, span, low_open, high_open):
    high = None if span is None or low is None else low + span
    try:
        number = options.check_range(
            "--x", value, low, high, low_open=low_open, high_open=high_open
        )
    except UserError as exc:
        assert str(exc).startswith("--x ")
    else:
        assert isinstance(value, int | float | Fraction | np.floating | np.integer)
        assert not isinstance(value, bool) and math.isfinite(number)
        assert low is None or (number > low if low_open else number >= low)
        assert high is None or (number < high if high_open else number <= high)


@FAST
@given(drive=st.text(max_size=12), engine=st.sampled_from(["ideal", "warp"]))
def test_solve_drive_text_through_the_command_line(drive, engine):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["solve", "experiment16", f"--drive={drive}", "--engine", engine])
        except SystemExit as exc:
            code = exc.code
    assert code in (0, 2)
    if code == 2:
        assert len(err.getvalue().splitlines()) == 1
