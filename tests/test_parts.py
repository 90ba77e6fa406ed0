"""Each part of the board's library on its own test bench in ngspice, against hand calculation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coupled.circuits import comparator, diffamp, latch, nudge, pot, xor
from coupled.circuits.comparator import ComparatorModel
from coupled.circuits.latch import LatchModel
from coupled.circuits.library import inline_library, library_file, subckt_names
from coupled.circuits.pot import PotModel
from coupled.core.errors import UserError
from coupled.physics import rules
from coupled.spice.numbers import spice_number
from coupled.spice.session import get_session

HIGH, LOW = 5.0, 0.0


@pytest.fixture(autouse=True)
def _clean_session():
    """Leave the process's ngspice as found: no circuit of these tests stays loaded."""
    yield
    get_session().recycle()


def _op(part: str, *lines: str, **kwargs) -> dict[str, float]:
    session = get_session()
    text = "\n".join(["* bench", inline_library([library_file(part)]), *lines, ".end"])
    session.load(text, name="parts")
    return session.op(**kwargs)


def test_every_library_file_defines_its_one_subcircuit_with_a_header(tmp_path):
    parts = {
        "pot": pot.SUBCKT,
        "comparator": comparator.SUBCKT,
        "diffamp": diffamp.SUBCKT,
        "xor": xor.SUBCKT,
        "latch": latch.SUBCKT,
        "nudge": nudge.SUBCKT,
    }
    for part, name in parts.items():
        text = library_file(part).read_text()
        assert subckt_names(text) == [name]
        header = text.split(".subckt")[0]
        assert "Stands for" in header and "Pins" in header, part
    # Each file is inlined once; two files defining one subcircuit are refused.
    once = inline_library([library_file("pot"), library_file("pot")])
    assert subckt_names(once) == [pot.SUBCKT]
    copy = tmp_path / "other.lib"
    copy.write_text(library_file("pot").read_text())
    with pytest.raises(UserError, match="defined twice"):
        inline_library([library_file("pot"), copy])
    with pytest.raises(UserError, match="no file"):
        library_file("flux_capacitor")


# -- potentiometer ----------------------------------------------------------------------------


def test_pot_resistance_is_the_datasheet_map_at_every_checked_tap_and_after_alter():
    model = PotModel(r_ab_ohm=10_000.0, r_wiper_ohm=50.0)
    r_ab = 10_370.0  # this very part's end-to-end value
    session = get_session()
    for tap in (0, 1, 64, 127):
        values = _op(
            "pot",
            pot.pot_instance("XPOT", "w", "w", "0", r_ab, tap, model),
            "V1 w 0 DC 1",
        )
        expected = 50.0 + tap * r_ab / 128  # R_WB(D) = R_W + D/128 R_AB, by hand
        assert 1.0 / -values["i(v1)"] == pytest.approx(expected, rel=1e-12)
    # Moving the tap by alter, as the engine does.
    new = float(model.wiper_resistance_ohm(100, r_ab))
    session.alter({pot.tap_element("XPOT"): new})
    values = session.op()
    assert 1.0 / -values["i(v1)"] == pytest.approx(50.0 + 100 * r_ab / 128, rel=1e-12)


def test_pot_for_range_puts_the_taps_on_the_discrete_rule():
    model = PotModel.for_range(rules.DEFAULT_R_MIN_OHM, rules.DEFAULT_R_MAX_OHM, rules.N_TAPS)
    taps = np.arange(rules.N_TAPS)
    assert np.allclose(model.resistance_ohm(taps), rules.taps_to_ohm(taps), rtol=1e-13, atol=0)
    assert model.resistance_ohm(0) == pytest.approx(1000.0)
    assert model.resistance_ohm(127) == pytest.approx(10000.0)
    assert np.array_equal(model.nearest_tap(rules.taps_to_ohm(taps)), taps)
    assert model.nearest_tap(1e9) == 127 and model.nearest_tap(0.0) == 0


@pytest.mark.parametrize(
    "bad",
    [dict(r_ab_ohm=0.0), dict(r_wiper_ohm=-1.0), dict(n_taps=1), dict(r_series_ohm=math.nan)],
)
def test_pot_model_rejects_bad_values(bad):
    with pytest.raises(UserError):
        PotModel(**bad)


def test_pot_rejects_taps_outside_the_range():
    model = PotModel()
    with pytest.raises(UserError, match="128"):
        model.resistance_ohm(128)
    with pytest.raises(UserError, match="whole"):
        model.resistance_ohm(1.5)


# -- comparator -------------------------------------------------------------------------------


def _comparator_bench(vin: float, offset_v: float, model: ComparatorModel) -> list[str]:
    return [
        comparator.comparator_instance("XC", "p", "n", "out", offset_v, model, LOW, HIGH),
        f"VP p 0 DC {spice_number(1.0 + vin)}",
        "VN n 0 DC 1.0",
    ]


