"""Extraction: the passes over the page's tree, the clean-up rules, their languages, the
fallback to the library's text, and metadata (the quality gates on real pages are in
test_quality_extraction.py)."""

from __future__ import annotations

import lxml.html
import pytest

from tagwire.cleanup import RULE_NAMES, clean_lines, clean_lines_traced
from tagwire.errors import ExtractError
from tagwire.extract import (
    Trace,
    choose_text,
    extract_page,
    fragment_text,
    join_split_bodies,
    prune_hidden,
    unwrap_layout_tables,
)

PAGE = """<!doctype html><html lang="en-GB"><head>
<title>Site | Talks resume</title>
<meta property="og:title" content="Talks resume in Geneva">
<meta property="og:site_name" content="Harbour Herald">
<meta property="og:image" content="/img/talks.png">
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2025-07-11T10:12:00+02:00">
<meta property="article:section" content="Politics">
<link rel="canonical" href="/2025/talks-resume">
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "x"}</script>
</head><body>
<nav><a href="/">Home</a><a href="/world">World</a><a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all</div>
<article><h1>Talks resume in Geneva</h1>
<p class="byline">By Jane Roe</p>
<figure><img src="/a.jpg">
<figcaption>Delegates arrive. (Photo: John Doe/Harbour Herald)</figcaption></figure>
<p>Negotiators from both countries returned to the table in Geneva on Monday, three months
after the last round of talks collapsed over tariffs on steel and farm goods.</p>
<div class="ad-slot"><p>Advertisement</p></div>
<p>Officials said the first session lasted six hours and ended with an agreement to meet
again on Wednesday, when working groups will present their drafts to the ministers.</p>
<div class="newsletter"><p>Sign up for our morning newsletter to get the news first.</p>
<form><input type="email"><button>Subscribe</button></form></div>
<p>Analysts cautioned that a final deal remained months away, but said the tone of the
meeting had been markedly warmer than at any point last year, according to people present.</p>
<p>Advertisement</p>
<p>The next round is expected to focus on agricultural quotas and on the timetable for
lifting the remaining duties, a point on which the two sides remain far apart.</p>
<div class="related-stories"><h3>Related stories</h3><ul><li><a href="/x">Tariffs explained
in ten charts for busy readers who want to know more</a></li></ul></div>
</article>
<footer>© 2025 Harbour Herald. All rights reserved.</footer>
</body></html>"""


def test_page_metadata_and_clean_text() -> None:
    page = extract_page(PAGE, "https://herald.example/world/talks?utm_source=rss")
    assert page.title == "Talks resume in Geneva"
    assert page.site_name == "Harbour Herald" and page.author == "Jane Roe"
    assert page.published_at is not None and page.published_at.isoformat() == (
        "2025-07-11T08:12:00+00:00"
    )
    assert page.canonical_url == "https://herald.example/2025/talks-resume"
    assert page.image == "https://herald.example/img/talks.png"
    assert page.categories == ("Politics",) and page.language == "en"
    assert "Negotiators from both countries" in page.text
    assert "lifting the remaining duties" in page.text
    for furniture in (
        "Advertisement",
        "newsletter",
        "Photo:",
        "Related stories",
        "cookies",
        "By Jane Roe",
        "All rights reserved",
    ):
        assert furniture not in page.text, furniture


def test_page_without_text_is_an_error() -> None:
    with pytest.raises(ExtractError, match="no article text"):
        extract_page("<html><body><nav>Home</nav></body></html>", "https://a.example/")


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "- Advertisement -",
        "Story continues below advertisement",
        "(AP Photo/Ahn Young-joon)",
        "Photo: AFP",
        "Image: Getty Images",
        "Sign up for our daily newsletter",
        "Related:",
        "Read more",
        "RELATED STORIES",
    ],
)
def test_furniture_lines_are_removed(line: str) -> None:
    text = f"First real sentence of the story.\n{line}\nSecond real sentence of the story."
    assert clean_lines(text) == (
        "First real sentence of the story.\nSecond real sentence of the story."
    )


def test_inline_photo_credit_is_cut_but_sentence_kept() -> None:
    cleaned = clean_lines("Kim arrives at the summit (AP Photo/Lee Jin-man) in Seoul.")
    assert cleaned == "Kim arrives at the summit in Seoul."


def test_feed_content_fragment() -> None:
    html = (
        "<p>One <b>bold</b> paragraph.</p><div class='ad-slot'>Advertisement</div>"
        "<ul><li>Item</li></ul><script>alert(1)</script>"
    )
    assert fragment_text(html) == "One bold paragraph.\nItem"


@pytest.mark.parametrize(
    ("line", "language"),
    [
        ("Advertisement", "de"),  # an English label on a German page is not ours to judge
        ("Read more", "fr"),
        ("By Jane Roe", "es"),
        ("Photo: AFP", "pl"),
    ],
)
def test_english_rules_do_not_fire_on_other_languages(line: str, language: str) -> None:
    text = f"Erste Zeile.\n{line}\nZweite Zeile."
    assert line in clean_lines(text, language=language)
    assert line not in clean_lines(text, language="en")


