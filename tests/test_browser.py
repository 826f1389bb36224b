"""The pages in a real browser: Debian's chromium driven by Playwright (``executable_path``;
``playwright install`` is never run). Home -> a tag -> "older articles" -> a live article
arriving without a reload -> search; the demo's home, tag, story, article, category, search
and sources pages at phone and desktop widths in the light and dark schemes, screenshots into
``TAGWIRE_SCREENSHOTS`` when set (docs/img by ``make screenshots``); a German browser's
pages, live cards included, in German.

Every page a test opens is watched for Content-Security-Policy violations (the
``securitypolicyviolation`` events and chromium's console reports): one fails the test.
axe-core (shipped by axe-playwright-python) checks the home, tag, article, story, search,
sources, source, edition (one empty), category, categories and error pages in the light and
dark schemes, and a few in German: no serious or critical violation. /docs renders Swagger
UI with requests to tagwire only.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from conftest import running, until
from tagwire import config
from tagwire.demo.run import prepare
from tagwire.demo.site import EVENT_PATHS, PublisherSite
from tagwire.ingest.writer import writing
from tagwire.store import Store
from tagwire.stories.rules import Decision
from tagwire.types import Article, EntityKind, Mention, Source, now_utc
from tagwire.web.app import create_app
from tagwire.web.live import Broadcaster, article_publisher
from test_search import T0, _add

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
SCHEMES = ("light", "dark")

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"no chromium at {CHROMIUM}: scripts/services.sh installs Debian's package",
        allow_module_level=True,
    )
expect = playwright_api.expect
axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
)
# Noted by the page itself (before any of its scripts run), and read back after each step.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


class Watched:
    """A page whose CSP violations (events and console reports) are collected."""

    def __init__(self, browser: object, **options: object) -> None:
        self.page: Any = browser.new_page(**options)  # type: ignore[attr-defined]
        self.console: list[str] = []
        self.page.add_init_script(WATCH_CSP)
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        reported: list[str] = self.page.evaluate("window.__csp || []")
        return reported + self.console

    def assert_clean(self, where: str) -> None:
        assert self.violations() == [], (where, self.violations())


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Store, Broadcaster, int]]:
    """A served store: 30 articles about Oslo (two pages of its tag) and a few others."""
    store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
    herald, times = store.upsert_sources(
        [
            Source(
                "Nordic Herald",
                "https://h.example/",
                ("https://h.example/f",),
                country="NO",
                region="europe",
            ),
            Source(
                "Harbour Times",
                "https://t.example/",
                ("https://t.example/f",),
                country="DK",
                region="europe",
            ),
        ]
    )
    for n in range(30):
        _add(
            store,
            n,
            f"Oslo harbour report number {n}",
            f"Report {n}: ships, cranes and the harbour master's figures for week {n}.",
            source=herald if n % 2 else times,
            places=("Oslo", "Norway"),
            category="Business & Economy",
            hours_ago=n,
        )
    for n, city in enumerate(("Bergen", "Tromsø", "Stavanger"), 100):
        _add(store, n, f"Rain in {city}", f"It rained in {city}.", source=herald, places=(city,))
    live = Broadcaster()
    with running(create_app(store, live=live)) as base:
        yield base, store, live, herald
    store.close()


def _cover_and_copy(store: Store) -> None:
    """The newest Oslo article's story told by the other publisher too, and a copy of it folded
    away: its card shows "Also covered by ... · Full coverage" and "Also published by ..."."""
    newest = next(c for c in store.list_cards(limit=10).items if c.title.startswith("Oslo"))
    other = next(s.id for s in store.sources() if s.name != newest.source_name)
    _join(store, 200, "Oslo harbour figures, the other view", other, newest.story_id)
    _add(
        store,
        201,
        "Oslo harbour report number 0 (copy)",
        "Report 0: ships, cranes and the harbour master's figures for week 0, again.",
        source=other,
        places=("Oslo",),
        duplicate_of=newest.id,
    )


def _join(store: Store, n: int, title: str, source: int, story_id: int) -> int:
    """An article about Oslo that joins an existing story."""
    oslo = Mention("Oslo", "Oslo", EntityKind.PLACE, 0, 4, True)
    article = Article(
        url=f"https://a.example/{n}",
        title=title,
        text=f"Oslo. {title}.",
        summary=title,
        published_at=T0 - timedelta(minutes=30),
        author=None,
        image=None,
        category="Business & Economy",
        language="en",
        content_hash=f"h{n}",
        mentions=(oslo,),
    )
    with writing(store) as w:
        ids = w.entity_ids([("place", "Oslo")])
        return w.insert_article(
            article,
            source_id=source,
            feed_id=None,
            seen_at=T0,
            duplicate_of=None,
            entity_scores={ids[("place", "Oslo")]: 3.0},
            mention_entities=[ids[("place", "Oslo")]],
            terms={"t": 1.0},
            decision=Decision(story_id, 0.9, 0.9, ()),
        )


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_home_tag_more_live_and_search(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    base, store, live, herald = site
    watched = Watched(browser, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(base + "/")
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest news")
    page.get_by_role("link", name="#Oslo").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest news with #Oslo")
    expect(page.locator("article.card")).to_have_count(20)
    page.get_by_role("link", name="Older articles").click()
    expect(page.locator("article.card")).to_have_count(10)
    expect(page.locator("article.card").first).to_contain_text("number 20")

    page.goto(base + "/tags/Oslo")
    until(lambda: live.listeners >= 1)  # the page's EventSource is connected
    new_id = _add(
        store,
        500,
        "Breaking: Oslo harbour reopens",
        "The harbour reopened.",
        source=herald,
        places=("Oslo",),
    )
    article_publisher(store, live)(new_id)  # what the pipeline does after each new article
    first = page.locator("article.card").first
    expect(first).to_contain_text("Breaking: Oslo harbour reopens")
    expect(page.locator("article.card")).to_have_count(21)  # added, not reloaded
    expect(page.locator("#live-status")).to_contain_text("Breaking: Oslo harbour reopens")

    watched.assert_clean("home, tag, older articles, a live article")
    page.get_by_label("Search", exact=True).fill('"harbour master" -Bergen')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.locator("article.card")).to_have_count(20)
    expect(page.get_by_role("link", name="More results")).to_be_visible()
    page.goto(base + "/search?q=%28%28%22")
    expect(page.get_by_role("alert")).to_contain_text("no word to look for")
    # The API's filters in the form; results grouped by story, the words marked.
    page.goto(base + "/search")
    page.get_by_label("Words").fill("harbour master")
    expect(page.get_by_label("Tag", exact=True)).to_be_hidden()  # filters folded at first
    page.get_by_text("Filters: tag, category, edition, dates, order").click()
    page.get_by_label("Tag", exact=True).fill("Oslo")
    page.get_by_label("Category").select_option("Business & Economy")
    page.get_by_label("From (a day)").fill("2025-01-01")
    page.get_by_label("To (a day, included)").fill("2030-12-31")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("article.card")).to_have_count(20)
    expect(page.locator("article.card mark").first).to_have_text("harbour")
    expect(page.get_by_label("Tag", exact=True)).to_have_value("Oslo")
    page.get_by_role("link", name="More results").click()
    expect(page.locator("article.card")).to_have_count(10)
    page.goto(base + "/search?q=harbour&from=2026-02-30")
    expect(page.get_by_role("alert")).to_have_text(
        "From: “2026-02-30” is not a date. Write a day as YYYY-MM-DD (2026-11-27), "
        "or a time in ISO 8601."
    )
    watched.assert_clean("search")


def test_the_category_pill_leads_to_the_categorys_page(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    base, _, _, _ = site
    watched = Watched(browser, viewport={"width": 390, "height": 844})
    page = watched.page
    page.goto(base + "/")
    page.locator("article.card a.category").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest news: Business & Economy")
    expect(page.locator("article.card")).to_have_count(20)
    expect(page.locator("article.card .category")).to_have_text(["Business & Economy"] * 20)
    page.get_by_role("link", name="Older articles").click()
    expect(page.locator("article.card")).to_have_count(10)
    page.get_by_role("link", name="Categories", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Categories")
    expect(page.locator("main")).to_contain_text("Business & Economy 30 articles")
    watched.assert_clean("category pages")


def _fail_every_source(store: Store) -> None:
    """Each source's last check failed, as on a machine without a network."""
    later = now_utc() + timedelta(hours=1)
    for feed in store.feeds():
        message = f"could not connect to {feed.url}: connection refused"
        store.record_feed(feed, outcome="failed", next_check=later, message=message)


