"""The fictional publisher site (tagwire.demo.site) serves what its docstring promises."""

from __future__ import annotations

import json
import re
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from tagwire.demo.site import (
    DUPLICATE_PATHS,
    MISSING_PATH,
    MISSING_SUMMARY,
    TRACKED_PATH,
    TRACKING_QUERY,
    PublisherSite,
    sources_toml,
)

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rss1": "http://purl.org/rss/1.0/",
}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Response(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        with error:
            return Response(
                error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
            )


# ------------------------------------------------------------------------ feeds as data


@dataclass
class Item:
    title: str
    link: str
    summary: str
    published: datetime | None


@dataclass
class Feed:
    kind: str
    content_type: str
    items: list[Item]
    raw: bytes


def parse_feed(response: Response) -> Feed:
    content_type = response.headers["content-type"]
    if content_type.startswith("application/feed+json"):
        doc = json.loads(response.body)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        items = [
            Item(i["title"], i["url"], i["summary"], datetime.fromisoformat(i["date_published"]))
            for i in doc["items"]
        ]
        return Feed("jsonfeed", content_type, items, response.body)
    root = ET.fromstring(response.body)
    if root.tag == f"{{{NS['atom']}}}feed":
        items = []
        for entry in root.findall("atom:entry", NS):
            link = entry.find("atom:link[@rel='alternate']", NS)
            assert link is not None
            items.append(
                Item(
                    entry.findtext("atom:title", "", NS),
                    link.get("href", ""),
                    entry.findtext("atom:summary", "", NS),
                    datetime.fromisoformat(entry.findtext("atom:published", "", NS)),
                )
            )
        return Feed("atom", content_type, items, response.body)
    if root.tag == f"{{{NS['rdf']}}}RDF":
        items = [
            Item(
                item.findtext("rss1:title", "", NS),
                item.findtext("rss1:link", "", NS),
                item.findtext("rss1:description", "", NS),
                datetime.fromisoformat(item.findtext("dc:date", "", NS)),
            )
            for item in root.findall("rss1:item", NS)
        ]
        return Feed("rss1", content_type, items, response.body)
    assert root.tag == "rss"
    version = root.get("version")
    items = []
    for item in root.findall("channel/item"):
        date = item.findtext("pubDate")
        items.append(
            Item(
                item.findtext("title", ""),
                item.findtext("link", ""),
                item.findtext("description", ""),
                parsedate_to_datetime(date) if date else None,
            )
        )
    return Feed("rss2" if version == "2.0" else f"rss{version}", content_type, items, response.body)


def all_feeds(site: PublisherSite) -> dict[str, Feed]:
    """Every feed of the site, by feed URL, found through sources_toml."""
    doc = tomllib.loads(sources_toml(site.base_url))
    feeds = {}
    for source in doc["sources"]:
        for url in source["feeds"]:
            response = fetch(url)
            assert response.status == 200, url
            feeds[url] = parse_feed(response)
    return feeds


# ------------------------------------------------------------------------- pages as data


@dataclass
class Page:
    meta: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    json_ld: list[dict[str, object]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    classes: list[str] = field(default_factory=list)
    h1: str = ""
    byline: str = ""
    figcaption: str = ""
    body: list[str] = field(default_factory=list)  # paragraphs of div.article-body
    related: list[str] = field(default_factory=list)  # hrefs in aside.related-stories
    newsletter: str = ""
    ad_slots: int = 0
    footer: str = ""
    inline_scripts: int = 0


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, str]] = []  # (tag, class)
        self.texts: list[list[str]] = []  # text of each open element
        self.script_type: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.page.tags.add(tag)
        if a.get("class"):
            self.page.classes.append(a["class"])
        key = a.get("property") or a.get("name")
        if tag == "meta" and key and "content" in a:
            self.page.meta.setdefault(key, []).append(a["content"])
        if tag == "link" and a.get("rel"):
            self.page.links[a["rel"]] = a.get("href", "")
        if tag in VOID:
            return
        if tag == "script":
            self.script_type = a.get("type", "")
        if tag == "a" and self.inside("aside", "related-stories"):
            self.page.related.append(a.get("href", ""))
        if tag == "div" and a.get("class") == "ad-slot":
            self.page.ad_slots += 1
        self.stack.append((tag, a.get("class", "")))
        self.texts.append([])

    def inside(self, tag: str, cls: str = "") -> bool:
        return any(t == tag and (not cls or cls in c.split()) for t, c in self.stack)

    def handle_data(self, data: str) -> None:
        for text in self.texts:
            text.append(data)
        if self.script_type is not None:
            if self.script_type == "application/ld+json":
                self.page.json_ld.append(json.loads(data))
            elif data.strip():
                self.page.inline_scripts += 1
        if self.inside("div", "newsletter-signup"):
            self.page.newsletter += data
        if self.inside("footer"):
            self.page.footer += data

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            return
        text = " ".join("".join(self.texts.pop()).split())
        open_tag, cls = self.stack.pop()
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"
        if tag == "script":
            self.script_type = None
        elif tag == "h1" and self.inside("article"):
            self.page.h1 = text
        elif tag == "p" and cls == "byline":
            self.page.byline = text
        elif tag == "figcaption":
            self.page.figcaption = text
        elif tag == "p" and self.stack and self.stack[-1] == ("div", "article-body"):
            self.page.body.append(text)


