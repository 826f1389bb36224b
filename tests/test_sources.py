from __future__ import annotations

import re
from pathlib import Path

import pytest

from tagwire import sources
from tagwire.errors import SourcesFileError

ROOT = Path(__file__).resolve().parents[1]


def test_toml_sources(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("""
[[sources]]
name = "Example Herald"
url = "https://herald.example/"
feeds = ["https://herald.example/rss.xml"]
country = "nz"
region = "Oceania"
language = "EN"
category = "Politics"
""")
    (source,) = sources.load(path)
    assert source.name == "Example Herald" and source.feeds == ("https://herald.example/rss.xml",)
    assert (source.country, source.region, source.language) == ("NZ", "oceania", "en")
    assert source.category == "Politics"


def test_opml_outlines_sharing_a_site_are_one_source(tmp_path: Path) -> None:
    path = tmp_path / "list.xml"  # not *.opml: recognised by its root element
    path.write_text("""<?xml version="1.0"?>
<opml version="2.0"><body>
 <outline text="News">
  <outline text="Herald World" xmlUrl="https://herald.example/world.xml"
           htmlUrl="https://herald.example/" country="NZ" region="oceania" language="en"/>
  <outline title="Herald Sport" xmlUrl="https://herald.example/sport.xml"
           htmlUrl="https://herald.example/" category="Sport"/>
  <outline text="No site" xmlUrl="https://other.example/feed"/>
 </outline>
</body></opml>""")
    herald, other = sources.load(path)
    assert herald.feeds == ("https://herald.example/world.xml", "https://herald.example/sport.xml")
    assert herald.name == "Herald World" and herald.country == "NZ"
    assert other.url == "https://other.example/feed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[sources]]\nname='x'\nfeeds=['file:///etc/passwd']", "not an http"),
        ("[[sources]]\nname='x'\nfeeds=[]", "no feeds"),
        ("[[sources]]\nfeeds=['https://a.example/f']\nregion='mars'", "region must be"),
        ("[[sources]]\nfeeds=['https://a.example/f']\ncountry='NZL'", "alpha-2"),
        ("sources = 3", "expected [[sources]]"),
        ("[[sources]\n", "not valid TOML"),
    ],
)
def test_bad_sources_files_fail_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SourcesFileError, match=re.escape(message)):
        sources.load(path)


def test_opml_entity_expansion_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.opml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">'
        '<!ENTITY b "&a;&a;&a;">]><opml><body><outline text="&b;" '
        'xmlUrl="https://a.example/f"/></body></opml>'
    )
    with pytest.raises(SourcesFileError, match="OPML"):
        sources.load(path)


def test_default_world_list_covers_every_region() -> None:
    world = sources.load(ROOT / "sources" / "world.toml")
    assert len(world) >= 30
    assert {s.region for s in world} == set(sources.REGIONS)
    assert all(s.country and s.language for s in world)
