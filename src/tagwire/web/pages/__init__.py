"""Server-rendered HTML pages (Jinja2, autoescaped), one module per kind of page: ``news``
(the lists), ``search``, ``story``, ``articles``, ``feeds`` (Atom), ``docs`` (Swagger UI);
``rendering`` is what they share. ``router`` serves them all.
"""

from __future__ import annotations

from fastapi import APIRouter

from tagwire.web.pages import articles, docs, feeds, news, search, story

router = APIRouter(include_in_schema=False)
# The feeds first: a page's path (/tags/{tag}) would otherwise take its feed's
# (/tags/x.atom), routes being tried in the order they were added.
for _kind in (feeds, news, search, story, articles, docs):
    router.include_router(_kind.router)
