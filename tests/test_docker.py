"""The Docker image, checked without a Docker engine: the Dockerfile against the tree, and the wheel
the image installs, built from the tree and run from another folder.

Static checks: the Dockerfile installs Debian's packages through the same script and list as
``make setup``, copies every package directory that pyproject lists (and pyproject lists every
package in the tree), installs the package, runs the ngspice smoke test at build time, runs as
a non-root user with ``coupled`` as entry point, results in ``/results``; hadolint passes.
Wheel checks: ``pip wheel`` of the tree contains the netlist library and the shipped packing,
and the installed wheel (not the editable tree) solves through ngspice from another folder; in a
fresh virtual environment outside the checkout its ``coupled`` script prints the version, writes
the board's netlist and trains the board at circuit level.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
SCRIPT = "scripts/install-system-packages.sh"
PACKAGE_LIST = "scripts/system-packages.txt"


def instructions(text: str) -> list[tuple[str, str]]:
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    result, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.partition(" ")
        result.append((keyword.upper(), args.strip()))
        current = ""
    return result


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _runs(steps) -> list[str]:
    return [args for keyword, args in steps if keyword == "RUN"]


def _copied(steps) -> list[tuple[list[str], str]]:
    copies = []
    for keyword, args in steps:
        if keyword == "COPY":
            words = [w for w in shlex.split(args) if not w.startswith("--")]
            copies.append((words[:-1], words[-1]))
    return copies


def test_debian_bookworm_slim_python_base(steps):
    bases = [args for keyword, args in steps if keyword == "FROM"]
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm(@sha256:[0-9a-f]{64})?", bases[0])


def test_system_packages_come_from_the_shared_script_and_list(steps):
    sources = [s for sources, _ in _copied(steps) for s in sources]
    assert SCRIPT in sources and PACKAGE_LIST in sources
    installs = [r for r in _runs(steps) if SCRIPT in r]
    assert len(installs) == 1
    assert "--no-install-recommends" in installs[0]
    assert "rm -rf /var/lib/apt/lists/*" in installs[0]
    # No package is installed behind the list's back.
    assert not any("apt-get install" in r or "apt install" in r for r in _runs(steps))
    # The script installs exactly the list, and make setup uses the same pair.
    script = (ROOT / SCRIPT).read_text()
    assert "system-packages.txt" in script and 'apt-get install -y -qq "$@"' in script
    makefile = (ROOT / "Makefile").read_text()
    assert f"bash {SCRIPT}" in makefile and PACKAGE_LIST in makefile
    wanted = {
        line.strip()
        for line in (ROOT / PACKAGE_LIST).read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    }
    # The session needs the shared library (and libngspice.so from -dev), the code models and
    # spinit (package ngspice): docs/notes on ngspice 39.
    assert {"ngspice", "libngspice0", "libngspice0-dev"} <= wanted


def test_every_package_is_listed_and_copied(steps, pyproject):
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    # circuits/, analysis/ and netlists/ sit at the top of the tree and install as
    # coupled.<name> through the symbolic links coupled/<name>.
    linked = {p.name for p in (ROOT / "coupled").iterdir() if p.is_symlink()}
    assert linked == {"circuits", "analysis", "netlists"}
    for name in linked:
        assert (ROOT / "coupled" / name).resolve() == ROOT / name
    in_tree = {
        ".".join(("coupled", *parts) if parts[0] in linked else parts)
        for p in ROOT.glob("**/__init__.py")
        if not {".venv", "tests", "build", ".git"} & set(p.relative_to(ROOT).parts)
        for parts in [p.parent.relative_to(ROOT).parts]
    }
    assert in_tree <= listed, f"packages missing from pyproject: {sorted(in_tree - listed)}"
    copied = {dest.rstrip("/") for sources, dest in _copied(steps) for _ in sources}
    copied_sources = {s.rstrip("/") for sources, _ in _copied(steps) for s in sources}
    for top in sorted({name.split(".")[0] for name in listed} | linked):
        assert top in copied_sources and top in copied, f"Dockerfile does not copy {top}/"
    # What pip needs to build the package is copied before `pip install .`.
    assert {"pyproject.toml", "README.md"} <= copied_sources


def test_installs_the_package_then_runs_the_smoke_test(steps):
    runs = _runs(steps)
    install = next(i for i, r in enumerate(runs) if re.search(r"pip install .*\s\.(\s|$)", r))
    smoke = next(i for i, r in enumerate(runs) if "smoke_test()" in r)
    assert smoke >= install
    assert "from coupled.spice.network import smoke_test" in runs[smoke]
    # The smoke test runs as root at build time, before the image switches user.
    smoke_step = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "smoke_test" in a)
    user_step = next(i for i, (k, _) in enumerate(steps) if k == "USER")
    assert smoke_step < user_step


def test_non_root_user_entrypoint_results_volume(steps):
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    entry = [args for keyword, args in steps if keyword == "ENTRYPOINT"]
    assert len(entry) == 1 and json.loads(entry[0]) == ["coupled"]
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert re.search(r"\bMPLBACKEND=Agg\b", env)
    volumes = [args for keyword, args in steps if keyword == "VOLUME"]
    assert volumes and "/results" in volumes[-1]
    workdirs = [args for keyword, args in steps if keyword == "WORKDIR"]
    assert workdirs[-1] == "/results"
    # The results folder belongs to the user the image runs as.
    assert any("/results" in r and "chown" in r for r in _runs(steps))


def test_dask_ports_and_docs(steps):
    exposed = " ".join(args for keyword, args in steps if keyword == "EXPOSE").split()
    assert {"8786", "8787"} <= set(exposed)
    docs = (ROOT / "docs" / "docker.md").read_text()
    for needle in (
        "docker build",
        "-v ",
        ":/results",
        "--entrypoint dask",
        "scheduler",
        "worker",
        "--executor dask --scheduler",
    ):
        assert needle in docs, needle


def test_hadolint_passes():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (make setup installs it)")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for name in (".venv", ".git", "results", "**/__pycache__", ".hypothesis"):
        assert name in ignored, name


# -- the wheel the image installs --------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "src"
    # Build from a copy so the build leaves nothing (build/, egg-info) in the shared tree.
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "results",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*cache",
            ".hypothesis",
            ".benchmarks",
        ),
    )
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (built,) = folder.glob("coupled_learning_sim-*.whl")
    return built


def test_wheel_holds_the_data_files(wheel, pyproject):
    names = set(zipfile.ZipFile(wheel).namelist())
    libs = {f"coupled/netlists/{p.name}" for p in (ROOT / "netlists").glob("*.lib")}
    assert libs and libs <= names
    assert "coupled/data/jammed143.txt" in names
    for package in pyproject["tool"]["setuptools"]["packages"]:
        folder = package.replace(".", "/")
        if (ROOT / folder / "__init__.py").exists():  # coupled.data holds data files only
            assert folder + "/__init__.py" in names
        else:
            assert any(n.startswith(folder + "/") for n in names), folder
    # The distribution claims only the name `coupled` (no top-level `circuits` to clash with the
    # web framework of that name, nor `analysis` or `netlists`).
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"coupled"}, tops
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "coupled = coupled.cli.main:run" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_works_from_another_folder(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "OPENBLAS_NUM_THREADS": "1"}

    def coupled(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "coupled", *argv],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=180,
        )

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import coupled, coupled.netlists as netlists; print(coupled.__file__); "
            "print(netlists.__file__); print(coupled.__version__)",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=60,
    ).stdout.split()
    assert all(Path(p).is_relative_to(target) for p in where[:2]), where  # not the tree
    assert where[2] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = coupled(
        "solve", "jammed143", "--drive", "0=1", "--drive", "63=0", "--engine", "spice", "--json"
    )
    assert done.returncode == 0, done.stderr
    volts = json.loads(done.stdout)["node_voltages_v"]
    assert len(volts) == 64 and volts[0] == pytest.approx(1.0) and volts[63] == 0.0
    assert all(-1e-9 <= v <= 1 + 1e-9 for v in volts)  # maximum principle
    done = coupled("netlist", "--network", "experiment16", "--out", "board.cir")
    assert done.returncode == 0, done.stderr
    assert ".subckt" in (work / "board.cir").read_text().lower()
    smoke = subprocess.run(
        [
            sys.executable,
            "-c",
            "from coupled.spice.network import smoke_test; smoke_test(); print('ok')",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=120,
    )
    assert smoke.stdout.strip() == "ok", smoke.stderr


def test_wheel_in_a_fresh_virtual_environment(wheel, tmp_path):
    """The wheel alone, in a new virtual environment outside the checkout, runs the board.

    The environment starts without pip or packages; the project's dependencies come from the
    interpreter running the tests through a ``.pth`` line (no network), the wheel is installed
    with ``--no-deps``, and its ``coupled`` script runs from a folder outside the checkout.
    """
    venv = tmp_path / "venv"
    done = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(
        subprocess.run([python, "-c", purelib], capture_output=True, text=True).stdout.strip()
    )
    deps = subprocess.run([sys.executable, "-c", purelib], capture_output=True, text=True)
    (site / "project-dependencies.pth").write_text(deps.stdout)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
        + ["--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["OPENBLAS_NUM_THREADS"] = "1"

    def run(*argv: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(a) for a in argv], capture_output=True, text=True, cwd=work, env=env, timeout=300
        )

    where = run(python, "-c", "import coupled.netlists as n; print(n.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    assert not Path(where.stdout.strip()).resolve().is_relative_to(ROOT)
    coupled = venv / "bin" / "coupled"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = run(coupled, "--version")
    assert done.returncode == 0, done.stderr
    assert f"coupled {version}" in done.stdout
    done = run(coupled, "netlist", "--network", "experiment16", "--out", "board.cir")
    assert done.returncode == 0, done.stderr
    text = (work / "board.cir").read_text().lower()
    assert text.count(".subckt ") >= 5 and "xpotf_15" in text  # the shipped .lib files, inlined
    done = run(
        coupled,
        *("train", "--network", "experiment16", "--engine", "circuit", "--rule", "discrete"),
        *("--steps", "2", "--p", "1", "--log-every", "1", "--no-plot", "--out", "run"),
    )
    assert done.returncode == 0, done.stderr
    record = json.loads((work / "run" / "run.json").read_text())
    assert record["engine"] == "circuit" and record["version"] == version
    assert record["updated_share"] == 1.0  # p = 1: every edge's enable fired every step
    assert len((work / "run" / "history.csv").read_text().splitlines()) == 1 + 3
