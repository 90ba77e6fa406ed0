"""The one ngspice of a process: a thin, strict session over the ngspice shared library.

Contract
    ngspice keeps global state (circuits, plots, options), so a process holds exactly one
    :class:`SpiceSession`, obtained with :func:`get_session`; parallel work uses processes (fork
    and spawn both work), never threads or a second library instance. The library is driven
    through :mod:`ctypes` (:mod:`coupled.spice.library` finds and opens it; PySpice is never
    imported here). :meth:`SpiceSession.load` parses a netlist under a name (several may stay
    loaded; :meth:`~SpiceSession.select` switches); :meth:`~SpiceSession.op`,
    :meth:`~SpiceSession.dc` and :meth:`~SpiceSession.tran` return numpy data keyed
    ``"v(node)"`` and ``"i(element)"``; :meth:`~SpiceSession.alter` changes elements, also while a
    transient is paused (``tran(..., pause_at_s=t)``, then :meth:`~SpiceSession.resume`). A
    command fails with :class:`~coupled.core.errors.SpiceError` when a stderr line matches
    :data:`~coupled.spice.lines.ERROR_PATTERNS` (:mod:`coupled.spice.lines`); the session keeps
    working after an error, and ``session.last_output`` holds every line of the last command.

The ngspice 39 traps this session handles - memory kept per command, ``interp`` that changes every
later transient, commands that crash the process or corrupt memory, pausing and resuming a
transient, stale plots - are described, with their measurements, in ``docs/ngspice.md`` (what
"the module docstring" refers to below).
"""

from __future__ import annotations

import ctypes
import math
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from coupled.core import interrupts
from coupled.core.errors import SpiceError, SpiceNotFoundError, UserError
from coupled.spice.library import (
    INSTALL_HINT,
    MIN_VERSION,
)
from coupled.spice.library import VERSION_RE as _VERSION_RE
from coupled.spice.library import BGThreadRunning as _BGThreadRunning
from coupled.spice.library import ControlledExit as _ControlledExit
from coupled.spice.library import SendChar as _SendChar
from coupled.spice.library import SendStat as _SendStat
from coupled.spice.library import VectorInfo as _VectorInfo
from coupled.spice.library import open_library as _open_library
from coupled.spice.lines import CIRCUIT_COMMANDS_RE as _CIRCUIT_COMMANDS_RE
from coupled.spice.lines import CIRCUIT_LINE_RE as _CIRCUIT_LINE_RE
from coupled.spice.lines import CRASHING_RE as _CRASHING_RE
from coupled.spice.lines import (
    ERROR_PATTERNS,
    MAX_COMMAND_CHARS,
    is_error_line,
)
from coupled.spice.lines import INTERP_OPTION_RE as _INTERP_OPTION_RE
from coupled.spice.lines import INTERP_RE as _INTERP_RE
from coupled.spice.lines import PAUSE_LINES as _PAUSE_LINES
from coupled.spice.lines import PROGRESS_RE as _PROGRESS_RE
from coupled.spice.lines import STOP_MET_RE as _STOP_MET_RE
from coupled.spice.lines import join_commands as _join_commands
from coupled.spice.lines import strip_control as _strip_control
from coupled.spice.lines import vector_key as _key
from coupled.spice.lines import vector_name as _vector_name
from coupled.spice.numbers import spice_number

__all__ = [
    "ERROR_PATTERNS",
    "INSTALL_HINT",
    "MAX_COMMAND_CHARS",
    "MIN_VERSION",
    "SpiceSession",
    "get_session",
    "is_error_line",
]
# The helpers above live in coupled.spice.library and coupled.spice.lines; they are imported
# under the names the class below has always used.


BACKGROUND_POLL_S = 0.05
"""How often the main thread looks at a background analysis (s): the delay of an interrupt."""
BACKGROUND_MIN_DC_POINTS = 2000
"""A ``dc`` sweep of more points than this runs in the background thread (interruptible); a
shorter one, like an ``op``, in the foreground (milliseconds; no thread hand-over)."""
BACKGROUND_START_S = 60.0
"""How long a background analysis may take to start before the session gives up (s)."""


