"""The package's layer contract (pyproject ``[tool.importlinter]``) holds, and the check bites.

``lint-imports`` runs in ``make lint``; these tests also run it on the project and on a scratch
package with an injected cycle and an injected upward import, which it must refuse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(LINT is None, reason="import-linter is a test extra")


def _lint(cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run(
        [LINT, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_project_keeps_every_contract():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def _scratch(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "scratch"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(text))
    (tmp_path / "setup.cfg").write_text(
        textwrap.dedent(
            """
            [importlinter]
            root_package = scratch

            [importlinter:contract:layers]
            name = layers
            type = layers
            layers =
                scratch.top
                scratch.low

            [importlinter:contract:cycles]
            name = cycles
            type = acyclic_siblings
            ancestors = scratch
            """
        )
    )
    return tmp_path


def test_an_injected_cycle_is_refused(tmp_path):
    root = _scratch(
        tmp_path,
        {
            "top": "import scratch.low\n",
            "low": "",
            "left": "import scratch.right\n",
            "right": "import scratch.left\n",
        },
    )
    done = _lint(root, extra_path=root)
    assert done.returncode != 0
    assert "cycles BROKEN" in done.stdout
    assert "layers KEPT" in done.stdout


def test_an_upward_import_is_refused(tmp_path):
    root = _scratch(tmp_path, {"top": "", "low": "import scratch.top\n"})
    done = _lint(root, extra_path=root)
    assert done.returncode != 0
    assert "layers BROKEN" in done.stdout
    assert "scratch.low -> scratch.top" in done.stdout