def test_comparator_output_follows_the_tanh_law_with_its_offset():
    model = ComparatorModel(gain=1e3)
    for vin in (-0.01, -1e-3, -1e-4, 0.0, 2e-4, 3e-3, 0.02):
        for offset in (0.0, 0.004):
            out = _op("comparator", *_comparator_bench(vin, offset, model))["v(out)"]
            expected = 2.5 + 2.5 * math.tanh(2 * 1e3 * (vin + offset) / 5.0)
            assert out == pytest.approx(expected, abs=1e-9)


def test_comparator_decides_beyond_its_resolution_and_the_offset_moves_the_threshold():
    model = ComparatorModel()  # LM339-class gain
    res = model.resolution_v(HIGH - LOW)
    assert 1e-5 < res < 1e-4
    for vin, offset, high in (
        (2 * res, 0.0, True),
        (-2 * res, 0.0, False),
        (-0.03, 0.04, True),
        (-0.05, 0.04, False),
    ):
        out = _op("comparator", *_comparator_bench(vin, offset, model))["v(out)"]
        assert (out > 4.9) if high else (out < 0.1), (vin, offset, out)
    # The offset source can be altered in place (per-step sigma).
    session = get_session()
    session.alter({comparator.offset_element("XC"): 0.06})
    assert session.op()["v(out)"] > 4.9


def test_comparator_hysteresis_switches_at_plus_and_minus_half_width():
    model = ComparatorModel(gain=1e4, hysteresis_v=0.02)
    lines = [
        comparator.comparator_instance("XC", "p", "0", "out", 0.0, model, LOW, HIGH),
        "VP p 0 DC -0.05",
    ]
    session = get_session()
    session.load("\n".join(["* hyst", inline_library([library_file("comparator")]), *lines]))
    up = session.dc("vp", -0.05, 0.05, 0.0005)
    down = session.dc("vp", 0.05, -0.05, -0.0005)
    rise = up["v-sweep"][np.argmax(up["v(out)"] > 2.5)]
    fall = down["v-sweep"][np.argmax(down["v(out)"] < 2.5)]
    assert rise == pytest.approx(0.01, abs=0.001)
    assert fall == pytest.approx(-0.01, abs=0.001)


def test_comparator_propagation_delay():
    model = ComparatorModel(delay_s=200e-9)
    lines = [
        comparator.comparator_instance("XC", "p", "0", "out", 0.0, model, LOW, HIGH),
        "VP p 0 PULSE(-0.1 0.1 1u 1n 1n 10u 20u)",
    ]
    session = get_session()
    session.load("\n".join(["* delay", inline_library([library_file("comparator")]), *lines]))
    data = session.tran(5e-9, 2e-6, max_step_s=5e-9)
    crossing = data["time"][np.argmax(data["v(out)"] > 2.5)]
    assert crossing - 1e-6 == pytest.approx(200e-9, rel=0.05)


def test_decision_law_and_effective_sigma():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 1, size=(2, 20_000))
    o_a, o_b = rng.uniform(0, 0.05, size=(2, 20_000))
    up = comparator.decide_up(x, y, o_a, o_b)
    # Zero offsets: exactly the sign of |x| - |y| (Eq. 10 with sigma = 0).
    assert np.array_equal(comparator.decide_up(x, y), np.abs(x) > np.abs(y))
    # With offsets: the rule with sigma = sgn(x) o_A (same signs) or sgn(x) o_B, outside the
    # corner |x| + |y| < max offset.
    sigma = np.where(x >= 0, 1, -1) * np.where((y >= 0) == (x >= 0), o_a, o_b)
    assert np.allclose(comparator.effective_sigma_v(x, y, o_a, o_b), sigma)
    far = np.abs(x) + np.abs(y) > 0.05
    rule = rules.discrete_direction(y, x, sigma) > 0
    assert np.array_equal(up[far], rule[far])
    # Offsets change some decisions (the check above is not vacuous).
    assert np.count_nonzero(up != comparator.decide_up(x, y)) > 100


# -- difference stage, XOR, latch, nudge -------------------------------------------------------


