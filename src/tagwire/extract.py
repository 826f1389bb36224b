"""Article page -> clean text and metadata (trafilatura), then our clean-up of the lines
extraction leaves behind (``tagwire.cleanup``: ad labels, photo credits, newsletter pitches,
"related"/"see also" links, each rule measured on two evaluation sets).

The text is never worse than the library's own: trafilatura runs as it would alone
(``include_comments=False``, its default precision and tables), on the whole page (cutting
"furniture" containers out of the tree before extraction measured no gain on news pages and
cost real paragraphs elsewhere, so it is done for feed fragments only), and when the
clean-up leaves no text, or far less than the library found, the library's text is kept.
Three passes over the tree go first, each for a kind of page the library reads wrong
(``TREE_PASSES``: hidden elements, a body split by ad rows, layout tables). None can leave
the library without text: only hidden elements are removed, never one holding half of what
a reader could see, and trafilatura's own fallback reads whatever visible text remains.

The page is parsed once with lxml; its own metadata (Open Graph, ``article:*``, JSON-LD,
``<link rel=canonical>``) is read first, because trafilatura's date is day-precise only and
it does not report the canonical URL or sections; then the same tree goes to trafilatura.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.metadata import extract_metadata

from tagwire.cleanup import Removal, clean_lines, clean_lines_traced
from tagwire.errors import ExtractError
from tagwire.feeds import parse_datetime
from tagwire.language import detect_language
from tagwire.types import Extracted

# Containers that are never the article, whatever the extractor thinks of them: a whole
# class/id token must match (loose matching removed article bodies on 4 of 138 real pages:
# "non-ad-column", "ad_body"), and only small containers go (an ad slot or a newsletter box
# is short; a long one is probably a wrapper with an unlucky name).
_FURNITURE_TOKEN = re.compile(
    r"^(ad|ads|ad-?slot|ad-?unit|ad-?container|ad-?wrapper|advert|advertisement|"
    r"newsletter|newsletter-(box|signup|promo|form)|related|related-(stories|articles|links|"
    r"content|posts)|cookie-?(banner|consent|notice)|promo|subscribe|share|share-(buttons|"
    r"tools|bar)|social-(share|links|buttons)|photo-credit|credit)$",
    re.IGNORECASE,
)
_FURNITURE_TAGS = ("figcaption",)
_NEVER_PRUNED = ("html", "body", "main", "article")
_FURNITURE_MAX_CHARS = 1500

MIN_WORDS = 8  # a cleaned text shorter than this is a menu or a caption: the library's wins
# The clean-up removes single furniture lines; when it takes away more than half of what the
# library found, a rule has misfired on a page it was not written for, and the library's
# text is kept. Tuned on the "tune" half of both sets (bench/extraction.py): no value from
# 0.3 to 0.9 changed a score there, so it is a safety net, set where a misfire is obvious.
FALLBACK_SHARE = 0.5
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td")


@dataclass(frozen=True)
class Trace:
    """What happened to one page's text, for the benchmark's attribution of each line."""

    library: str  # trafilatura's own text of the page
    title: str | None
    language: str | None  # detected; the clean-up's language-specific rules follow it
    removed: tuple[Removal, ...]
    fell_back: bool  # the library's text was kept instead of the cleaned one
    passes: tuple[str, ...] = ()  # the tree passes (TREE_PASSES) that changed this page


def extract_page(
    html: str | bytes,
    url: str,
    fast: bool = False,
    on_trace: Callable[[Trace], None] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Extracted:
    """Clean text and metadata of an article page; :class:`ExtractError` if it has no text.

    ``fast`` skips trafilatura's fallback extractors: 1.5x faster, but it lost 0.8 points of
    recall on trafilatura's varied evaluation pages (docs/quality.md), so it is off. ``skip``
    names tree passes not to run (the benchmark measures each by switching it off).
    """
    tree = _parse(html, url)
    meta = _page_metadata(tree, url)
    doc: dict[str, Any] = {}
    if not all(meta.get(k) for k in ("title", "published", "author", "site_name")):
        # trafilatura's own metadata search (htmldate and friends) is a third of the
        # extraction time; most news pages say it all in their meta tags, so it runs only
        # for pages that do not.
        doc = extract_metadata(tree, default_url=url).as_dict()
    fired = tuple(name for name, run in TREE_PASSES if name not in skip and run(tree))
    library = _library_text(tree, url, fast)
    title = meta.get("title") or doc.get("title")
    declared = meta.get("language") or doc.get("language") or None
    language = detect_language(title or "", library, declared)
    text = choose_text(library, title, language)
    if on_trace is not None:
        cleaned, removed = clean_lines_traced(library, title, language)
        on_trace(Trace(library, title, language, tuple(removed), text != cleaned, fired))
    if not text:
        raise ExtractError(url, "no article text found on the page")
    published = meta.get("published") or parse_datetime(str(doc.get("date") or ""))
    found = doc.get("categories") or []  # a list in trafilatura 2, a ";" string before
    if isinstance(found, str):
        found = found.split(";")
    categories = tuple(
        dict.fromkeys([*meta.get("sections", ()), *(str(c).strip() for c in found if c)])
    )
    return Extracted(
        text=text,
        title=meta.get("title") or doc.get("title") or None,
        author=meta.get("author") or doc.get("author") or None,
        published_at=published,
        site_name=meta.get("site_name") or doc.get("sitename") or None,
        image=meta.get("image") or doc.get("image") or None,
        canonical_url=meta.get("canonical"),
        categories=categories,
        language=declared,
    )


def _library_text(tree: lxml.html.HtmlElement, url: str, fast: bool) -> str:
    """trafilatura's text of the page, as the library alone would give it."""
    result = trafilatura.bare_extraction(
        tree, url=url, fast=fast, include_comments=False, include_tables=True
    )
    if result is None:
        return ""
    body = result if isinstance(result, dict) else result.as_dict()
    return str(body.get("text") or "")