def parse_page(html_text: str) -> Page:
    parser = PageParser()
    parser.feed(html_text)
    parser.close()
    return parser.page


def article_links(site: PublisherSite) -> list[str]:
    return [item.link for feed in all_feeds(site).values() for item in feed.items]


# ----------------------------------------------------------------------------------- tests


def test_every_feed_parses_and_has_items(site: PublisherSite) -> None:
    feeds = all_feeds(site)
    kinds = {url.rsplit("/", 2)[-2]: feed.kind for url, feed in feeds.items()}
    assert kinds == {
        "herald": "rss2",
        "ledger": "atom",
        "meridian": "jsonfeed",
        "courier": "rss1",
        "lantern": "rss0.91",
    }
    types = {feed.kind: feed.content_type.split(";")[0] for feed in feeds.values()}
    assert types == {
        "rss2": "application/rss+xml",
        "atom": "application/atom+xml",
        "jsonfeed": "application/feed+json",
        "rss1": "application/rdf+xml",
        "rss0.91": "application/rss+xml",
    }
    for url, feed in feeds.items():
        assert 2 <= len(feed.items) <= 4, url
        for item in feed.items:
            assert item.title and item.summary, (url, item)
            assert item.link.startswith(site.base_url + "/" + url.rsplit("/", 2)[-2] + "/")
    assert sum(len(feed.items) for feed in feeds.values()) >= 15


def test_feed_formats_carry_what_each_format_should(site: PublisherSite) -> None:
    by_kind = {feed.kind: feed for feed in all_feeds(site).values()}
    # RSS 2.0: full article HTML in content:encoded, categories, RFC 822 dates.
    rss2 = ET.fromstring(by_kind["rss2"].raw)
    for item in rss2.findall("channel/item"):
        content = item.findtext("content:encoded", "", NS)
        assert content.count("<p>") >= 6 and "<figure" in content
        assert item.findall("category")
        assert re.fullmatch(
            r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", item.findtext("pubDate", "")
        )
    # Atom: summary only, category terms.
    atom = ET.fromstring(by_kind["atom"].raw)
    for entry in atom.findall("atom:entry", NS):
        assert entry.find("atom:content", NS) is None
        assert entry.findtext("atom:summary", "", NS)
        assert all(c.get("term") for c in entry.findall("atom:category", NS))
        assert entry.findall("atom:category", NS)
    # JSON Feed: summary and url, tags, no content.
    for raw in json.loads(by_kind["jsonfeed"].raw)["items"]:
        assert "content_html" not in raw and "content_text" not in raw
        assert raw["summary"] and raw["url"] and raw["tags"]
        assert raw["date_published"].endswith("Z")
    # RSS 1.0: dc:date and dc:subject.
    rdf = ET.fromstring(by_kind["rss1"].raw)
    for item in rdf.findall("rss1:item", NS):
        assert item.findtext("dc:date", "", NS) and item.findall("dc:subject", NS)
    # RSS 0.91: no dates at all.
    rss091 = by_kind["rss0.91"].raw.decode()
    assert "pubDate" not in rss091 and "dc:date" not in rss091
    assert all(item.published is None for item in by_kind["rss0.91"].items)


def test_feed_dates_are_relative_to_now() -> None:
    now = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
    with PublisherSite(now=now) as site:
        dates = [
            item.published
            for feed in all_feeds(site).values()
            for item in feed.items
            if item.published is not None
        ]
    assert len(dates) >= 12
    assert all(now - timedelta(days=3) < d < now for d in dates)
    assert now - timedelta(hours=5) in dates  # the Harbour Herald's event article


def test_every_item_link_is_ok_except_the_missing_one(site: PublisherSite) -> None:
    statuses = {}
    for link in article_links(site):
        response = fetch(link)
        statuses[link] = response.status
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert int(response.headers["content-length"]) == len(response.body)
    assert [link for link, status in statuses.items() if status != 200] == [
        site.base_url + MISSING_PATH
    ]
    assert statuses[site.base_url + MISSING_PATH] == 404