def test_pages_at_phone_and_desktop_widths(
    site: tuple[str, Store, Broadcaster, int], browser: object, tmp_path: Path
) -> None:
    base, store, _, _ = site
    folder = tmp_path  # the README's screenshots are the demo's (below)
    story = store.list_cards(limit=1).items[0].story_id
    _fail_every_source(store)
    pages = {
        "home": "/",
        "tag": "/tags/Oslo",
        "story": f"/stories/{story}",
        "category": "/categories/Business%20%26%20Economy",
        "sources": "/sources",
        "source": f"/sources/{store.sources()[0].id}",
        "search": "/search?q=harbour&from=2026-11-01&category=Business+%26+Economy",
    }
    for size, (width, height) in SIZES.items():
        page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        for name, path in pages.items():
            page.goto(base + path)
            # Nothing wider than the screen: readable on a phone without sideways scrolling.
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (size, name, overflow)
            if name == "sources":  # every source's status in words, inside the screen
                states = page.locator("table.sources .state")
                expect(states).to_have_count(2)
                for n in range(2):
                    box = states.nth(n).bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width, (size, box)
                expect(page.get_by_role("alert")).to_contain_text("is this machine offline?")
            shot = folder / f"{name}-{size}.png"
            page.screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page.close()


def test_keyboard_landmarks_and_dark_mode(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    base, _, _, _ = site
    watched = Watched(browser, color_scheme="dark")
    page = watched.page
    page.goto(base + "/tags/Oslo")
    for role in ("banner", "main", "contentinfo", "search"):
        expect(page.get_by_role(role).first).to_be_attached()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 18, 22)"  # the dark scheme, from the system setting
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the news")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the news, not the header again
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused
    images = page.locator("img")
    for n in range(images.count()):
        assert images.nth(n).get_attribute("alt") is not None
    # The timeline's bars are drawn (SVG attributes: no inline style for the CSP to block).
    bars = page.locator(".timeline rect.bar")
    assert bars.count() >= 1
    assert bars.first.bounding_box()["height"] > 0
    watched.assert_clean("tag page, dark")
    light = browser.new_page(color_scheme="light")  # type: ignore[attr-defined]
    light.goto(base + "/tags/Oslo")
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 251, 252)"


