"""The whole-process floor of ``tagwire ingest``: a fresh Python process that imports and runs
only what a worker cannot skip, page extraction (trafilatura, through ``extract_page``
after ``decode_body``) and spaCy NER (``find_mentions``), over the benchmark's pages read
from disk, in a spawn pool of as many processes as ingest uses (the model loaded by the
pool's initializer). No HTTP, feeds, dedup, stories, categories or store.

``bench/ingest.py`` runs it as a subprocess next to ``tagwire ingest`` and compares the
two wall clocks and CPU times. Run alone::

    python -m bench.ingest_floor --workers 2 [--pages N] [--data FOLDER]

It prints one line: ``pages mentions``. Started with ``python -c`` (see ``command``), so
its spawn workers import no ``__main__`` script: only the modules their task needs.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.metrics import AebPage

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "article-extraction-aeb"
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def page_title(page: AebPage) -> str:
    """A page's <title> (what the benchmark's feeds give as the item's title)."""
    match = _TITLE.search(page.html[:200_000])
    if match:
        title = " ".join(html.unescape(match.group(1).decode("utf-8", "replace")).split())
        if title:
            return title[:300]
    return " ".join(page.gold.split()[:12])


def command(python: str, data: Path, pages: int, workers: int) -> list[str]:
    """The argv of a floor process (``python -c``: no script for spawn to import again)."""
    code = "import sys; from bench.ingest_floor import main; sys.exit(main(sys.argv[1:]))"
    return [
        python,
        "-c",
        code,
        "--data",
        str(data),
        "--pages",
        str(pages),
        "--workers",
        str(workers),
    ]


def _init() -> None:
    from tagwire.entities.ner import load_model

    load_model()


def _one(url: str, body: bytes, title: str) -> int:
    from tagwire.entities.ner import find_mentions
    from tagwire.errors import ExtractError
    from tagwire.extract import extract_page
    from tagwire.fetch.client import decode_body

    try:
        extracted = extract_page(decode_body(body, "utf-8"), url)
    except ExtractError:
        return 0
    mentions = find_mentions(
        title, extracted.text, author=extracted.author, language=extracted.language
    )
    return len(mentions)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--pages", type=int, default=0, help="the first N pages (0: all)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.metrics import aeb_pages

    pages = list(aeb_pages(args.data))
    if args.pages:
        pages = pages[: args.pages]
    urls = [f"http://127.0.0.1/p/{p.id}.html" for p in pages]
    bodies = [p.html for p in pages]
    titles = [page_title(p) for p in pages]
    with ProcessPoolExecutor(
        args.workers, mp_context=get_context("spawn"), initializer=_init
    ) as pool:
        mentions = sum(pool.map(_one, urls, bodies, titles))
    print(len(pages), mentions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
