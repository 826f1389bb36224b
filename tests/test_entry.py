"""What an analysis worker of ``tagwire ingest`` imports: what it uses, not the CLI.

multiprocessing's spawn starts each worker by running the parent's main script again as
``__mp_main__`` (its ``if __name__ == "__main__"`` block skipped): for ``tagwire ingest``
that is the console script, whose imports every worker paid for. The script imports
``tagwire.entry``, which imports ``tagwire.cli`` (the service, the store, SQLAlchemy) only
when the command runs. The worker computes no text hash nor fingerprint either (the main
process does, ``Pipeline.store_article``), so it never loads numba.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_IN_A_WORKER = ("tagwire.cli", "tagwire.service", "tagwire.store", "sqlalchemy", "numba")


def _configured_entry_point() -> str:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entry: str = scripts["project"]["scripts"]["tagwire"]
    return entry


def test_the_console_script_imports_only_its_entry_module() -> None:
    assert _configured_entry_point() == "tagwire.entry:main"


def test_the_installed_script_is_the_configured_one() -> None:
    """A stale install (pyproject.toml changed, ``make venv`` not run) shows here."""
    (installed,) = importlib.metadata.entry_points(group="console_scripts", name="tagwire")
    assert installed.value == _configured_entry_point()


# What a spawned worker runs: the console script as __mp_main__ (pip writes it so: import the
# entry point's function, call it under the main guard), then the pool's initializer and the
# function it was sent, unpickled by name.
WORKER = """
import runpy
import sys

runpy.run_path(sys.argv[1], run_name="__mp_main__")
from tagwire.ingest.analyse import PageBody, analyse, warm_up
from tagwire.types import FeedItem

warm_up()
body = sys.argv[2].encode()
item = FeedItem(url="https://news.example/a", title="")
result = analyse(item, PageBody(item.url, body, "utf-8"), None)
assert result.mentions, result
print(" ".join(m for m in sys.argv[3:] if m in sys.modules))
"""

PAGE = (
    "<html><head><title>Talks in Geneva</title></head><body><article><h1>Talks in Geneva"
    "</h1>"
    + "".join(
        f"<p>Angela Merkel met Emmanuel Macron in Geneva on Tuesday, paragraph {n}, to talk "
        "about trade between Germany and France, the European Commission said.</p>"
        for n in range(12)
    )
    + "</article></body></html>"
)


def test_a_spawned_worker_imports_neither_the_cli_nor_the_store_nor_numba(
    tmp_path: Path,
) -> None:
    module, _, function = _configured_entry_point().partition(":")
    script = tmp_path / "tagwire"
    script.write_text(
        f"import sys\nfrom {module} import {function}\n"
        f"if __name__ == '__main__':\n    sys.exit({function}())\n",
        encoding="utf-8",
    )
    argv = [sys.executable, "-c", WORKER, str(script), PAGE, *NOT_IN_A_WORKER]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == []


def test_the_entry_point_runs_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from tagwire.entry import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("tagwire ")