@pytest.mark.parametrize(
    ("line", "language", "rule"),
    [
        ("Lea también: Impiden ingreso a Nicaragua a reportero", "es", "see-also-es"),
        ("Lesen Sie hier: Spielabbruch in der Kreisliga", "de", "see-also-de"),
        ("Weitere Themen", "de", "related-heading-de"),
        ("Titelbild: Geyres Christophe/ABACA/picture-alliance", "de", "picture-credit-de"),
        ("© Oli Scarff/Getty Images", "en", "copyright-line"),
        ("Teilen mit:", "de", "widget-de"),
        ("Weitere Informationen:", "de", "box-label-de"),
        ("23.10.2018", "de", "date-line"),
        ("Follow The Gleaner on Twitter and Instagram @JamaicaGleaner", "en", "follow-promo-en"),
        ("Síguenos en Telegram, Instagram y Facebook", "es", "follow-promo-es"),
        ("Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik.", "en", "contact-en"),
        ("If you buy something through this post, IGN may get a share.", "en", "affiliate-en"),
        ("Fox News’ Jessica Napoli contributed to this report.", "en", "contributors-en"),
        ("SEE MORE: Hong Kong protests: 800 students under siege", "en", "see-also-en"),
        ("DON'T MISS", "en", "related-heading-en"),
        ("Have a tip? Amy Roe may be reached at aroe@example.com.", "en", "contact-en"),
        ("Write to Al Root at allen.root@dowjones.com", "en", "contact-en"),
        ("Like this story? Share it with a friend!", "en", "follow-promo-en"),
        ("UPDATED: Tue., Nov. 19, 2019", "en", "stamp-en"),
        ("- - Actualizado: 29/4/2022 - 12:00 am", "es", "stamp-es"),
        ("CLICK HERE TO GET THE FOX NEWS APP", "en", "app-promo-en"),
        ("There was an error processing your subscription.", "en", "form-status-en"),
        ("Tell us what YOU think...", "en", "comments-heading-en"),
        ("Tempo de leitura: 2 minutos", "pt", "reading-time"),
        ("Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved", "en", "copyright-line"),
    ],
)
def test_each_language_has_its_own_rules(line: str, language: str, rule: str) -> None:
    text = f"Der erste Satz.\n{line}\nDer zweite Satz."
    cleaned, removed = clean_lines_traced(text, language=language)
    assert cleaned == "Der erste Satz.\nDer zweite Satz."
    assert [r.rule for r in removed] == [rule]
    # the same words in another language's text are left alone
    if rule not in NEUTRAL:
        assert line in clean_lines(text, language="ja")


NEUTRAL = ("copyright-line", "date-line", "reading-time")  # rules that fire in every language


def test_sentences_that_merely_start_like_furniture_are_kept() -> None:
    text = (
        "Read more about the reform in the minister's statement, published on Tuesday.\n"
        "Weitere Themen der Sitzung waren der Haushalt und die Schulen der Stadt.\n"
        "Photo: the minister arrives at the summit in Seoul and greets the delegates warmly.\n"
        "Kontakt: Frau Meier beantwortet Ihre Fragen gern unter der bekannten Nummer.\n"
        "Follow the river north for two miles and you reach the old mill on the left.\n"
        "Published in 1999, the book sold a million copies across Europe and Asia.\n"
        "Click here, the guide said, and the app opened on the phone of every visitor.\n"
        "Her colleagues contributed to the fund that paid for the new school roof."
    )
    assert clean_lines(text, language="en") == text
    assert clean_lines(text, language="de") == text


def test_clean_up_that_takes_too_much_falls_back_to_the_library_text() -> None:
    library = "Read more\nAdvertisement\n" * 6 + "Only one short line of real text here."
    assert choose_text(library, None, "en") == _lines(library)
    assert choose_text(library, None, "en", fallback_share=0.0) == (
        "Only one short line of real text here."
    )


def test_menu_sized_library_text_is_no_text() -> None:
    assert choose_text("Home\nWorld\nSport", None, "en") == ""


def test_trace_attributes_every_removed_line() -> None:
    traces: list[Trace] = []
    page = extract_page(PAGE, "https://herald.example/world/talks", on_trace=traces.append)
    (trace,) = traces
    assert not trace.fell_back and trace.language == "en"
    assert {r.rule for r in trace.removed} >= {"ad-label"}
    assert all(r.rule in RULE_NAMES for r in trace.removed)
    assert "Advertisement" in trace.library and "Advertisement" not in page.text