def test_difference_stage_reads_the_drop_without_loading():
    values = _op(
        "diffamp",
        "V1 top 0 DC 3.0",
        "R1 top mid 1000",
        "R2 mid 0 2000",
        "VR vref 0 DC 2.5",
        diffamp.diffamp_instance("XD", "top", "mid", "vref", "drop"),
        diffamp.diffamp_instance("XN", "mid", "top", "vref", "neg"),
        diffamp.diffamp_instance("XG", "top", "mid", "vref", "up", gain=2.0, offset_v=0.1),
        diffamp.diffamp_instance("XS", "top", "mid", "vref", "sat", gain=40.0),
        diffamp.diffamp_instance("XL", "mid", "top", "vref", "low", gain=40.0),
    )
    assert values["v(mid)"] == pytest.approx(2.0, abs=1e-12)  # divider unloaded
    assert values["v(drop)"] == pytest.approx(2.5 + 1.0, abs=1e-12)  # reference + drop
    assert values["v(neg)"] == pytest.approx(2.5 - 1.0, abs=1e-12)
    assert values["v(up)"] == pytest.approx(2.5 + 2.0 * (1.0 + 0.1), abs=1e-12)  # offset at input
    assert values["v(sat)"] == pytest.approx(4.95, abs=1e-12)  # output swing, hard clip
    assert values["v(low)"] == pytest.approx(0.05, abs=1e-12)


def test_xor_truth_table_and_intermediate_levels():
    for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)):
        out = _op(
            "xor",
            xor.xor_instance("XX", "a", "b", "y", LOW, HIGH),
            f"VA a 0 DC {5.0 * a}",
            f"VB b 0 DC {5.0 * b}",
        )["v(y)"]
        assert out == pytest.approx(5.0 * (a ^ b), abs=1e-12)
    for va, vb in ((2.6, 4.0), (2.4, 1.0), (2.6, 1.0), (3.0, 2.49)):
        out = _op(
            "xor",
            xor.xor_instance("XX", "a", "b", "y", LOW, HIGH),
            f"VA a 0 DC {va}",
            f"VB b 0 DC {vb}",
        )["v(y)"]
        sa, sb = va / 5, vb / 5
        assert out == pytest.approx(5 * (sa + sb - 2 * sa * sb), abs=1e-12)
        assert (out < 2.5) == ((va - 2.5) * (vb - 2.5) > 0)


def test_latch_is_transparent_while_triggered_and_holds_otherwise():
    model = LatchModel()
    for d in (0.0, 5.0):
        values = _op(
            "latch",
            latch.latch_instance("XL", "d", "clk", "q", "qb", model, LOW, HIGH),
            f"VD d 0 DC {d}",
            "VC clk 0 DC 5",
        )
        assert values["v(q)"] == pytest.approx(d, abs=1e-6)
        assert values["v(qb)"] == pytest.approx(5.0 - d, abs=1e-6)
    # Transient: d is high only around the first trigger, low around the second; the output
    # keeps the first sample until the second trigger samples the low level.
    lines = [
        ".options method=gear",
        latch.latch_instance("XL", "d", "clk", "q", "qb", model, LOW, HIGH),
        "VD d 0 PWL(0 0 1u 0 1.01u 5 3u 5 3.01u 0)",
        "VC clk 0 PWL(0 0 2u 0 2.01u 5 2.5u 5 2.51u 0 6u 0 6.01u 5 6.5u 5 6.51u 0)",
    ]
    session = get_session()
    session.load("\n".join(["* latch", inline_library([library_file("latch")]), *lines]))
    data = session.tran(10e-9, 8e-6, max_step_s=50e-9)
    t, q = data["time"], data["v(q)"]
    assert np.all(q[(t > 0.5e-6) & (t < 1.9e-6)] < 2.5)  # nothing sampled yet
    assert np.all(q[(t > 2.6e-6) & (t < 5.9e-6)] > 2.5)  # holds the sample though d fell
    assert np.all(q[t > 6.6e-6] < 2.5)  # second trigger sampled the low level


def test_nudge_holds_the_clamped_output_at_the_nudged_value():
    for eta in (0.1, 0.5, 1.0):
        values = _op(
            "nudge",
            "VF free 0 DC 1.3",
            "RF free 0 1k",
            "VD target 0 DC 2.9",
            nudge.nudge_instance("XN", "free", "target", "clamped", eta),
            "RL clamped 0 10",  # a heavy load does not move the clamp
        )
        expected = (1 - eta) * 1.3 + eta * 2.9
        assert values["v(clamped)"] == pytest.approx(expected, abs=1e-12)
        assert values["i(vf)"] == pytest.approx(-1.3e-3, abs=1e-15)  # free node not loaded
    assert nudge.nudged_v([1.3], [2.9], 0.25) == pytest.approx([1.7])
    with pytest.raises(UserError, match="eta"):
        nudge.check_eta(0.0)


def test_part_headers_cite_only_files_of_the_project():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sources = sorted((root / "netlists").glob("*.lib")) + sorted((root / "circuits").glob("*.py"))
    cited = set()
    for path in sources:
        for name in re.findall(r"[\w./-]+\.(?:md|lib|py|cir)\b", path.read_text()):
            cited.add((path.name, name.strip("./`")))
    assert cited
    missing = [
        (source, name)
        for source, name in cited
        if "/" in name or name.endswith(".md")
        if not any((base / name).exists() for base in (root, root / "netlists", root / "circuits"))
    ]
    assert not missing