def test_a_german_browser_gets_the_pages_in_german_live_cards_too(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    """The browser's language picks the interface's (Accept-Language): words, dates, numbers
    and <html lang> agree; a card arriving live is German too, not the broadcast's English."""
    base, store, live, herald = site
    watched = Watched(browser, locale="de-DE", viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(base + "/")
    assert page.evaluate("document.documentElement.lang") == "de-DE"
    expect(page.get_by_role("heading", level=1)).to_have_text("Neueste Nachrichten")
    expect(page.locator("article.card time").first).to_have_text(re.compile(r"^vor "))
    expect(page.locator("article.card a.category").first).to_have_text("Wirtschaft")
    page.get_by_role("link", name="Suche", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suche")
    page.goto(base + "/tags/Oslo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neueste Nachrichten mit #Oslo")
    until(lambda: live.listeners >= 1)
    new_id = _add(
        store,
        501,
        "Oslo ferry timetable changes",
        "The ferries run later.",
        source=herald,
        places=("Oslo",),
        category="Business & Economy",
    )
    article_publisher(store, live)(new_id)
    fresh = page.locator(f"#article-{new_id}")
    expect(fresh.locator("a.category")).to_have_text("Wirtschaft")
    expect(fresh.locator("time")).to_have_text(re.compile(r"^vor "))
    expect(page.locator("#live-status")).to_have_text("Neu: Oslo ferry timetable changes")
    watched.assert_clean("German pages and a live card")


SERIOUS = ("serious", "critical")


def test_pages_by_axe_core_light_and_dark_without_csp_violations(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    base, store, _, _ = site
    _cover_and_copy(store)
    _fail_every_source(store)  # the alert and the failing states, in both schemes
    newest = store.list_cards(limit=1).items[0]
    pages = {
        "home": "/",
        "tag": "/tags/Oslo",
        "article": f"/articles/{newest.id}",
        "story": f"/stories/{newest.story_id}",
        "search": "/search?q=harbour",
        "search problem": "/search?q=harbour&to=yesterday",
        "sources": "/sources",
        "source": f"/sources/{newest.source_id}",
        "edition": "/editions/europe",
        "empty edition": "/editions/africa",
        "category": "/categories/business%20%26%20economy",
        "categories": "/categories",
        "error": "/tags/Atlantis",
    }
    axe = axe_playwright.Axe()
    found: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        watched = Watched(browser, color_scheme=scheme, viewport={"width": 1280, "height": 900})
        for name, path in pages.items():
            answer = watched.page.goto(base + path)
            expected = {"error": 404, "search problem": 400}.get(name, 200)
            assert answer is not None and answer.status == expected, name
            if name in ("home", "tag", "edition", "category"):  # the cases that failed
                expect(watched.page.locator(".also").first).to_contain_text("Full coverage")
                expect(watched.page.locator(".dups").first).to_contain_text("Also published by")
            results = axe.run(watched.page)
            for violation in results.response["violations"]:
                if violation["impact"] in SERIOUS:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    found.setdefault(f"{name} ({scheme})", []).append(
                        f"{violation['id']} ({violation['impact']}): {targets}"
                    )
            watched.assert_clean(f"{name} ({scheme})")
        watched.page.close()
    # In another language: its <html lang>, the fetcher's English marked lang="en" inside.
    german = Watched(browser, locale="de-DE", viewport={"width": 390, "height": 844})
    for name in ("home", "article", "story", "sources", "search problem"):
        german.page.goto(base + pages[name])
        for violation in axe.run(german.page).response["violations"]:
            if violation["impact"] in SERIOUS:
                found.setdefault(f"{name} (de)", []).append(violation["id"])
        german.assert_clean(f"{name} (de)")
    assert found == {}


def test_api_docs_render_from_tagwire_alone(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    """Swagger UI at /docs, offline: every request goes to tagwire, none is blocked."""
    base, _, _, _ = site
    watched = Watched(browser)
    hosts: list[str] = []
    watched.page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    watched.page.goto(base + "/docs")
    expect(watched.page.locator(".swagger-ui .info .title")).to_contain_text("tagwire")
    expect(watched.page.locator(".opblock").first).to_be_visible()
    assert watched.page.evaluate("document.documentElement.lang") == "en"
    assert set(hosts) == {urlsplit(base).netloc}
    watched.assert_clean("/docs")


LONG_PLACE = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"


def test_cards_few_chips_named_copies_and_full_coverage_only_for_stories(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    """A card shows its four most salient tags and the rest behind "+N" (no script), never a
    slug broken mid-word nor a wrapped category pill; copies are named by their publisher;
    "Full coverage" only for a story of more than one article, and not on the story's page."""
    base, store, _, herald = site
    _cover_and_copy(store)
    places = (LONG_PLACE, "Oslo", "Bergen", "Tromsø", "Norway", "Sweden", "Denmark", "Finland")
    lone = _add(
        store,
        300,
        "Nordic ministers meet on ferry links",
        "Ministers from across the Nordic countries met about ferry links.",
        source=herald,
        places=places,
        category="Science & Technology",
        hours_ago=-1,
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    javascript_off = browser.new_page(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    for tab in (page, javascript_off):
        tab.goto(base + "/")
        card = tab.locator(f"#article-{lone}")
        expect(card.locator("a.tag:visible")).to_have_count(4)
        more = card.locator("details.more-tags summary")
        expect(more).to_have_text("+4 more tags")
        expect(card.locator("details.more-tags a.tag").first).to_be_hidden()
        more.click()
        expect(card.locator("a.tag:visible")).to_have_count(8)
        # One line each: a chip (even one wider than the phone) and the category pill.
        heights = card.locator("a.tag:visible, .category").evaluate_all(
            """els => els.map(e => [e.textContent, e.getBoundingClientRect().height,
                                    parseFloat(getComputedStyle(e).lineHeight)])"""
        )
        assert len(heights) == 9
        for text, height, line in heights:
            assert height < 1.5 * line, (text, height, line)
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
        expect(card).not_to_contain_text("Full coverage")  # a story of one article
    page.goto(base + "/")
    newest = next(c for c in store.list_cards(limit=10).items if c.duplicates)  # Oslo's
    covered = page.locator(f"#article-{newest.id}")
    other = next(s.name for s in store.sources() if s.name != newest.source_name)
    expect(covered.locator(".dups")).to_have_text(f"Also published by {other}")
    copy_url = covered.locator(".dups a").get_attribute("href")
    assert copy_url == "https://a.example/201"
    expect(covered.locator(".also")).to_contain_text("Full coverage")
    page.goto(base + f"/stories/{newest.story_id}")
    expect(page.locator("article.card")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("Full coverage")


def test_story_page_says_who_reported_first_and_orders_by_choice(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    """Ground News's story header: first reported by whom and when, the span, how many
    publishers from which countries and regions, the main tags; the articles in time order
    or grouped by publisher, chosen by a link (works without script)."""
    base, store, _, _ = site
    _cover_and_copy(store)
    survivor = next(c for c in store.list_cards(limit=10).items if c.duplicates)
    story = f"/stories/{survivor.story_id}"
    page = browser.new_page(java_script_enabled=False)  # type: ignore[attr-defined]
    page.goto(base + story)
    first, latest, reach = (page.locator("dl.coverage dd").nth(n) for n in range(3))
    # The other publisher's view (T0 - 30 min) came before the survivor (T0).
    other = next(s.name for s in store.sources() if s.name != survivor.source_name)
    countries = "Norway, Denmark" if other == "Nordic Herald" else "Denmark, Norway"
    expect(first).to_have_text(re.compile(f"^by {other}, "))
    expect(first.locator("time")).to_have_attribute("datetime", re.compile(r"T\d\d:\d\d"))
    expect(latest).to_have_text(
        re.compile(f"^{survivor.source_name}, .*, 30 minutes after the first$")
    )
    expect(reach).to_have_text(
        f"2 articles from 2 publishers in 2 countries ({countries}); 1 region: Europe"
    )
    expect(page.locator("div.tags a.tag").first).to_have_text("#Oslo")
    titles = page.locator("article.card h2")
    expect(titles).to_have_text(["Oslo harbour figures, the other view", survivor.title])
    page.get_by_role("link", name="by publisher").click()
    assert page.url.endswith(story + "?view=publisher")
    expect(page.locator("h2.publisher-name")).to_have_count(2)
    expect(page.locator("h2.publisher-name").first).to_contain_text("Harbour Times")  # A-Z
    expect(page.get_by_role("link", name="by publisher")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="in time order").click()
    expect(page.locator("h2.publisher-name")).to_have_count(0)
    expect(titles).to_have_count(2)
    answer = page.goto(base + story + "?view=sideways")
    assert answer is not None and answer.status == 400


IMAGES_SHOWN = """() => [...document.images]
  .filter(i => i.getBoundingClientRect().top < window.innerHeight)
  .every(i => i.complete && i.naturalWidth > 0)"""


def test_demo_pages_at_phone_and_desktop_widths(
    browser: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo as ``make demo`` serves it: home, tag, story, category, search and sources pages at
    phone and desktop widths, nothing wider than the screen, every image in view shown, no
    CSP violation; the screenshots go to ``TAGWIRE_SCREENSHOTS`` (docs/img by ``make
    screenshots``) for the README."""
    monkeypatch.setenv("TAGWIRE_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TAGWIRE_HOST_DELAY", "0")
    folder = Path(os.environ.get("TAGWIRE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    with PublisherSite() as publishers:
        db = tmp_path / "demo.db"
        # In a thread of its own: Playwright's loop runs in this one, and the ingest has one.
        with ThreadPoolExecutor(1) as thread:
            sources = tmp_path / "sources.toml"
            thread.submit(prepare, publishers, db, sources, lambda _: None).result()
        store = Store(f"sqlite:///{db}")
        lead = next(
            c
            for c in store.list_cards(limit=100).items
            if c.url == publishers.base_url + EVENT_PATHS[0]
        )
        summit = lead.story_id
        assert lead.category is not None
        assert lead.image is not None and lead.tags  # the article page's case
        pages = {
            "home": "/",
            "tag": "/tags/ElenaMarchetti",
            "story": f"/stories/{summit}",
            "article": f"/articles/{lead.id}",
            "category": "/categories/" + quote(lead.category, safe=""),
            "search": "/search?q=tariffs",
            "sources": "/sources",
        }
        try:
            with running(create_app(store, settings=config.load())) as base:
                for scheme, (size, (width, height)) in product(SCHEMES, SIZES.items()):
                    watched = Watched(
                        browser,
                        viewport={"width": width, "height": height},
                        color_scheme=scheme,
                    )
                    for name, path in pages.items():
                        answer = watched.page.goto(base + path)
                        assert answer is not None and answer.status == 200, path
                        watched.page.wait_for_function(IMAGES_SHOWN)
                        overflow = watched.page.evaluate(
                            "document.documentElement.scrollWidth - window.innerWidth"
                        )
                        assert overflow <= 1, (size, name, overflow)
                        if name == "article":
                            _image_and_tags_apart_from_the_text(watched.page, width)
                        if name == "home" and size == "phone":
                            # The side column under the news flows: chips share lines.
                            tops = watched.page.locator(".side ul.toptags li").evaluate_all(
                                "els => els.map(e => e.getBoundingClientRect().top)"
                            )
                            assert len(set(tops)) < len(tops) / 2, tops
                        # The light ones keep the names the README has always linked.
                        suffix = "" if scheme == "light" else f"-{scheme}"
                        shot = folder / f"{name}-{size}{suffix}.png"
                        # The article whole: its tags, after its text, are the point.
                        watched.page.screenshot(path=str(shot), full_page=name == "article")
                        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                        watched.assert_clean(f"{name} ({size}, {scheme})")
                    watched.page.close()
        finally:
            store.close()


def _image_and_tags_apart_from_the_text(page: Any, width: int) -> None:
    """The article's image shown above its text, inside the screen; its tags in a section of
    their own, headed, after the text and outside it (none inside the article's words)."""
    image = page.locator("figure.lead-image img")
    expect(image).to_be_visible()
    assert page.evaluate("document.querySelector('figure.lead-image img').naturalWidth") > 0
    text = page.locator("div.text")
    image_box, text_box = image.bounding_box(), text.bounding_box()
    assert image_box["y"] + image_box["height"] <= text_box["y"] + 1
    assert image_box["x"] + image_box["width"] <= width
    expect(text.locator("a.tag")).to_have_count(0)
    tags = page.get_by_role("region", name="Tags in this article")
    expect(tags.locator("a.tag").first).to_be_visible()
    assert tags.bounding_box()["y"] >= text_box["y"] + text_box["height"]
    assert page.evaluate("!document.querySelector('.article-tags').closest('article, .text')"), (
        "the tags are not part of the article's text"
    )