@pytest.mark.parametrize(
    "title",
    [
        "Talks resume in Geneva",
        "Talks resume in Geneva | Harbour Herald",
        "Opinion | Talks Resume in Geneva",
        "Talks resume in Geneva - Harbour Herald",
    ],
)
def test_headline_repeated_as_first_line_goes_whatever_the_site_suffix(title: str) -> None:
    text = "‘Talks resume’ in Geneva\nNegotiators returned to the table on Monday."
    cleaned, removed = clean_lines_traced(text, title, "en")
    assert cleaned == "Negotiators returned to the table on Monday."
    assert [r.rule for r in removed] == ["title-repeat"]


def test_a_line_that_only_starts_like_the_title_is_kept() -> None:
    text = "Talks resume in Geneva after three months of silence between the two sides."
    assert clean_lines(text, "Talks resume in Geneva | Harbour Herald", "en") == text


ARTICLE = "".join(
    f"<p>Paragraph {n} of the article tells the reader something new about the talks in "
    f"Geneva, and it is long enough to count as prose for any extractor.</p>"
    for n in range(1, 5)
)


def _page(body: str) -> str:
    return (
        "<html lang='en'><head><meta property='og:title' content='Talks'></head>"
        f"<body>{body}</body></html>"
    )


def test_hidden_metadata_block_is_not_text() -> None:
    hidden = (
        "<div style='display: none' itemscope><div itemprop='headline'>Talks in Geneva"
        "</div><div itemprop='datePublished'>2019-11-19T08:57:40+01:00</div>"
        "<div itemprop='url'>https://static.example/talks.jpg</div></div>"
    )
    root = lxml.html.fromstring(_page(f"<article>{ARTICLE}{hidden}</article>"))
    prune_hidden(root)
    assert "Paragraph 4 of the article" in root.text_content()
    assert "2019-11-19T08:57:40" not in root.text_content()
    assert not root.xpath("//*[@itemscope]")


def test_a_page_that_hides_its_whole_body_keeps_it() -> None:
    root = lxml.html.fromstring(
        f"<html><body><div hidden><article>{ARTICLE}</article></div>"
        "<p style='visibility:hidden'>Loading</p></body></html>"
    )
    prune_hidden(root)
    assert "Paragraph 4 of the article" in root.text_content()
    assert "Loading" not in root.text_content()


SPLIT = (
    "<main><div class='grid'><div class='article__body'>{first}</div><aside></aside></div>"
    "<div class='ad-row'>{between}</div>"
    "<div class='grid'><div class='article__body'>{second}</div><aside></aside></div></main>"
)
FIRST = "<p>The first half of the story, before the advert.</p><p>It goes on here.</p>"
SECOND = "<p>The second half of the story, after the advert.</p><p>And it ends.</p>"


def test_a_body_split_by_an_ad_row_is_joined() -> None:
    root = lxml.html.fromstring(SPLIT.format(first=FIRST, second=SECOND, between="Advertisement"))
    join_split_bodies(root)
    (first, second) = root.find_class("article__body")
    assert "after the advert" in first.text_content()
    assert second.text_content() == ""


def test_sections_under_their_own_headings_are_not_joined() -> None:
    between = "<h2>What happens next</h2>"
    root = lxml.html.fromstring(SPLIT.format(first=FIRST, second=SECOND, between=between))
    join_split_bodies(root)
    (first, second) = root.find_class("article__body")
    assert "after the advert" not in first.text_content()
    assert "after the advert" in second.text_content()


def test_a_layout_table_becomes_blocks_and_a_data_table_stays() -> None:
    root = lxml.html.fromstring(
        f"<html><body><table><tr><td>{ARTICLE}</td><td>Top stories</td></tr></table>"
        "<table id='data'><tr><th>Team</th><td><p>Points</p></td></tr></table></body></html>"
    )
    unwrap_layout_tables(root)
    assert [t.get("id") for t in root.iter("table")] == ["data"]
    assert len(root.xpath("//td")) == 1


def test_article_in_a_layout_table_is_not_one_line_with_its_sidebar() -> None:
    sidebar = "<td><ul>" + "<li><a href='/x'>Another headline about sport</a></li>" * 5
    html = _page(f"<table><tr><td>{ARTICLE}</td>{sidebar}</ul></td></tr></table>")
    page = extract_page(html, "https://a.example/")
    lines = page.text.splitlines()
    assert any(line.startswith("Paragraph 1 of the article") for line in lines)
    assert not any("Paragraph 1" in line and "Another headline" in line for line in lines)


def _lines(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line)


def test_a_hidden_article_is_weighed_without_the_page_scripts() -> None:
    # the page's inline state (a script) is far larger than its article: the article is
    # still most of what a reader could see, and stays
    state = "<script>window.__STATE__ = {" + "'key': 'value', " * 500 + "}</script>"
    html = _page(f"{state}<div style='display:none'><article>{ARTICLE}</article></div>")
    assert "Paragraph 4 of the article" in extract_page(html, "https://a.example/").text
