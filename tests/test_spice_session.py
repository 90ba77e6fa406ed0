"""The ngspice session against hand-solved circuits, physical laws and ngspice's real output."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from coupled.core.errors import SpiceError, SpiceNotFoundError, UserError
from coupled.spice.numbers import spice_number
from coupled.spice.session import MAX_COMMAND_CHARS, _open_library, get_session, is_error_line

DIVIDER = "divider\nV1 in 0 1\nR1 in mid 1k\nR2 mid 0 1k\n"
RC_TAU_S = 1e3 * 1e-9


def test_one_session_with_version_and_description():
    s = get_session()
    assert s is get_session()
    assert isinstance(s.version, int) and s.version >= 30
    assert s.describe() == f"ngspice {s.version} (shared library {s.library_path})"
    assert "ngspice" in s.library_path


def test_missing_library_names_the_install_command(monkeypatch):
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so")
    with pytest.raises(SpiceNotFoundError, match="apt-get install ngspice libngspice0-dev"):
        _open_library()


def test_divider_operating_point_and_alter(session):
    session.load(DIVIDER)
    result = session.op()
    assert result["v(mid)"] == pytest.approx(0.5, abs=1e-12)
    assert result["v(in)"] == 1.0
    # SPICE convention: branch current flows into the + terminal, so a source delivering
    # 0.5 mA reads -0.5 mA.
    assert result["i(v1)"] == pytest.approx(-0.5e-3, abs=1e-15)
    session.alter({"R1": 3000.0, "V1": 2.0})
    result = session.op(names=["v(mid)"])
    assert result == {"v(mid)": pytest.approx(2.0 * 1e3 / 4e3, abs=1e-12)}


def test_alter_joins_many_commands_within_the_limit(session):
    # A chain of 200 resistors: altering all of them needs several joined commands.
    n = 200
    lines = ["chain", "V1 n0 0 1"] + [f"R{i} n{i} n{i + 1} 1k" for i in range(n)]
    lines.append(f"RL n{n} 0 1k")
    session.load("\n".join(lines))
    new_r = np.linspace(100.0, 2000.0, n)
    session.alter({f"R{i}": np.float64(r) for i, r in enumerate(new_r)})
    end_v = session.op(names=[f"v(n{n})"])[f"v(n{n})"]
    assert end_v == pytest.approx(1e3 / (new_r.sum() + 1e3), rel=1e-12)


def test_dc_sweep_gives_the_divider_line(session):
    session.load(DIVIDER)
    data = session.dc("V1", -1.0, 1.0, 0.25)
    np.testing.assert_allclose(data["v-sweep"], np.arange(-1.0, 1.01, 0.25))
    np.testing.assert_allclose(data["v(mid)"], data["v-sweep"] / 2, atol=1e-12)


def test_rc_transient_follows_the_exponential(session):
    session.load("rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n ic=0\n")
    data = session.tran(1e-8, 5e-6, max_step_s=1e-8, uic=True)
    t, v = data["time"], data["v(out)"]
    assert t[-1] == pytest.approx(5e-6)
    np.testing.assert_allclose(v, 1 - np.exp(-t / RC_TAU_S), atol=1e-3)


def test_pause_alter_resume_keeps_state_and_lands_on_time(session):
    """Charge with tau = 1 us, pause, double R, resume: the curve continues from the pause."""
    session.load("rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n ic=0\n")
    data = session.tran(1e-8, 4e-6, max_step_s=2e-8, uic=True, pause_at_s=1.3e-6)
    assert session.paused
    assert session.transient_time_s == pytest.approx(1.3e-6, rel=1e-12)
    # The last stored point is the pause (or, if another circuit of this process switched
    # interpolation on, a tstep grid point next to it).
    assert data["time"][-1] == pytest.approx(1.3e-6, abs=1.01e-8)
    assert data["v(out)"][-1] == pytest.approx(1 - math.exp(-data["time"][-1] / RC_TAU_S), abs=1e-3)
    v_pause = 1 - math.exp(-1.3)
    session.alter({"R1": 2000.0})
    data = session.resume(pause_at_s=2.1e-6, tail=1)
    assert session.transient_time_s == pytest.approx(2.1e-6, rel=1e-12)
    assert data["time"].shape == (1,)
    session.alter({"R1": 1000.0})
    data = session.resume()
    assert not session.paused
    t, v = data["time"], data["v(out)"]
    assert t[-1] == pytest.approx(4e-6)
    v_21 = 1 - (1 - v_pause) * math.exp(-0.8e-6 / (2 * RC_TAU_S))
    expected = np.where(
        t <= 1.3e-6,
        1 - np.exp(-t / RC_TAU_S),
        np.where(
            t <= 2.1e-6,
            1 - (1 - v_pause) * np.exp(-(t - 1.3e-6) / (2 * RC_TAU_S)),
            1 - (1 - v_21) * np.exp(-(t - 2.1e-6) / RC_TAU_S),
        ),
    )
    np.testing.assert_allclose(v, expected, atol=2e-3)
    with pytest.raises(SpiceError, match="no transient analysis is paused"):
        session.resume()


SCHMITT = """schmitt trigger: a behavioural comparator with positive feedback
VP p 0 0
Bcmp 0 out I = 2.5 + 2.5*tanh(4000*(v(p) + 0.004*(v(out)-2.5)))
Rout out 0 1
"""


def test_pause_after_a_hard_dc_sweep_elsewhere(session):
    """The Schmitt sweep needs gmin stepping (informational lines) and leaves ngspice's error
    message set, which the next pause prints as "doAnalyses: Too many iterations ..."."""
    session.load(SCHMITT, name="schmitt")
    data = session.dc("vp", -0.05, 0.05, 0.0005)
    assert any("gmin" in line for stream, line in session.last_output if stream == "stderr")
    high = data["v-sweep"][data["v(out)"] > 2.5]
    assert high.min() == pytest.approx(0.01, abs=1e-3)  # switches at +0.004 * 2.5 V
    session.load("rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n ic=0\n")
    session.tran(1e-8, 2e-6, max_step_s=2e-8, uic=True, pause_at_s=0.5e-6)
    assert session.paused and session.transient_time_s == pytest.approx(0.5e-6)
    data = session.resume()
    assert not session.paused and data["time"][-1] == pytest.approx(2e-6)


def test_bad_netlist_raises_a_clear_error_and_session_recovers(session):
    before = session.circuits
    with pytest.raises(SpiceError, match=r"load of circuit 'main'.*q1 a b"):
        session.load("broken\nV1 a 0 1\nQ1 a b\n")
    assert session.circuits == before
    session.load(DIVIDER)
    assert session.op()["v(mid)"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("foo", "no such command"),
        ("alter R9 = 3", "no such device"),
        ("dc v9 0 1 0.1", "not in the circuit"),
        ("print v(nowhere)", "not available"),
        ("source /nonexistent/file.cir", "No such file"),
    ],
)
def test_failing_commands_raise_and_the_session_still_works(session, command, message):
    session.load(DIVIDER)
    with pytest.raises(SpiceError, match=message):
        session.command(command)
    assert session.op()["v(mid)"] == pytest.approx(0.5)


def test_floating_node_is_an_error(session):
    session.load("floating\nV1 a 0 1\nR1 a 0 1k\nR2 b c 1k\n")
    with pytest.raises(SpiceError, match="singular matrix"):
        session.op()


def test_informational_lines_do_not_raise(session):
    # noopiter skips plain Newton: ngspice reports gmin stepping on stderr, then converges.
    session.load(
        "diode\n.options noopiter\nV1 a 0 5\nR1 a b 1k\nD1 b 0 dmod\n.model dmod D(IS=1e-14)\n"
    )
    result = session.op()
    stderr = [text for stream, text in session.last_output if stream == "stderr"]
    assert any("gmin stepping" in line for line in stderr)
    # Shockley diode: V_D = n V_T ln(I/IS + 1) with the current through 1 kOhm.
    i_a = (5.0 - result["v(b)"]) / 1e3
    assert result["v(b)"] == pytest.approx(0.025865 * math.log(i_a / 1e-14 + 1), rel=1e-3)
    session.load("tiny\nV1 a 0 1\nR1 a 0\n")  # "resistance to low, set to 1 mOhm" warning
    assert session.op()["i(v1)"] == pytest.approx(-1e3)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("Error on line 3 or its substitute:", True),
        ("Error: circuit not parsed.", True),
        ("doAnalyses: OP:  Timestep too small; cause unrecorded.", True),
        ("Warning: singular matrix:  check node a", True),
        ("foo: no such command available in ngspice", True),
        ("unknown parameter (abc)", True),
        ("Note: Starting dynamic gmin stepping", False),
        ("Trying gmin =   1.0000E-03 Note: One successful gmin step", False),
        ("Warning: Dynamic gmin stepping failed", False),
        ("Note: No compatibility mode selected!", False),
        ("Using SPARSE 1.3 as Direct Linear Solver", False),
        ("Unsupported Ngspice version 39", False),
        ("Warning: r2: resistance to low, set to 1 mOhm", False),
    ],
)
def test_error_line_classification(line, error):
    assert is_error_line(line) is error


def test_tolerated_patterns_are_not_errors():
    assert not is_error_line("Warning: singular matrix: check node a", tolerate=("singular",))


def test_long_and_crashing_commands_are_refused(session):
    with pytest.raises(SpiceError, match="at most 1023"):
        session.command("echo " + "x" * MAX_COMMAND_CHARS)
    with pytest.raises(SpiceError, match="crashes"):
        session.command("show all")


def test_numbers_are_written_exactly():
    assert spice_number(np.float64(0.1)) == "0.1"
    assert float(spice_number(np.float32(1.7))) == float(np.float32(1.7))
    with pytest.raises(UserError, match="R3"):
        spice_number(float("nan"), "R3")


def test_named_circuits_coexist(session):
    others = session.circuits  # circuits other tests of this process keep loaded
    session.load(DIVIDER, name="a")
    session.load("other\nV1 in 0 3\nR1 in mid 2k\nR2 mid 0 1k\n", name="b")
    assert session.circuits == (*others, "a", "b")
    assert session.op()["v(mid)"] == pytest.approx(1.0)
    session.select("a")
    assert session.op()["v(mid)"] == pytest.approx(0.5)
    session.remove("b")
    assert session.circuits == (*others, "a")
    assert session.op()["v(mid)"] == pytest.approx(0.5)
    with pytest.raises(SpiceError, match="no circuit named 'b'"):
        session.select("b")


def test_control_blocks_are_dropped_unless_asked(session):
    netlist = DIVIDER + ".control\nalter R1 = 3k\n.endc\n"
    session.load(netlist)
    assert session.op()["v(mid)"] == pytest.approx(0.5)


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_memory_stays_flat_over_2000_alter_op_cycles(session):
    lines = ["grid", "V1 n0 0 1"] + [f"R{i} n{i} n{i + 1} 1k" for i in range(50)]
    lines.append("RL n50 0 1k")
    session.load("\n".join(lines))
    for i in range(200):  # warm-up
        session.alter({"R3": 1000.0 + i})
        session.op()
    before = _rss_mib()
    for i in range(2000):
        session.alter({"R3": 1000.0 + i, "V1": 1.0 + 1e-4 * i})
        result = session.op()
    growth = _rss_mib() - before
    total_ohm = 51e3 + 1999.0  # R3 = 2999 Ohm after the last cycle
    assert result["v(n1)"] == pytest.approx(1.1999 * (total_ohm - 1e3) / total_ohm, rel=1e-9)
    assert growth < 20.0, f"RSS grew by {growth:.1f} MiB over 2000 cycles"


RECYCLE_SCRIPT = """
from coupled.core.errors import SpiceError
from coupled.spice.session import get_session
s = get_session()
s.load("d\\nV1 in 0 1\\nR1 in mid 1k\\nR2 mid 0 1k\\n", name="recycled")
s.recycle()
assert s.circuits == ()
try:
    s.command("setcirc")
