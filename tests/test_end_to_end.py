"""End to end: the fictional publisher site on 127.0.0.1, `tagwire ingest` and
`tagwire serve` as real processes, and what a reader sees through HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tagwire.demo.site import (
    DUPLICATE_PATHS,
    EVENT_PATHS,
    MISSING_PATH,
    MISSING_SUMMARY,
    TRACKED_PATH,
    PublisherSite,
    sources_toml,
)

TAGWIRE = str(Path(sys.executable).with_name("tagwire"))
CARD_KEYS = {
    "id",
    "url",
    "title",
    "source",
    "published_at",
    "category",
    "summary",
    "tags",
    "story_id",
    "duplicates",
}


@dataclass
class Deployment:
    site: PublisherSite
    sources: Path
    db: str
    env: dict[str, str]
    api: httpx.Client
    first_ingest: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ingest(deployment_env: dict[str, str], sources: Path, db: str) -> str:
    result = subprocess.run(
        [TAGWIRE, "ingest", "--sources", str(sources), "--db", db],
        env=deployment_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _wait_until_up(client: httpx.Client, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)  # polling for readiness, not waiting for an outcome
    raise AssertionError("tagwire serve did not come up within 60 s")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("e2e")
    with PublisherSite() as site:
        sources = tmp / "sources.toml"
        # Two extra publishers that fail: a feed that is missing, and one on a loopback
        # address the allow-list does not name (refused before any connection).
        sources.write_text(
            sources_toml(site.base_url)
            + f'''
[[sources]]
name = "Gone Gazette"
url = "{site.base_url}/gone/"
feeds = ["{site.base_url}/gone/rss.xml"]

[[sources]]
name = "Private Press"
url = "http://127.0.0.2:{site.base_url.rsplit(":", 1)[1]}/"
feeds = ["http://127.0.0.2:{site.base_url.rsplit(":", 1)[1]}/rss.xml"]
''',
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp / 'tagwire.db'}"
        env = dict(
            os.environ,
            TAGWIRE_ALLOWED_HOSTS="127.0.0.1",
            TAGWIRE_HOST_DELAY="0",
            TAGWIRE_WORKERS="2",
        )
        first = _ingest(env, sources, db)
        port = _free_port()
        log = tmp / "serve.log"
        with (
            log.open("w") as log_file,
            subprocess.Popen(
                [TAGWIRE, "serve", "--no-poll", "--port", str(port), "--db", db],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                text=True,
            ) as server,
        ):
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                    _wait_until_up(client, server, log)
                    yield Deployment(site, sources, db, env, client, first)
            finally:
                server.terminate()
                server.wait(timeout=30)


def _all_cards(
    api: httpx.Client, path: str = "/api/v1/articles", **params: str
) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params, limit="3") | ({"cursor": cursor} if cursor else {})
        body = api.get(path, params=query).raise_for_status().json()
        cards.extend(body["articles"])
        cursor = body["next"]
        if cursor is None:
            return cards


def _by_path(cards: list[dict[str, Any]], path: str) -> dict[str, Any]:
    return next(c for c in cards if c["url"].split("?")[0].endswith(path))


def test_ingest_reports_the_pass(deployment: Deployment) -> None:
    out = deployment.first_ingest
    assert "7 sources" in out and "2 failed" in out
    assert "16 new articles, 1 duplicates folded" in out


def test_person_with_and_without_title_is_one_tag(deployment: Deployment) -> None:
    body = deployment.api.get("/api/v1/tags/ElenaMarchetti").json()
    assert body["tag"] == {"slug": "ElenaMarchetti", "name": "Elena Marchetti", "kind": "person"}
    urls = {c["url"] for c in body["articles"]}
    assert {deployment.site.base_url + p for p in EVENT_PATHS} <= urls
    for wrong in ("PresidentElenaMarchetti", "Marchetti"):
        assert deployment.api.get(f"/api/v1/tags/{wrong}").status_code == 404


def test_tag_lookup_is_case_insensitive_and_answers_the_canonical_slug(
    deployment: Deployment,
) -> None:
    body = deployment.api.get("/api/v1/tags/elenamarchetti").json()
    assert body["tag"]["slug"] == "ElenaMarchetti"


def test_ad_slots_and_boilerplate_never_reach_stored_text(deployment: Deployment) -> None:
    for card in _all_cards(deployment.api):
        text = deployment.api.get(f"/api/v1/articles/{card['id']}").json()["text"]
        lines = text.splitlines()
        assert "Advertisement" not in lines
        assert not any("newsletter" in line.lower() for line in lines), card["url"]
        assert not any(line.startswith("(Photo:") or "Related stories" in line for line in lines)


def test_twice_published_article_is_one_card_with_its_copy(deployment: Deployment) -> None:
    cards = _all_cards(deployment.api)
    first, second = (deployment.site.base_url + p for p in DUPLICATE_PATHS)
    listed = [c for c in cards if c["url"] in {first, second}]
    assert len(listed) == 1
    (survivor,) = listed
    other = second if survivor["url"] == first else first
    assert survivor["duplicates"] == [other]


def test_event_covered_by_four_publishers_is_one_story(deployment: Deployment) -> None:
    cards = _all_cards(deployment.api)
    event = [_by_path(cards, p) for p in EVENT_PATHS]
    assert len({c["source"]["id"] for c in event}) == 4
    assert len({c["story_id"] for c in event}) == 1
    story = deployment.api.get(f"/api/v1/stories/{event[0]['story_id']}").json()
    assert story["story"]["publishers"] == 4
    assert {c["id"] for c in story["articles"]} == {c["id"] for c in event}
    assert "ElenaMarchetti" in story["story"]["tags"]
    others = {c["story_id"] for c in cards if c not in event}
    assert event[0]["story_id"] not in others


def test_item_whose_page_is_missing_is_kept_with_the_feed_text(deployment: Deployment) -> None:
    card = _by_path(_all_cards(deployment.api), MISSING_PATH)
    assert card["title"] == "Senate panel postpones vote on farm bill after late amendments"
    text = deployment.api.get(f"/api/v1/articles/{card['id']}").json()["text"]
    assert text == MISSING_SUMMARY


def test_tracking_parameters_are_not_part_of_the_article_url(deployment: Deployment) -> None:
    card = _by_path(_all_cards(deployment.api), TRACKED_PATH)
    assert card["url"] == deployment.site.base_url + TRACKED_PATH


def test_cards_follow_the_contract(deployment: Deployment) -> None:
    cards = _all_cards(deployment.api)
    assert len(cards) == 16
    keys = [(c["published_at"] or "", c["id"]) for c in cards]
    assert keys == sorted(keys, reverse=True), "not newest first"
    for card in cards:
        assert set(card) == CARD_KEYS
        assert set(card["source"]) == {"id", "name", "url"}
        assert card["published_at"] is None or card["published_at"].endswith("Z")
        assert isinstance(card["story_id"], int) and len(card["tags"]) <= 10
    herald = [c for c in cards if c["source"]["name"] == "Harbour Herald"]
    assert herald and all(c["source"]["url"].endswith("/herald/") for c in herald)
    assert any(c["category"] == "Sport" for c in cards)


def test_errors_have_one_shape(deployment: Deployment) -> None:
    for path, status in [
        ("/api/v1/articles?limit=0", 400),
        ("/api/v1/articles?limit=101", 400),
        ("/api/v1/articles?limit=abc", 400),
        ("/api/v1/articles?cursor=%%%bad", 400),
        ("/api/v1/tags/NoSuchTag", 404),
        ("/api/v1/articles/999999", 404),
        ("/api/v1/articles/abc", 400),
        ("/api/v1/stories/0", 404),
    ]:
        response = deployment.api.get(path)
        assert response.status_code == status, path
        error = response.json()["error"]
        assert error["status"] == status and error["code"] in {"bad_request", "not_found"}
        assert error["message"]


def test_atom_feed_has_one_entry_per_card(deployment: Deployment) -> None:
    response = deployment.api.get("/tags/ElenaMarchetti.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    cards = deployment.api.get("/api/v1/tags/ElenaMarchetti?limit=50").json()["articles"]
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == [c["title"] for c in cards]
    assert root.findtext("a:title", namespaces=ns) == "Latest news with #ElenaMarchetti"


def test_tag_page_for_people(deployment: Deployment) -> None:
    html = deployment.api.get("/tags/elenamarchetti", headers={"Accept": "text/html"}).text
    assert "<h1>Latest news with #ElenaMarchetti</h1>" in html
    assert "hours ago" in html and '<time lang="en" datetime="' in html
    assert "Harbour Herald" in html


def test_home_article_and_sources_pages(deployment: Deployment) -> None:
    home = deployment.api.get("/", headers={"Accept": "text/html"}).text
    assert "Latest news" in home and "#ElenaMarchetti" in home
    card = _by_path(_all_cards(deployment.api), EVENT_PATHS[1])
    page = deployment.api.get(f"/articles/{card['id']}", headers={"Accept": "text/html"}).text
    assert card["url"] in page and "Read the original" in page
    sources = deployment.api.get("/api/v1/sources").json()["sources"]
    errors = {s["name"]: s["last_error"] for s in sources}
    assert "HTTP 404" in errors["Gone Gazette"]
    assert "not a public address" in errors["Private Press"]
    assert errors["Harbour Herald"] is None
    listing = deployment.api.get("/sources", headers={"Accept": "text/html"}).text
    assert "not a public address" in listing
    assert deployment.api.get("/docs").status_code == 200


def test_second_pass_changes_nothing(deployment: Deployment) -> None:
    before = deployment.api.get("/healthz").json()["counts"]
    out = _ingest(deployment.env, deployment.sources, deployment.db)
    assert "0 new articles, 0 duplicates folded" in out
    assert deployment.api.get("/healthz").json()["counts"] == before


def test_pages_group_a_story_under_its_first_card(deployment: Deployment) -> None:
    html = deployment.api.get("/tags/ElenaMarchetti", headers={"Accept": "text/html"}).text
    assert html.count('class="card"') == 1, "the four event articles are one group"
    assert "Also covered by" in html and "and 1 more" in html
    home = deployment.api.get("/", headers={"Accept": "text/html"}).text
    assert home.count('<ul class="others">') >= 1


def test_article_page_names_where_else_it_was_published(deployment: Deployment) -> None:
    cards = _all_cards(deployment.api)
    first, second = (deployment.site.base_url + p for p in DUPLICATE_PATHS)
    (survivor,) = [c for c in cards if c["url"] in {first, second}]
    page = deployment.api.get(f"/articles/{survivor['id']}", headers={"Accept": "text/html"})
    assert "Also published by" in page.text
    assert survivor["duplicates"][0] in page.text


def test_every_grouping_can_be_explained(deployment: Deployment) -> None:
    cards = _all_cards(deployment.api)
    event = [_by_path(cards, p) for p in EVENT_PATHS]
    why = [deployment.api.get(f"/api/v1/articles/{c['id']}/story").json() for c in event]
    assert sorted(w["decision"] for w in why) == ["joined", "joined", "joined", "started"]
    for w in why:
        assert w["story_id"] == event[0]["story_id"] and w["merges"] == []
        if w["decision"] == "joined":
            assert w["score"] >= 0.3 and 0 < w["text_similarity"] <= 1
            assert 0 < w["meaning_similarity"] <= 1  # of the headline and the story's mean
            assert "ElenaMarchetti" in w["shared_tags"]


def test_names_with_diacritics_keep_them_in_tags(deployment: Deployment) -> None:
    body = deployment.api.get("/api/v1/tags/ZoëMüller").json()
    assert body["tag"] == {"slug": "ZoëMüller", "name": "Zoë Müller", "kind": "person"}
    assert deployment.api.get("/api/v1/tags/zoëmüller").json()["tag"]["slug"] == "ZoëMüller"
    assert deployment.api.get("/tags/ZoëMüller.atom").status_code == 200


def test_why_an_article_carries_a_tag(deployment: Deployment) -> None:
    cards = _all_cards(deployment.api)
    card = _by_path(cards, EVENT_PATHS[0])
    why = deployment.api.get(f"/api/v1/articles/{card['id']}/tags/elenamarchetti").json()
    assert why["tag"]["slug"] == "ElenaMarchetti" and why["rank"] is not None
    rules = {m["surface"]: m["rule"] for m in why["mentions"]}
    assert rules["Elena Marchetti"] == "as written"
    assert rules["Marchetti"] == "one part of the full name used earlier in the article"
    assert all(m["context"] for m in why["mentions"])
    missing = deployment.api.get(f"/api/v1/articles/{card['id']}/tags/ZoëMüller")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_related_tags_timeline_and_trending(deployment: Deployment) -> None:
    related = deployment.api.get("/api/v1/tags/ElenaMarchetti/related").json()["related"]
    slugs = [r["slug"] for r in related]
    assert "HiroshiNakamura" in slugs[:3] and "ElenaMarchetti" not in slugs
    assert related[0]["shared_articles"] == 4
    days = deployment.api.get("/api/v1/tags/ElenaMarchetti/timeline").json()["days"]
    assert len(days) == 30 and sum(d["articles"] for d in days) == 4
    assert days == sorted(days, key=lambda d: d["date"])
    trending = deployment.api.get("/api/v1/trending").json()["tags"]
    assert "ElenaMarchetti" in [t["slug"] for t in trending]
    page = deployment.api.get("/tags/ElenaMarchetti", headers={"Accept": "text/html"}).text
    assert "Related:" in page and 'class="timeline"' in page
    home = deployment.api.get("/", headers={"Accept": "text/html"}).text
    assert "Trending" in home


def test_the_demos_tags_are_people_organisations_and_places_once(deployment: Deployment) -> None:
    """No tag glued to its kind ("CERNOrganization"), none that is a direction, an organism
    or an instrument, no person twice, and no entity twice on a card; a continent counts a
    fifth in "most active"."""
    tags = deployment.api.get("/api/v1/tags?limit=100").json()["tags"]
    slugs = [t["slug"] for t in tags]
    for slug in slugs:
        for kind in ("Person", "Organization", "Place"):
            assert not (slug.endswith(kind) and slug[: -len(kind)] in slugs), slug
    assert not {"Southeast", "Western", "North", "South"} & set(slugs)
    # An organism and an instrument are no people, organisations or places.
    for thing in ("Wolbachia", "LargeHadronCollider"):
        assert deployment.api.get(f"/api/v1/tags/{thing}").status_code == 404, thing
    # No person twice, by a surname alone beside the full name ("Nakamura", "HiroshiNakamura").
    people = [t["slug"] for t in tags if t["kind"] == "person"]
    for one in (p for p in people if not any(c.isupper() for c in p[1:])):
        assert not [p for p in people if p != one and p.endswith(one)], one
    assert all(t["kind"] in {"person", "organization", "place"} for t in tags)
    by_count = {t["slug"]: t["articles"] for t in tags}
    place = {t["slug"]: i for i, t in enumerate(tags)}
    assert by_count["Asia"] >= by_count["Geneva"] and place["Asia"] > place["Geneva"], slugs
    assert place["Asia"] > place["ElenaMarchetti"], slugs
    cards = deployment.api.get("/api/v1/articles?limit=100").json()["articles"]
    for card in cards:
        assert len(card["tags"]) == len({t.casefold() for t in card["tags"]})
