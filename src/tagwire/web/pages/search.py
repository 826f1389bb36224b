"""The search page: the API's filters as a form, its results grouped by story with the
matching words marked, and a bad query said in the reader's words.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from tagwire.categories.taxonomy import LABELS
from tagwire.errors import BadRequest, NotFound
from tagwire.search import SearchQuery, parse_query
from tagwire.service import article_queries
from tagwire.web import i18n
from tagwire.web.pages.rendering import group_by_story, render, store_of

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


SEARCH_FIELDS = ("q", "tag", "category", "edition", "from", "to", "order")


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, cursor: str | None = None) -> Response:
    """The form (words, tag, category, edition, dates, order: the API's filters) and its
    results grouped by story like a tag page, the matching words marked in a snippet; a
    bad query or filter is said on the page in the reader's words, with the API's status."""
    given = {name: request.query_params.get(name) or "" for name in SEARCH_FIELDS}
    context: dict[str, Any] = {
        "form": given,
        "editions": article_queries.editions_json(),
        "categories": LABELS,
        "groups": [],
        "snippets": {},
        "more": None,
        "problem": None,
    }
    status = 200
    if given["q"]:
        try:
            page, _ = article_queries.search(
                store_of(request),
                given["q"],
                tag=given["tag"].strip().lstrip("#") or None,
                category=given["category"] or None,
                edition=given["edition"] or None,
                since=given["from"] or None,
                until=given["to"] or None,
                order=given["order"] or None,
                cursor=cursor,
            )
            marker = _matcher(parse_query(given["q"]))
            context.update(
                groups=group_by_story(page.items),
                snippets={c.id: snippet(c.summary, marker) for c in page.items},
            )
            if page.next_cursor:
                kept = [(k, v) for k, v in given.items() if v]
                context["more"] = "/search?" + urlencode([*kept, ("cursor", page.next_cursor)])
        except (BadRequest, NotFound) as exc:
            context["problem"] = reader_problem(exc, given)
            status = 400 if isinstance(exc, BadRequest) else 404
    return render(request, "search.html", context, status_code=status)


_FIELD_NAMES = {"from": i18n.N_("From"), "to": i18n.N_("To")}
_LIST_NAMES = {
    "category": i18n.N_("Choose the category from its list."),
    "edition": i18n.N_("Choose the edition from its list."),
    "order": i18n.N_("Choose the order from its list."),
}
# The query parser's complaints (search.parse_query, "q: ..."), by how they begin, said in
# the reader's language; %(n)s is the limit the complaint names.
_QUERY_PROBLEMS = {
    "type something": i18n.N_("Type something to search for."),
    "a search is at most": i18n.N_("This search cannot run: a search is at most %(n)s characters."),
    "no word to look for": i18n.N_(
        "This search cannot run: no word to look for (only excluded words or punctuation)."
    ),
    "a search has at most": i18n.N_(
        "This search cannot run: a search has at most %(n)s words and phrases."
    ),
}


def reader_problem(exc: BadRequest | NotFound, given: dict[str, str]) -> str:
    """What was wrong, said to the reader of the page in the page's language (the API's
    messages name parameters: "q: ...", "from must be a date ...")."""
    if isinstance(exc, NotFound):
        if exc.what == "tag":
            tag = given["tag"].strip().lstrip("#")
            return _("No tag #%(tag)s is known: check its spelling, or leave Tag empty.") % {
                "tag": tag
            }
        return _("Nothing is known as “%(key)s”.") % {"key": exc.key}
    text = str(exc)
    if text.startswith("q: "):
        words = text[3:]
        for known, message in _QUERY_PROBLEMS.items():
            if words.startswith(known):
                limit = re.search(r"\d+", words)
                return _(message) % {"n": i18n.number(int(limit.group())) if limit else ""}
        return _("This search cannot run: %(why)s.") % {"why": words}
    for name, label in _FIELD_NAMES.items():
        if text.startswith(f"{name} must be a date"):
            return _(
                "%(field)s: “%(value)s” is not a date. Write a day as YYYY-MM-DD "
                "(2026-11-27), or a time in ISO 8601."
            ) % {"field": _(label), "value": given[name]}
        if text.startswith(f"{name} must fall between"):
            return _("%(field)s: “%(value)s” is outside the calendar tagwire can search.") % {
                "field": _(label),
                "value": given[name],
            }
    for name, message in _LIST_NAMES.items():
        if text.startswith(f"{name} must"):
            return _(message)
    return _("These results cannot be continued (the link is out of date): search again.")


def _matcher(query: SearchQuery) -> re.Pattern[str] | None:
    """The words a query looks for, each matched at the start of a word (the index finds
    "ships" for "ship"), the longest first."""
    words = {w for group in query.groups for term in group for w in term.words}
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


SNIPPET_CHARS = 240


def snippet(text: str, marker: re.Pattern[str] | None) -> Markup | None:
    """A piece of ``text`` around its first match, the matching words in <mark> (escaped
    text otherwise); None when nothing in it matches (the match was in the article's
    body: the card shows its summary as usual)."""
    first = marker.search(text) if marker is not None else None
    if marker is None or first is None:
        return None
    start = 0
    if first.start() > SNIPPET_CHARS // 3:
        cut = text.rfind(" ", 0, first.start() - SNIPPET_CHARS // 4)
        start = cut + 1 if cut >= 0 else first.start()
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    piece = text[start:end]
    marked = Markup("")
    last = 0
    for found in marker.finditer(piece):
        marked += escape(piece[last : found.start()]) + Markup("<mark>%s</mark>") % found.group()
        last = found.end()
    marked += escape(piece[last:])
    return (
        (Markup("… ") if start else Markup(""))
        + marked
        + (Markup(" …") if end < len(text) else Markup(""))
    )