def test_missing_item_keeps_title_and_summary_in_feed(site: PublisherSite) -> None:
    items = [
        item
        for feed in all_feeds(site).values()
        for item in feed.items
        if item.link == site.base_url + MISSING_PATH
    ]
    assert len(items) == 1
    assert items[0].title == "Senate panel postpones vote on farm bill after late amendments"
    assert items[0].summary == MISSING_SUMMARY
    assert 1 <= items[0].summary.count(". ") + 1 <= 2


def test_tracking_link_page_has_clean_canonical(site: PublisherSite) -> None:
    tracked = [link for link in article_links(site) if "utm_" in link]
    assert tracked == [f"{site.base_url}{TRACKED_PATH}?{TRACKING_QUERY}"]
    response = fetch(tracked[0])
    assert response.status == 200
    assert parse_page(response.text).links["canonical"] == site.base_url + TRACKED_PATH


def test_article_pages_look_like_news_pages(site: PublisherSite) -> None:
    pages = 0
    ads = 0
    for link in article_links(site):
        if link.endswith(MISSING_PATH):
            continue
        page = parse_page(fetch(link).text)
        pages += 1
        clean = link.split("?")[0]
        assert page.links["canonical"] == clean
        assert page.meta["og:title"] == [page.h1]
        assert page.meta["og:site_name"][0] in page.byline
        assert page.meta["author"][0] in page.byline and page.byline.startswith("By ")
        published = datetime.fromisoformat(page.meta["article:published_time"][0])
        assert published.tzinfo is not None
        image = fetch(page.meta["og:image"][0])
        assert image.status == 200 and image.headers["content-type"] == "image/png"
        assert image.body.startswith(b"\x89PNG\r\n\x1a\n")
        ld = page.json_ld[0]
        assert ld["@type"] == "NewsArticle" and ld["headline"] == page.h1
        assert datetime.fromisoformat(str(ld["datePublished"])) == published
        assert ld["author"]
        assert {
            "header",
            "nav",
            "article",
            "figure",
            "figcaption",
            "form",
            "footer",
            "aside",
        } <= page.tags
        assert "cookie-banner" in page.classes and page.inline_scripts >= 2
        assert re.search(r"\(Photo: [^/]+/[^)]+\)$", page.figcaption)
        assert "Sign up for our morning newsletter" in page.newsletter or (
            "breaking news alerts" in page.newsletter
        )
        assert "©" in page.footer
        assert 250 <= sum(len(p.split()) for p in page.body) <= 600, link
        assert len(page.related) >= 2
        for href in page.related:
            assert fetch(site.base_url + href).status == 200
        ads += page.ad_slots
    assert pages >= 14
    assert ads >= 8


def test_some_pages_carry_a_section(site: PublisherSite) -> None:
    sections = [
        parse_page(fetch(link).text).meta.get("article:section")
        for link in article_links(site)
        if not link.endswith(MISSING_PATH)
    ]
    assert ["Politics"] in sections
    assert None in sections


def test_conditional_get_on_every_feed(site: PublisherSite) -> None:
    for url in all_feeds(site):
        first = fetch(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and parsedate_to_datetime(modified)
        again = fetch(url, {"If-None-Match": etag})
        assert again.status == 304 and again.body == b""
        assert again.headers["etag"] == etag
        assert fetch(url, {"If-Modified-Since": modified}).status == 304
        assert fetch(url, {"If-None-Match": '"stale"'}).status == 200
        assert fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status == 200
        # If-None-Match wins over If-Modified-Since.
        assert fetch(url, {"If-None-Match": '"stale"', "If-Modified-Since": modified}).status == 200


def test_duplicate_pair_differs_only_in_punctuation_and_furniture(site: PublisherSite) -> None:
    first, second = (fetch(site.base_url + path) for path in DUPLICATE_PATHS)
    assert first.status == second.status == 200
    a, b = parse_page(first.text), parse_page(second.text)
    assert a.h1 == "US-China trade talks resume in Geneva"
    assert b.h1 == "US, China trade talks resume in Geneva"

    def letters(title: str) -> str:
        return re.sub(r"\W+", " ", title).strip()

    assert a.h1 != b.h1 and letters(a.h1) == letters(b.h1)
    assert a.body == b.body
    assert b.ad_slots == a.ad_slots + 1
    assert a.newsletter != b.newsletter
    assert a.links["canonical"] == site.base_url + DUPLICATE_PATHS[0]
    assert b.links["canonical"] == site.base_url + DUPLICATE_PATHS[1]
    # Both are in the same feed, the second a few hours later.
    feed = all_feeds(site)[f"{site.base_url}/ledger/atom.xml"]
    dates = {item.link: item.published for item in feed.items}
    first_date = dates[site.base_url + DUPLICATE_PATHS[0]]
    second_date = dates[site.base_url + DUPLICATE_PATHS[1]]
    assert first_date is not None and second_date is not None
    assert timedelta(hours=1) <= second_date - first_date <= timedelta(hours=6)
