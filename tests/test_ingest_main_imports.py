"""What the main process of ``tagwire ingest`` imports: extraction is the workers' job."""

from __future__ import annotations

import subprocess
import sys


def test_the_pipeline_does_not_import_extraction_into_the_main_process() -> None:
    code = (
        "import sys, tagwire.ingest.pipeline; "
        "print(sorted(m for m in ('trafilatura', 'tagwire.extract') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert found.stdout.strip() == "[]"


def test_analysing_a_page_still_extracts_it() -> None:
    from tagwire.ingest.analyse import PageBody, analyse
    from tagwire.types import FeedItem

    words = " ".join(f"word{i}" for i in range(200))
    body = f"<html><body><article><h1>A title</h1><p>{words}.</p></article></body></html>"
    item = FeedItem(url="https://example.org/a", title="A title")
    page = PageBody(url="https://example.org/a", body=body.encode(), charset="utf-8")
    analysis = analyse(item, page, "en", run_ner=False)
    assert analysis.extraction == "page" and "word150" in analysis.text
