"""Backfill: an archive of articles brought into the store in bulk, each article folded
into its near-duplicates and grouped into its story exactly as ingest does it.

Ingest writes one article per transaction and finds near-duplicates and stories through the
store's key tables, so that any number of workers share them (~10 ms an article, most of it
in the store). An archive (an export, a crawl, another aggregator's dump) is a different
job: one writer, millions of articles, in time order. Here the windowed indexes live in
this process's memory, built for it (the LSH keys of the last ``dedup window`` in sorted
numpy segments, the story keys of the last story window in per-segment dicts, both dropped
whole as the archive's clock moves past them, so memory stays flat however long the
archive), exact URL and text matches go to the store for all history (one query per batch),
and the rows are written in batches of ``batch`` articles, one transaction each, by a
process of their own while the next batch is decided (``Backfill.run``). The decisions are
the ingest's own functions (``dedup.near.best_match_packed``, ``stories.group.choose_story``
and ``choose_merge`` on a ``stories.table.StoryTable`` kept for the window,
``grow``/``start``, ``dedup.exact.new_copy_survives``); the pure work (hashes, MinHash, term
and meaning vectors) runs in worker processes.

Run it while no ingest writes to the same store: the in-memory indexes do not see articles
another process writes meanwhile (they would be missed as duplicates, never corrupt the
store). Webhooks are not called for archived articles: they announce news as it arrives.
The key tables are written only for articles recent enough to be candidates for ingest
after the import (within the windows of now); the near-duplicate keys at the import's end,
in key order, from the stored fingerprints (``complete_near_keys``: an ingest running
beside an import meets the imported articles as near-duplicates only after it).

The package, in the order of the flow: ``archive`` (the JSON-lines format, read and
written), ``prepare`` (the pure work per article, in worker processes), ``near_index`` and
``story_index`` (the windows in memory), ``run`` (the orchestrator: ``Backfill``), ``batches``
(what passes between the decisions and the store process), ``store_side`` (that process),
``bulk`` (its rows for ``store.bulk``, the SQL), ``processes`` (niceness and garbage
collection of the helpers).

"""

from __future__ import annotations

from tagwire.backfill.archive import (
    ArchiveError,
    Line,
    Record,
    export_archive,
    parse_record,
    read_lines,
)
from tagwire.backfill.bulk import complete_near_keys, insert_columns, insert_many, reserve_ids
from tagwire.backfill.near_index import NearDupIndex
from tagwire.backfill.prepare import Prepared, prepare, process_pool
from tagwire.backfill.processes import (
    FULL_COLLECTION,
    STORE_NICENESS,
    WORKER_NICENESS,
    _collected_by_batch,
)
from tagwire.backfill.run import BATCH, Backfill, Report, run_file
from tagwire.backfill.store_side import _StoreSide
from tagwire.backfill.story_index import StoryIndex, most_shared

__all__ = [
    "BATCH",
    "FULL_COLLECTION",
    "STORE_NICENESS",
    "WORKER_NICENESS",
    "ArchiveError",
    "Backfill",
    "Line",
    "NearDupIndex",
    "Prepared",
    "Record",
    "Report",
    "StoryIndex",
    "_StoreSide",
    "_collected_by_batch",
    "complete_near_keys",
    "export_archive",
    "insert_columns",
    "insert_many",
    "most_shared",
    "parse_record",
    "prepare",
    "process_pool",
    "read_lines",
    "reserve_ids",
    "run_file",
]