def choose_text(
    library: str,
    title: str | None,
    language: str | None,
    disabled: frozenset[str] = frozenset(),
    fallback_share: float | None = None,
) -> str:
    """The cleaned text, unless the clean-up left too little of the library's: then the
    library's own text. Empty only when the library itself found less than MIN_WORDS words
    (a menu, not an article: ingest then keeps the feed's text); no page of either
    evaluation set is such a page."""
    if len(library.split()) < MIN_WORDS:
        return ""
    cleaned = clean_lines(library, title, language, disabled)
    share = FALLBACK_SHARE if fallback_share is None else fallback_share
    cleaned_words = len(cleaned.split())
    if cleaned_words >= MIN_WORDS and cleaned_words >= share * len(library.split()):
        return cleaned
    return _tidy(library)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def fragment_text(fragment: str) -> str:
    """Clean text of an HTML fragment that a feed carries (``content:encoded``)."""
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return clean_lines(fragment)
    prune_furniture(root)
    for node in list(root.iter("script", "style")):
        node.drop_tree()
    blocks = [_text(el) for el in root.iter(*_BLOCKS) if not _has_block_ancestor(el, root)]
    text = "\n".join(b for b in blocks if b) if blocks else _text(root)
    return clean_lines(text)


# C0 control characters other than tab and line breaks: not allowed in XML text, and lxml
# raises when trafilatura copies them into a tree (found by tests/test_fuzz.py).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _parse(html: str | bytes, url: str) -> lxml.html.HtmlElement:
    try:
        if isinstance(html, str):
            # lxml refuses str input that carries an encoding declaration
            html = html.encode("utf-8", errors="replace")
        html = _CONTROL.sub(b"", html)
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        tree = lxml.html.document_fromstring(html, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(url, f"cannot parse the page as HTML: {exc}") from exc
    return tree


def _page_metadata(tree: lxml.html.HtmlElement, url: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    props: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        value = (node.get("content") or "").strip()
        if key and value and key not in props:
            props[key] = value
    meta["title"] = props.get("og:title") or props.get("twitter:title")
    meta["site_name"] = props.get("og:site_name") or props.get("application-name")
    meta["image"] = _absolute(url, props.get("og:image") or props.get("twitter:image"))
    meta["author"] = props.get("author") or props.get("article:author")
    if meta["author"] and meta["author"].startswith(("http://", "https://")):
        meta["author"] = None
    # The first plausible date of those the page gives: parse_datetime takes 0001-01-01
    # (a placeholder of some site software) for no date, and the next one is tried.
    keys = ("article:published_time", "datepublished", "pubdate", "publishdate", "date")
    meta["published"] = next(filter(None, (parse_datetime(props.get(k)) for k in keys)), None)
    sections = [props[k] for k in ("article:section", "section") if k in props]
    for data in _json_ld(tree):
        meta["published"] = meta["published"] or parse_datetime(data.get("datePublished"))
        section = data.get("articleSection")
        sections.extend(
            [section]
            if isinstance(section, str)
            else [s for s in section or [] if isinstance(s, str)]
        )
        if not meta["author"]:
            meta["author"] = _ld_author(data.get("author"))
    if meta["published"] is None:
        for node in tree.iter("time"):
            meta["published"] = parse_datetime(node.get("datetime"))
            if meta["published"]:
                break
    meta["sections"] = tuple(dict.fromkeys(s.strip() for s in sections if s.strip()))
    for node in tree.iter("link"):
        if "canonical" in (node.get("rel") or "").lower().split() and node.get("href"):
            meta["canonical"] = _absolute(url, node.get("href"))
            break
    lang = (tree.get("lang") or "").strip()
    meta["language"] = lang.split("-")[0].lower() if lang else None
    return meta


def _json_ld(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    for node in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(node.text or "")
        except (json.JSONDecodeError, TypeError):
            continue
        yield from _ld_objects(data)


def _ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item)
    elif isinstance(data, dict):
        kind = data.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
            yield data
        yield from _ld_objects(data.get("@graph"))


def _ld_author(value: Any) -> str | None:
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and item.strip():
            return item.strip()
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            return str(item["name"]).strip()
    return None


def _absolute(base: str, value: str | None) -> str | None:
    return urljoin(base, value.strip()) if value and value.strip() else None


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _has_block_ancestor(element: lxml.html.HtmlElement, root: lxml.html.HtmlElement) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not root:
        if parent.tag in _BLOCKS:
            return True
        parent = parent.getparent()
    return False


# Elements a browser does not show: schema.org metadata blocks with the whole article, its
# title and image addresses again (``<div style="display:none" itemscope>``), hover cards,
# templates. trafilatura keeps their text.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _visible_chars(element: lxml.html.HtmlElement) -> int:
    """Characters of text outside scripts and styles (a page's inline JSON state can be
    larger than its article)."""
    scripts = sum(len(node.text_content()) for node in element.iter("script", "style"))
    return len(element.text_content()) - scripts


def prune_hidden(root: lxml.html.HtmlElement) -> int:
    """Remove the elements the page hides, in place; one that holds half the page's text or
    more is kept (some pages hide their whole body until a script has run). Returns how
    many went."""
    # asking lxml for the elements with a style or the attribute, then reading the style
    # here, is several times faster than an XPath test of every element's style
    hidden = [
        element
        for element in root.xpath(".//*[@hidden or @style]")
        if element.get("hidden") is not None or _HIDDEN_STYLE.search(element.get("style") or "")
    ]
    if not hidden:
        return 0
    total = _visible_chars(root) or 1
    dropped: set[lxml.html.HtmlElement] = set()
    for element in hidden:  # in document order: an element before what it contains
        if element.tag in ("html", "body") or element.getparent() is None:
            continue
        if any(ancestor in dropped for ancestor in element.iterancestors()):
            continue  # gone with a hidden ancestor already
        if _visible_chars(element) * 2 < total:
            element.drop_tree()
            dropped.add(element)
    return len(dropped)


# An article body cut into chunks by full-width ad rows: containers of the same tag and
# class, each holding paragraphs, with only ad rows between them (a few words at most, no
# heading: sections under their own headings, comments and teasers are not one body).
# trafilatura takes the first chunk for the article and loses the rest.
_CHUNK_MIN_PARAGRAPHS = 2
_BETWEEN_CHUNKS_MAX_WORDS = 3  # an ad row's label: "Advertisement"
_CHUNK_LEVELS = 3  # how far up two chunks' containers may be before they are siblings


def join_split_bodies(root: lxml.html.HtmlElement) -> int:
    """Move every later chunk's content into the first chunk, in place; returns how many
    chunks were moved."""
    groups: dict[tuple[str, str], list[lxml.html.HtmlElement]] = {}
    for element in root.xpath(".//*[@class][p]"):
        if len(element.findall("p")) >= _CHUNK_MIN_PARAGRAPHS:
            groups.setdefault((element.tag, element.get("class") or ""), []).append(element)
    moved = 0
    for chunks in groups.values():
        first = chunks[0]
        for chunk in chunks[1:]:
            if _adjacent(first, chunk):
                for child in list(chunk):
                    first.append(child)
                moved += 1
    return moved


def _adjacent(a: lxml.html.HtmlElement, b: lxml.html.HtmlElement) -> bool:
    """b follows a, their containers (up to _CHUNK_LEVELS up) are siblings, and only short
    blocks stand between them."""
    up_a, up_b = a, b
    for _ in range(_CHUNK_LEVELS):
        parent = up_a.getparent()
        if parent is None or up_b.getparent() is None:
            return False
        if parent is up_b.getparent():
            between = []
            sibling = up_a.getnext()
            while sibling is not None and sibling is not up_b:
                between.append(sibling)
                sibling = sibling.getnext()
            if sibling is None or not between:
                return False
            words = sum(len(el.text_content().split()) for el in between)
            headed = any(el.xpath("self::h1|self::h2|self::h3|.//h1|.//h2|.//h3") for el in between)
            return words <= _BETWEEN_CHUNKS_MAX_WORDS and not headed
        up_a, up_b = parent, up_b.getparent()
    return False


# A table used for the page's layout, not for data: one of its cells holds several
# paragraphs (a data table's cell holds a value, or a sentence or two). trafilatura flattens
# a table's cell into one line, so a layout table gives the article and the sidebar beside
# it as one line no clean-up can split; as plain blocks, the library's own boilerplate
# detection sees them apart.
_LAYOUT_CELL_PARAGRAPHS = 3
_OWN_CELLS = "./tr/td | ./tr/th | ./*/tr/td | ./*/tr/th"
_OWN_PARTS = "./tr | ./*/tr | ./thead | ./tbody | ./tfoot"


def unwrap_layout_tables(root: lxml.html.HtmlElement) -> int:
    """Turn layout tables into plain <div> blocks, in place (a data table inside one stays
    a table); returns how many."""
    layout = [
        table
        for table in root.iter("table")
        if any(
            len(cell.xpath(".//p")) >= _LAYOUT_CELL_PARAGRAPHS for cell in table.xpath(_OWN_CELLS)
        )
    ]
    for table in layout:
        for element in [*table.xpath(_OWN_CELLS), *table.xpath(_OWN_PARTS), table]:
            element.tag = "div"
    return len(layout)


# What is done to the page's tree before trafilatura sees it, in this order, each measured on
# both evaluation sets by switching it off (bench/extraction.py, docs/quality.md).
TREE_PASSES: tuple[tuple[str, Callable[[lxml.html.HtmlElement], int]], ...] = (
    ("hidden", prune_hidden),
    ("split-body", join_split_bodies),
    ("layout-table", unwrap_layout_tables),
)


def prune_furniture(root: lxml.html.HtmlElement) -> None:
    """Remove ad slots, newsletter boxes, related lists, captions and the like, in place.

    A container holding more than half of the page's text is kept whatever its class says
    (sites put "has-social-tools" on <body> and wrap whole pages in a <form>).
    """
    total = len(root.text_content()) or 1
    doomed = []
    # Only elements with a class or id can match; asking lxml for just those is several
    # times faster than walking every element of a large page.
    for element in root.xpath(".//*[@class or @id] | .//figcaption"):
        if element.tag in _NEVER_PRUNED:
            continue
        tokens = f"{element.get('class') or ''} {element.get('id') or ''}".split()
        if element.tag in _FURNITURE_TAGS or any(_FURNITURE_TOKEN.search(t) for t in tokens):
            doomed.append(element)
    for element in doomed:
        size = len(element.text_content())
        if element.getparent() is not None and size < _FURNITURE_MAX_CHARS and size * 2 < total:
            element.drop_tree()