class SpiceSession:
    """The process's ngspice shared library. Obtain it with :func:`get_session`.

    Attributes
    ----------
    version : int
        ngspice major version, e.g. 39.
    library_path : str
        The shared library file in use.
    last_output : list of (str, str)
        ``(stream, line)`` pairs written by the last command.
    commands_sent : int
        Statements sent to ngspice so far (each keeps ~200 bytes; see the module docstring).
    interpolating : bool
        True once a transient ran with ``interp`` set: from then on ngspice stores every
        transient of the process on its ``tstep`` grid only (see the module docstring).
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._lib, self.library_path = _open_library()
        self._declare()
        self._lines: list[tuple[str, str]] = []
        self._exit_requested: tuple[int, bool] | None = None
        self._callbacks = (
            _SendChar(self._on_char),
            _SendStat(lambda text, ident, user: 0),
            _ControlledExit(self._on_exit),
            _BGThreadRunning(self._on_background),
        )
        self._background_started = threading.Event()
        self._background_done = threading.Event()
        interrupts.install()
        status = self._native(
            self._lib.ngSpice_Init, *self._callbacks[:3], None, None, self._callbacks[3], None
        )
        if status != 0:
            raise SpiceNotFoundError(f"ngspice initialisation failed (status {status})")
        self.init_output = list(self._lines)
        self.last_output: list[tuple[str, str]] = []
        self.commands_sent = 0
        banner = " ".join(text for _, text in self.init_output + self._run("version -s"))
        match = _VERSION_RE.search(banner)
        if not match:
            raise SpiceNotFoundError(
                f"{self.library_path} did not report an ngspice version; {INSTALL_HINT}"
            )
        self.version = int(match.group(1))
        if self.version < MIN_VERSION:
            raise SpiceNotFoundError(
                f"ngspice {self.version} at {self.library_path} is too old; need "
                f"{MIN_VERSION} or newer: {INSTALL_HINT}"
            )
        self._circuits: list[str] = []  # titles, most recently loaded first (ngspice's order)
        self._names: dict[str, str] = {}  # circuit name -> title
        self._current: str | None = None  # title of ngspice's current circuit
        self._serial = 0
        self._paused = False
        self._pause_at_s: float | None = None
        self._paused_time_s: float | None = None
        self._tran_stop_s: float | None = None
        self.interpolating = False

    # -- ctypes plumbing ----------------------------------------------------------------------
    def _declare(self) -> None:
        lib = self._lib
        try:
            lib.ngSpice_Init.argtypes = [
                _SendChar,
                _SendStat,
                _ControlledExit,
                ctypes.c_void_p,
                ctypes.c_void_p,
                _BGThreadRunning,
                ctypes.c_void_p,
            ]
            lib.ngSpice_running.restype = ctypes.c_bool
            lib.ngSpice_Command.argtypes = [ctypes.c_char_p]
            lib.ngSpice_Circ.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
            lib.ngGet_Vec_Info.argtypes = [ctypes.c_char_p]
            lib.ngGet_Vec_Info.restype = ctypes.POINTER(_VectorInfo)
            lib.ngSpice_CurPlot.restype = ctypes.c_char_p
            lib.ngSpice_AllVecs.argtypes = [ctypes.c_char_p]
            lib.ngSpice_AllVecs.restype = ctypes.POINTER(ctypes.c_char_p)
            lib.ngSpice_SetBkpt.argtypes = [ctypes.c_double]
            lib.ngSpice_SetBkpt.restype = ctypes.c_bool
        except AttributeError as exc:
            raise SpiceNotFoundError(
                f"{self.library_path} is not the ngspice shared library ({exc}); {INSTALL_HINT}"
            ) from None

    @staticmethod
    def _native(function, *args):
        """Call into ngspice; a Ctrl-C/SIGTERM during the call (noticed while ngspice calls back
        into :meth:`_on_char`) is raised as ``KeyboardInterrupt`` when the call returns (see
        :mod:`coupled.core.interrupts`)."""
        interrupts.enter_native()
        try:
            return function(*args)
        finally:
            interrupts.leave_native()

    def _on_char(self, text: bytes, ident: int, user: object) -> int:
        line = text.decode("utf-8", errors="replace") if text else ""
        stream, _, rest = line.partition(" ")
        if stream not in ("stdout", "stderr"):
            stream, rest = "stdout", line
        self._lines.append((stream, rest))
        return 0

    def _on_exit(self, status: int, unload: bool, quit_: bool, ident: int, user: object) -> int:
        self._exit_requested = (int(status), bool(quit_))
        return 0

    def _on_background(self, finished: bool, ident: int, user: object) -> int:
        # ngspice calls this from its background thread when the thread starts and ends
        (self._background_done if finished else self._background_started).set()
        return 0

    def _run_background(self, text: str) -> list[tuple[str, str]]:
        """Run an analysis command in ngspice's background thread and wait for it here.

        The main thread waits in Python, so Ctrl-C and SIGTERM raise ``KeyboardInterrupt``
        at once (within :data:`BACKGROUND_POLL_S`): the analysis is halted (``bg_halt``), its
        data destroyed and the interrupt re-raised. Other threads run the command in the
        foreground (they get no signals)."""
        if threading.get_ident() != threading.main_thread().ident:
            return self._run(text)
        self._lines = []
        self._exit_requested = None
        self._background_started.clear()
        self._background_done.clear()
        self.commands_sent += 1
        self._native(self._lib.ngSpice_Command, b"bg_" + text.encode())
        try:
            # The thread sets ngspice's running flag itself, possibly after the command has
            # returned: only its callbacks say that it started and that it ended.
            waited = 0.0
            while not self._background_done.wait(BACKGROUND_POLL_S):
                waited += BACKGROUND_POLL_S
                if (
                    not self._background_started.is_set()
                    and waited > BACKGROUND_START_S
                    and not self._lib.ngSpice_running()
                ):
                    raise SpiceError(f"ngspice did not start {text!r} in its background thread")
        except BaseException:
            self._lib.ngSpice_Command(b"bg_halt")
            self._background_done.wait(BACKGROUND_POLL_S)
            self._lines = []
            self._paused = False
            self._pause_at_s = None
            self._lib.ngSpice_Command(b"delete all")
            self._lib.ngSpice_Command(b"destroy all")
            self._lines = []
            raise
        lines, self._lines = self._lines, []
        self.last_output = lines
        return lines

    def _run(self, text: str, record: bool = True) -> list[tuple[str, str]]:
        """Send one command; ``record=False`` for housekeeping that keeps ``last_output``."""
        data = text.encode()
        if _CRASHING_RE.search(text):
            raise SpiceError(
                f"ngspice command {text!r} crashes ngspice 39's shared library; refused "
                "(name the elements to show, e.g. 'show r1'; end the process instead of quit)"
            )
        if len(data) > MAX_COMMAND_CHARS:
            raise SpiceError(
                f"ngspice command of {len(data)} characters: at most {MAX_COMMAND_CHARS} allowed "
                f"({text[:60]}...)"
            )
        self._lines = []
        self._exit_requested = None
        self.commands_sent += text.count(";") + 1
        self._native(self._lib.ngSpice_Command, data)
        lines, self._lines = self._lines, []
        if record:
            self.last_output = lines
        return lines

    def _check(self, lines: list[tuple[str, str]], what: str, tolerate: Iterable[str] = ()) -> None:
        tolerate = tuple(tolerate)
        errors = []
        stderr = [_PROGRESS_RE.sub("", t).strip() for s, t in lines if s == "stderr"]
        skip = -1
        for i, text in enumerate(stderr):
            if i != skip and is_error_line(text, tolerate):
                follows = text.endswith(":") and i + 1 < len(stderr)
                errors.append(f"{text} {stderr[i + 1]}" if follows else text)
                skip = i + 1 if follows else -1
        if self._exit_requested is not None:
            status, by_quit = self._exit_requested
            self._exit_requested = None
            errors.append(f"ngspice requested exit (status {status}{', quit' if by_quit else ''})")
        if errors:
            shown = "; ".join(dict.fromkeys(e for e in errors if e))
            if len(shown) > 300:
                shown = shown[:297] + "..."
            raise SpiceError(f"ngspice failed on {what}: {shown}")

    # -- public API ---------------------------------------------------------------------------
    def describe(self) -> str:
        """One line naming the ngspice release and the library file, for reports."""
        return f"ngspice {self.version} (shared library {self.library_path})"

    def command(self, text: str, *, tolerate: Iterable[str] = ()) -> list[str]:
        """Run one raw ngspice command.

        Parameters
        ----------
        text
            The command (at most :data:`MAX_COMMAND_CHARS` characters; ``;`` separates several).
        tolerate
            Regular expressions of stderr lines not to treat as errors for this command.

        Returns
        -------
        list of str
            The lines ngspice wrote to stdout.

        Raises
        ------
        SpiceError
            When a stderr line reports an error (see :data:`ERROR_PATTERNS`).
        """
        with self._lock:
            lines = self._run(text)
            if _CIRCUIT_COMMANDS_RE.search(text):
                self._end_transient()
                self._sync_circuits()
                self.last_output = lines
            self._check(lines, repr(text if len(text) <= 80 else text[:77] + "..."), tolerate)
            return [t for s, t in lines if s == "stdout"]

    def load(
        self,
        netlist_text: str,
        *,
        name: str = "main",
        keep_control: bool = False,
        allow_interp: bool = False,
    ) -> None:
        """Parse a netlist and make it the current circuit.

        Parameters
        ----------
        netlist_text
            A SPICE netlist; its first line is the title. ``.end`` is added when missing.
        name
            Circuit name in this session; a loaded circuit of that name is replaced.
        keep_control
            Keep ``.control`` ... ``.endc`` blocks (they run while loading); dropped by default.
        allow_interp
            Accept a netlist that sets ``interp`` (refused by default: it changes every later
            transient of the process, see the module docstring).

        Raises
        ------
        SpiceError
            When ngspice rejects the netlist (nothing stays loaded under ``name``).
        """
        lines = netlist_text.strip("\n").splitlines()
        if not lines or not netlist_text.strip():
            raise UserError("netlist is empty: give a title line and at least one element")
        if not keep_control:
            lines = _strip_control(lines)
        if any(_INTERP_OPTION_RE.search(line) for line in lines):
            if not allow_interp:
                raise SpiceError(
                    f"circuit {name!r} sets 'interp', which ngspice 39 keeps on for every later "
                    "transient of the process (regridded, last point dropped, errors of mV); "
                    "pass allow_interp=True only in a process of its own, or use "
                    "pause_at_s/tail= or .save to keep transients small"
                )
            if not self.interpolating:
                warnings.warn(
                    f"circuit {name!r} sets 'interp': from its first transient on, every "
                    "transient of this process is interpolated (ngspice 39 never resets it)",
                    RuntimeWarning,
                    stacklevel=2,
                )
        with self._lock:
            self._end_transient()
            if name in self._names:
                self._remove(name, restore=False)
            self._serial += 1
            title = f"{name} #{self._serial} {lines[0].strip().lstrip('*').strip()}".strip()
            body = lines[1:]
            if not any(line.strip().lower() == ".end" for line in body):
                body.append(".end")
            encoded = [title.encode()] + [line.encode() for line in body]
            array = (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)
            self._lines = []
            self._exit_requested = None
            status = self._native(self._lib.ngSpice_Circ, array)
            out, self._lines = self._lines, []
            self.last_output = out
            try:
                if status != 0:
                    raise SpiceError(f"ngspice failed on load of {name!r}: status {status}")
                self._check(out, f"load of circuit {name!r}")
            except SpiceError:
                self._discard_broken(title)
                raise
            self._circuits.insert(0, title)
            self._names[name] = title
            self._current = title

    def _discard_broken(self, title: str) -> None:
        """After a failed parse ngspice keeps an unlisted current circuit: remove it."""
        titles, current = self._listed_titles()
        if current is None or titles[current].lower() == title.lower():
            self._run("remcirc", record=False)
        self._exit_requested = None
        self._sync_circuits()

    def _listed_titles(self) -> tuple[list[str], int | None]:
        titles: list[str] = []
        current = None
        for stream, text in self._run("setcirc", record=False):
            match = _CIRCUIT_LINE_RE.match(text.strip()) if stream == "stdout" else None
            if match:
                titles.append(match.group(2).strip())
                if text.strip().startswith("Current"):
                    current = len(titles) - 1
        return titles, current

    def _sync_circuits(self) -> None:
        """Rebuild the circuit list from ngspice's own (``setcirc``): after failures or raw
        commands that may add or remove circuits."""
        titles, current = self._listed_titles()
        known = {t.lower() for t in titles}
        self._circuits = list(titles)
        self._names = {n: t for n, t in self._names.items() if t.lower() in known}
        self._current = self._circuits[current] if current is not None else None

    @property
    def circuits(self) -> tuple[str, ...]:
        """Names of the circuits loaded through :meth:`load`."""
        return tuple(self._names)

    def select(self, name: str) -> None:
        """Make the circuit loaded under ``name`` current (cheap when it already is)."""
        with self._lock:
            title = self._names.get(name)
            if title is None:
                loaded = ", ".join(self._names) or "none"
                raise SpiceError(f"no circuit named {name!r} is loaded; loaded: {loaded}")
            if self._current == title:
                return
            self._end_transient()
            if not self._setcirc(title):
                self._sync_circuits()
                if title not in self._circuits or not self._setcirc(title):
                    self._names.pop(name, None)
                    raise SpiceError(f"circuit {name!r} was removed outside the session")
            self._current = title

    def _setcirc(self, title: str) -> bool:
        index = self._circuits.index(title) + 1
        lines = self._run(f"setcirc {index}", record=False)
        got = " ".join(text for stream, text in lines if stream == "stdout").strip()
        return got.lower() == title.lower()

    def remove(self, name: str) -> None:
        """Remove the circuit loaded under ``name`` (no-op if there is none)."""
        with self._lock:
            self._remove(name, restore=True)

    def _remove(self, name: str, restore: bool) -> None:
        if name not in self._names:
            return
        previous = self._current
        self.select(name)
        self._run("remcirc", record=False)
        title = self._names.pop(name)
        self._circuits.remove(title)
        # ngspice makes the most recently loaded remaining circuit current.
        self._current = self._circuits[0] if self._circuits else None
        back = [n for n, t in self._names.items() if t == previous]
        if restore and back:
            self.select(back[0])

    def alter(self, values: Mapping[str, float | str]) -> None:
        """Change element values of the current circuit, e.g. ``{"R3": 1200.0, "V1": 0.5}``.

        A key may name a parameter too (``{"V1 dc": 0.5}``); numbers are written exactly and
        must be finite; strings are passed as they are. Commands are joined with ``;`` into as
        few calls as the 1023-character limit allows.
        """
        parts = []
        for element, value in values.items():
            text = value if isinstance(value, str) else spice_number(value, str(element))
            parts.append(f"alter {element} = {text}")
        with self._lock:
            for chunk in _join_commands(parts):
                self.command(chunk)

    def script(self, commands: Sequence[str], *, tolerate: Iterable[str] = ()) -> list[str]:
        """Run control commands that ngspice does not keep: no memory per statement.

        The commands go to ngspice as an ``*ng_script`` deck through ``ngSpice_Circ``, which
        runs them in a control frame that is freed afterwards (measured: 300 steps of 286
        ``alter`` statements each left RSS unchanged, where :meth:`alter` keeps ~320 bytes per
        statement, and each statement costs ~6 us instead of ~10 us). Use it for per-step
        traffic of long runs: ``alter``, ``op``, ``dc``, ``tran``, ``resume``, ``destroy``.

        Caveats (ngspice 39): when a script ends ngspice drops the current circuit's stop
        conditions and ``save`` entries without freeing them (~100 bytes each) and re-creates
        the entries of the circuit's ``.save`` lines, so a circuit with N ``.save`` names leaks
        ~130 N bytes per script (measured): give such circuits ``save`` commands before each
        transient instead of ``.save`` lines, and continue a paused transient with a script
        that sets its ``stop when`` and then ``resume`` s. Analyses run here bypass this
        session's pause bookkeeping (read them with :meth:`vectors`, free them with
        ``destroy all``); commands that add, remove or switch circuits are refused.

        Parameters
        ----------
        commands
            One command per item (each at most :data:`MAX_COMMAND_CHARS` characters).
        tolerate
            Regular expressions of stderr lines not to treat as errors.

        Returns
        -------
        list of str
            The lines ngspice wrote to stdout.

        Raises
        ------
        SpiceError
            When a stderr line reports an error (see :data:`ERROR_PATTERNS`).
        """
        lines = [str(c) for c in commands]
        encoded = [b"*ng_script"] + [text.encode() for text in lines] + [b".end"]
        for text, data in zip(lines, encoded[1:], strict=False):
            if len(data) > MAX_COMMAND_CHARS or "\n" in text:
                raise SpiceError(f"script command must be one line of <= 1023 bytes: {text[:60]}")
            if text.startswith("alter ") and ";" not in text:
                continue  # the bulk of per-step traffic; cannot crash or switch circuits
            if _CRASHING_RE.search(text) or _CIRCUIT_COMMANDS_RE.search(text):
                raise SpiceError(f"script command {text[:60]!r} is refused (see script())")
        array = (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)
        with self._lock:
            self._lines = []
            self._exit_requested = None
            status = self._native(self._lib.ngSpice_Circ, array)
            out, self._lines = self._lines, []
            self.last_output = out
            if status != 0:
                raise SpiceError(f"ngspice failed on a script of {len(lines)} commands")
            first = lines[0] if lines else ""
            self._check(out, f"script ({len(lines)} commands, first {first[:40]!r})", tolerate)
            return [t for s, t in out if s == "stdout"]

    def set_breakpoint(self, time_s: float) -> None:
        """Add a transient breakpoint (``ngSpice_SetBkpt``): a time point lands on ``time_s``.

        Honoured while a transient is paused (unlike breakpoints given as commands); with a
        ``stop when time >= ...`` condition set in a :meth:`script` it makes a pause land
        exactly on ``time_s``. Nothing is kept per call.
        """
        when = float(spice_number(time_s, "breakpoint time_s"))
        with self._lock:
            if not self._lib.ngSpice_SetBkpt(when):
                raise SpiceError(f"ngspice refused a breakpoint at {when!r} s")

    def op(self, names: Sequence[str] | None = None) -> dict[str, float]:
        """Run an operating-point analysis; node voltages ``"v(node)"`` and currents ``"i(el)"``.

        ``names`` (keys such as ``"v(n3)"`` or ``"i(vd0)"``) limits what is read.
        """
        with self._lock:
            # An operating point is short and bounded: it runs in the foreground, where it
            # costs no thread hand-over (about 250 us per analysis, measured on this machine).
            data = self._analysis("op", names, background=False)
            return {k: float(v[0]) for k, v in data.items()}

    def dc(
        self,
        source: str,
        start: float,
        stop: float,
        step: float,
        names: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Sweep the value of an independent source (or resistor) and return every vector.

        The sweep values are under ``"v-sweep"`` (or ``"i-sweep"``, ``"res-sweep"``).
        """
        text = (
            f"dc {source.lower()} {spice_number(start, 'dc start')} "
            f"{spice_number(stop, 'dc stop')} {spice_number(step, 'dc step')}"
        )
        points = abs(stop - start) / abs(step) + 1 if step else 1
        with self._lock:
            return self._analysis(text, names, background=points > BACKGROUND_MIN_DC_POINTS)

    def tran(
        self,
        step_s: float,
        stop_s: float,
        start_s: float = 0.0,
        max_step_s: float | None = None,
        uic: bool = False,
        pause_at_s: float | None = None,
        names: Sequence[str] | None = None,
        tail: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Run a transient analysis (``tran step stop start max [uic]``), times in seconds.

        With ``pause_at_s`` the analysis stops there and stays paused (``paused`` is True) with
        the data so far; :meth:`alter` then :meth:`resume` to continue. ``names`` limits the
        vectors read and ``tail`` the number of last time points returned.
        """
        text = (
            f"tran {spice_number(step_s, 'step_s')} {spice_number(stop_s, 'stop_s')} "
            f"{spice_number(start_s, 'start_s')}"
        )
        if max_step_s is not None:
            text += f" {spice_number(max_step_s, 'max_step_s')}"
        if uic:
            text += " uic"
        with self._lock:
            self._end_transient()
            self._tran_stop_s = float(stop_s)
            self._set_pause(pause_at_s, initial=True)
            return self._analysis(text, names, transient=True, tail=tail)

    def resume(
        self,
        pause_at_s: float | None = None,
        names: Sequence[str] | None = None,
        tail: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Continue a paused transient to ``pause_at_s`` (or its end).

        Returns the data since the start of the transient (or its last ``tail`` points); raises
        ``UserError`` for a pause time not after the current one.
        """
        with self._lock:
            if not self._paused:
                raise SpiceError("resume: no transient analysis is paused")
            self._set_pause(pause_at_s, initial=False)
            return self._analysis("resume", names, transient=True, tail=tail)

    @property
    def paused(self) -> bool:
        """True while a transient started with ``pause_at_s`` waits for :meth:`resume`."""
        return self._paused

    @property
    def transient_time_s(self) -> float | None:
        """Simulated time reached by the paused transient (None when nothing is paused)."""
        return self._paused_time_s if self._paused else None

    def stop_transient(self) -> None:
        """Abandon a paused transient and free its data."""
        with self._lock:
            self._end_transient()

    def vectors(
        self, names: Sequence[str] | None = None, tail: int | None = None
    ) -> dict[str, np.ndarray]:
        """Vectors of the current plot (all, or the keys in ``names``) as copies.

        ``tail`` keeps only the last points of each vector.
        """
        with self._lock:
            if names is None:
                plot = self._lib.ngSpice_CurPlot()
                listing = self._lib.ngSpice_AllVecs(plot)
                found, i = [], 0
                while listing and listing[i]:
                    found.append(listing[i].decode())
                    i += 1
                return {_key(n): self._read(n, tail) for n in found}
            data = {}
            for key in names:
                vector = self._read(_vector_name(key), tail)
                if vector is None:
                    raise SpiceError(f"no such vector {key!r} in the last analysis")
                data[key] = vector
            return data

    def reset(self) -> None:
        """ngspice ``reset`` of the current circuit (discards earlier ``alter`` changes)."""
        with self._lock:
            self._end_transient()
            self.command("reset")

    def recycle(self) -> None:
        """Remove every circuit, plot, breakpoint and pause: a clean ngspice, same process."""
        with self._lock:
            self._end_transient()
            self._run("delete all", record=False)
            for name in list(self._names):
                self.remove(name)
            for _ in range(len(self._listed_titles()[0])):
                self._run("remcirc", record=False)
            self._circuits, self._names, self._current = [], {}, None
            self._run("destroy all", record=False)
            self._exit_requested = None

    # -- analyses -----------------------------------------------------------------------------
    def _analysis(
        self,
        text: str,
        names: Sequence[str] | None,
        transient: bool = False,
        tail: int | None = None,
        background: bool = True,
    ) -> dict[str, np.ndarray]:
        if not transient:
            self._end_transient()
        lines = self._run_background(text) if background else self._run(text)
        if any(_INTERP_RE.search(line) for stream, line in lines if stream == "stdout"):
            self.interpolating = True
        stopped = transient and any(
            _STOP_MET_RE.search(line) for stream, line in lines if stream == "stderr"
        )
        # At a pause ngspice 39 prints "doAnalyses: <message>" with whatever error message an
        # earlier analysis left behind (e.g. "Too many iterations without convergence").
        tolerate = (*_PAUSE_LINES, r"^doanalyses:") if stopped else _PAUSE_LINES
        try:
            self._check(lines, repr(text), tolerate=tolerate if transient else ())
        except SpiceError:
            self._end_transient()
            self._run("destroy all", record=False)
            raise
        if transient:
            self._check_pause(stopped)
        try:
            return self.vectors(names, tail)
        finally:
            if not self._paused:
                self._end_transient()
                self._run("destroy all", record=False)

    def _set_pause(self, pause_at_s: float | None, initial: bool) -> None:
        self._run("delete all", record=False)
        self._pause_at_s = None
        if pause_at_s is None:
            return
        when = float(spice_number(pause_at_s, "pause_at_s"))
        if self._tran_stop_s is not None and when >= self._tran_stop_s * (1 - 1e-12):
            return  # at or after the end: run to the end
        reached = None if initial else self.transient_time_s
        if when <= 0 or (reached is not None and when <= reached):
            raise UserError(
                f"pause_at_s {when!r}: must be after the current transient time "
                f"{reached if reached is not None else 0.0!r} s"
            )
        # `time >= guard` cannot be stepped over by rounding; at the start of `tran` ngspice
        # turns the stop condition into a breakpoint, while paused it ignores that, so an
        # explicit breakpoint lands the step on `when` (measured: within 1 ULP).
        guard = when - 16 * float(np.spacing(when))
        self.command(f"stop when time >= {spice_number(guard)}")
        if not initial:
            self._lib.ngSpice_SetBkpt(when)
        self._pause_at_s = when

    def _check_pause(self, stopped: bool) -> None:
        """After ``tran``/``resume``: paused exactly when our stop condition was met."""
        self._paused = stopped and self._pause_at_s is not None
        if not self._paused:
            return
        when = self._pause_at_s
        time_s = self._read("time", tail=1)
        last = float(time_s[-1]) if time_s is not None and time_s.size else math.nan
        tolerance = 1e-9 * abs(when) + 1e-18
        # Interpolated output (see `interpolating`) holds tstep grid points only, up to the
        # one after the pause, so it cannot confirm the pause time.
        if not self.interpolating and abs(last - when) > tolerance:
            self._end_transient()
            raise SpiceError(
                f"transient pause at {when!r} s stopped at {last!r} s instead; "
                "use a maximum time step below the pause interval"
            )
        self._paused_time_s = when

    def _end_transient(self) -> None:
        if self._paused or self._pause_at_s is not None:
            self._run("delete all", record=False)
            self._run("destroy all", record=False)
        self._paused = False
        self._pause_at_s = None

    def _read(self, vector_name: str | bytes, tail: int | None = None) -> np.ndarray | None:
        if isinstance(vector_name, str):
            vector_name = vector_name.encode()
        pointer = self._lib.ngGet_Vec_Info(vector_name)
        self._lines = []
        if not pointer:
            return None
        info = pointer.contents
        n = int(info.v_length)
        first = 0 if tail is None else max(0, n - int(tail))
        if info.v_realdata:
            if n - first == 1:
                return np.array([info.v_realdata[first]])
            address = ctypes.cast(info.v_realdata, ctypes.c_void_p).value + 8 * first
            data = np.empty(n - first, dtype=np.float64)
        elif info.v_compdata:
            address = info.v_compdata + 16 * first
            data = np.empty(n - first, dtype=np.complex128)
        else:
            return np.zeros(0)
        ctypes.memmove(data.ctypes.data, address, data.nbytes)
        return data


_SESSION: SpiceSession | None = None
_SESSION_LOCK = threading.Lock()


def get_session() -> SpiceSession:
    """The process's one ngspice session (created, and the library loaded, on first use).

    Raises
    ------
    SpiceNotFoundError
        When the ngspice shared library is missing or too old (with an install hint).
    """
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = SpiceSession()
        return _SESSION
