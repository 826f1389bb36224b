"""Where ingest work runs: in-process (``scheduler``) by default."""
