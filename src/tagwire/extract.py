"""Article page -> clean text and metadata (trafilatura), then our clean-up of what
extraction leaves behind: ad-slot lines, photo credits, newsletter boxes, "related" lists,
bylines in the body.

The page is parsed once with lxml; its own metadata (Open Graph, ``article:*``, JSON-LD,
``<link rel=canonical>``) is read first, because trafilatura's date is day-precise only and
it does not report the canonical URL or sections; then the same tree goes to trafilatura.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.metadata import extract_metadata

from tagwire.errors import ExtractError
from tagwire.feeds import parse_datetime
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

_AD_LINE = re.compile(
    r"^\W*(advertisement|advertisements|advert|ad|ads|sponsored( content)?|paid content|"
    r"scroll to continue( with content)?|story continues below( advertisement)?|"
    r"article continues below( this advertisement)?|continue reading( below)?|"
    r"skip advert(isement)?)\W*$",
    re.IGNORECASE,
)
_CREDIT_LINE = re.compile(
    r"^\W*(photo|photograph|image|picture|credit|video|file photo|caption)s?\s*[:/]"
    r"|^\(?\s*(AP|AFP|Reuters|EPA|Getty|Yonhap|Xinhua|EFE|ANSA|dpa)[ /]*"
    r"(Photo|Images?|Pool)\b",
    re.IGNORECASE,
)
_CREDIT_INLINE = re.compile(
    r"\s*\((?:AP|AFP|EPA|Reuters|Getty|Yonhap|Pool)?\s*(?:Photo|Photograph|Image|Foto)s?"
    r"\s*[:/][^()]{0,80}\)",
    re.IGNORECASE,
)
_PROMO_LINE = re.compile(
    r"(sign up|subscribe|get our|join our|register)\b.{0,80}\b(newsletter|briefing|"
    r"alerts?|daily email|inbox)|^\W*(related( stories| articles| content| coverage)?|"
    r"read more|more on this story|also read|recommended|most read|trending now|"
    r"you may also like|share this( article)?|follow us on)\b\W*$|"
    r"^\W*(related|read more|also read|see also)\s*:",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\W*(by|written by|words by)\s+[\w.'’ -]{2,80}$", re.IGNORECASE)
MIN_WORDS = 8  # fewer words than this is a menu or a caption, not an article
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td")


def extract_page(html: str | bytes, url: str, fast: bool = True) -> Extracted:
    """Clean text and metadata of an article page; :class:`ExtractError` if it has no text."""
    tree = _parse(html, url)
    meta = _page_metadata(tree, url)
    doc: dict[str, Any] = {}
    if not all(meta.get(k) for k in ("title", "published", "author", "site_name")):
        # trafilatura's own metadata search (htmldate and friends) is a third of the
        # extraction time; most news pages say it all in their meta tags, so it runs only
        # for pages that do not.
        doc = extract_metadata(tree, default_url=url).as_dict()
    prune_furniture(tree)
    result = trafilatura.bare_extraction(
        tree, url=url, fast=fast, include_comments=False, include_tables=False
    )
    if result is not None:
        body = result if isinstance(result, dict) else result.as_dict()
        doc["text"] = body.get("text")
    text = clean_lines(str(doc.get("text") or ""), title=meta.get("title") or doc.get("title"))
    if len(text.split()) < MIN_WORDS:
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
        language=meta.get("language") or doc.get("language") or None,
    )


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


def clean_lines(text: str, title: str | None = None) -> str:
    """Drop the lines that are page furniture, not the article; normalise white space."""
    kept: list[str] = []
    for index, raw in enumerate(text.splitlines()):
        line = _CREDIT_INLINE.sub("", " ".join(raw.split()))
        if not line or _is_furniture(line, index):
            continue
        if title and index < 2 and line.casefold() == title.strip().casefold():
            continue  # trafilatura sometimes repeats the headline as the first line
        kept.append(line)
    return "\n".join(kept)


def _is_furniture(line: str, index: int) -> bool:
    if _AD_LINE.match(line) or _CREDIT_LINE.match(line):
        return True
    if len(line) < 220 and _PROMO_LINE.search(line):
        return True
    return index < 4 and bool(_BYLINE.match(line))


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
