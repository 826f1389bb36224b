"""The pages in a real browser: Debian's chromium driven by Playwright (``executable_path``;
``playwright install`` is never run). Home -> a tag -> "older articles" -> a live article
arriving without a reload -> search; phone and desktop screenshots of the home, tag and
story pages (into ``TAGWIRE_SCREENSHOTS`` when set, e.g. docs/img by ``make screenshots``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import running, until
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web.app import create_app
from tagwire.web.live import Broadcaster, article_publisher
from test_search import _add

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"no chromium at {CHROMIUM}: scripts/services.sh installs Debian's package",
        allow_module_level=True,
    )
expect = playwright_api.expect


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Store, Broadcaster, int]]:
    """A served store: 30 articles about Oslo (two pages of its tag) and a few others."""
    store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
    herald, times = store.upsert_sources(
        [
            Source(
                "Nordic Herald", "https://h.example/", ("https://h.example/f",), region="europe"
            ),
            Source(
                "Harbour Times", "https://t.example/", ("https://t.example/f",), region="europe"
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
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
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

    page.get_by_label("Search").fill('"harbour master" -Bergen')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.locator("article.card")).to_have_count(20)
    expect(page.get_by_role("link", name="More results")).to_be_visible()
    page.goto(base + "/search?q=%28%28%22")
    expect(page.get_by_role("alert")).to_contain_text("no word to look for")


def test_pages_at_phone_and_desktop_widths(
    site: tuple[str, Store, Broadcaster, int], browser: object, tmp_path: Path
) -> None:
    base, store, _, _ = site
    folder = Path(os.environ.get("TAGWIRE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    story = store.list_cards(limit=1).items[0].story_id
    pages = {"home": "/", "tag": "/tags/Oslo", "story": f"/stories/{story}"}
    for size, (width, height) in SIZES.items():
        page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        for name, path in pages.items():
            page.goto(base + path)
            # Nothing wider than the screen: readable on a phone without sideways scrolling.
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (size, name, overflow)
            shot = folder / f"{name}-{size}.png"
            page.screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page.close()


def test_keyboard_landmarks_and_dark_mode(
    site: tuple[str, Store, Broadcaster, int], browser: object
) -> None:
    base, _, _, _ = site
    page = browser.new_page(color_scheme="dark")  # type: ignore[attr-defined]
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
    light = browser.new_page(color_scheme="light")  # type: ignore[attr-defined]
    light.goto(base + "/tags/Oslo")
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 251, 252)"