except SpiceError as exc:
    assert "aren't any circuits loaded" in str(exc)
else:
    raise AssertionError("a circuit survived recycle()")
s.load("d\\nV1 in 0 2\\nR1 in mid 1k\\nR2 mid 0 1k\\n")
print(s.op()["v(mid)"])
"""


def test_recycle_removes_every_circuit_and_keeps_working():
    # In a child process: recycle() would also remove circuits other tests hold here.
    result = subprocess.run(
        [sys.executable, "-c", RECYCLE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(1.0)


INTERP_SCRIPT = """
import warnings
from coupled.core.errors import SpiceError
from coupled.spice.session import get_session
s = get_session()
rc = "rc\\nV1 in 0 1\\nR1 in out 1k\\nC1 out 0 1n ic=0\\n"
s.load(rc)
free_points = s.tran(1e-7, 2e-6, max_step_s=1e-8, uic=True)["time"].size
netlist = "sets interp\\n.options interp\\nV1 a 0 1\\nR1 a 0 1k\\n"
try:
    s.load(netlist, name="interp")
except SpiceError as exc:
    assert "allow_interp=True" in str(exc)
else:
    raise AssertionError("interp accepted without allow_interp")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    s.load(netlist, name="interp", allow_interp=True)
assert any("interp" in str(w.message) for w in caught), caught
s.tran(1e-7, 1e-6)
s.remove("interp")
s.load(rc)
data = s.tran(1e-7, 2e-6, max_step_s=1e-8, uic=True, pause_at_s=1.05e-6)
assert s.interpolating and s.paused and s.transient_time_s == 1.05e-6, s.transient_time_s
data = s.resume()
print(free_points, data["time"].size, data["time"][-1])
"""


def test_interp_leaks_into_later_circuits_and_is_reported():
    # In a child process: once on, interpolation stays on for every later transient.
    result = subprocess.run(
        [sys.executable, "-c", INTERP_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    free_points, interp_points, end_s = result.stdout.split()
    # 0..2 us on the 0.1 us grid (the pause costs ngspice's interpolation one grid point).
    assert int(free_points) > 100 and int(interp_points) in (20, 21)
    assert float(end_s) == pytest.approx(2e-6, abs=1.01e-7)
