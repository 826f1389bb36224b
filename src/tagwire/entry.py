"""The ``tagwire`` console script's entry point ([project.scripts] in pyproject.toml).

The command-line interface (``tagwire.cli``: the service, the store, SQLAlchemy...) is
imported when the command runs, not when this module is. What runs the script again only
to import it pays for nothing: multiprocessing's spawn starts each analysis worker of
``tagwire ingest`` by running the parent's main script as ``__mp_main__`` (its
``if __name__ == "__main__"`` block skipped), which used to cost every worker 0.3 s of CPU
and 17 MB for modules it never uses (tests/test_entry.py).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from tagwire.cli import main as cli_main

    return cli_main(argv)
