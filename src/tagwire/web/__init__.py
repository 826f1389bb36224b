"""The web front end: HTML pages, the JSON API under /api/v1, Atom feeds (FastAPI)."""
