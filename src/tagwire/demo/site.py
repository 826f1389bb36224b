"""A fictional publisher site: five news outlets, five feed formats, one local HTTP server.

Used by the tests and by ``make demo``. Every publisher, reporter and most people quoted are
invented; the countries, cities and organisations are real. All times are relative to the
site's ``now`` (default: the moment the :class:`PublisherSite` is built), so the demo always
looks fresh.

Run it: ``python -m tagwire.demo.site --port 8001 --write-sources demo-sources.toml``.

Publishers (each is its own "site" under a path prefix; paths below are relative to the
base URL returned by :meth:`PublisherSite.start`):

==================  ======  =========  ==========  ====================================
name                prefix  country    region      feed (format, Content-Type)
==================  ======  =========  ==========  ====================================
Harbour Herald      herald  NZ         oceania     /herald/rss.xml   RSS 2.0, full article
                                                   HTML in ``content:encoded``,
                                                   ``<category>``; application/rss+xml
Lakeside Ledger     ledger  CH         europe      /ledger/atom.xml  Atom 1.0, ``<summary>``
                                                   only, ``<category term>``;
                                                   application/atom+xml
Meridian Daily      meridian US        americas    /meridian/feed.json JSON Feed 1.1,
                                                   ``summary`` + ``url`` only (no content),
                                                   ``tags``; application/feed+json
Rift Valley Courier courier KE         africa      /courier/index.rdf RSS 1.0 (RDF),
                                                   ``dc:date``, ``dc:subject``;
                                                   application/rdf+xml
The Lantern Post    lantern SG         asia        /lantern/rss.xml  RSS 0.91, no dates in
                                                   the feed (only on the pages);
                                                   application/rss+xml
==================  ======  =========  ==========  ====================================

All feeds send ``ETag`` and ``Last-Modified`` and answer ``304`` to a matching
``If-None-Match`` (or, without it, ``If-Modified-Since``); so do pages and images.
``/robots.txt`` allows everything; unknown paths get a 404 HTML page. ``/`` is an index of the
publishers and ``/sources.toml`` is :func:`sources_toml` for this server.

Every article page has ``<link rel="canonical">`` (to itself, without query string),
``og:title``, ``og:site_name``, ``og:url``, ``og:image`` (an absolute URL of a small PNG
served under ``/<prefix>/images/``), ``<meta name="author">``,
``article:published_time`` (RFC 3339), JSON-LD ``NewsArticle`` (headline, datePublished,
author); pages of all publishers except The Lantern Post also carry ``article:section``.
Around the article: a cookie banner, a ``<header>`` with a nav menu, inline ``<script>``,
a footer with copyright. In the ``<article>``: ``<h1>``, a byline paragraph
("By Megan Thornton, Harbour Herald"), a ``<figure>`` whose ``<figcaption>`` ends with a
photo credit "(Photo: Name/Publisher)", the body paragraphs, in several articles an ad slot
``<div class="ad-slot"><p>Advertisement</p></div>``, a newsletter box
(``<div class="newsletter-signup">`` with a form; "Sign up for our morning newsletter ...")
and at the end ``<aside class="related-stories">`` "Related stories" with links.

Facts the tests rely on
-----------------------
a) ONE EVENT, FOUR PUBLISHERS (:data:`EVENT_PATHS`): a one-day summit in Geneva, at the
   World Trade Organization, between Italy's President Elena Marchetti and Japan's Prime
   Minister Hiroshi Nakamura: a deal to phase out tariffs on wine, cars and machinery and a
   joint call to restore the WTO's appeals body; follow-up talks in Osaka. Each text says
   "President Elena Marchetti" at first mention, then "Marchetti"; all four name
   "Hiroshi Nakamura", "World Trade Organization", "Geneva", "Italy" and "Japan". Written
   independently, published 5h, 4h20m, 3h40m and 2h30m before ``now``:

   - /herald/world/marchetti-nakamura-geneva-summit-tariff-truce
     "Marchetti and Nakamura strike tariff truce at Geneva summit" (Harbour Herald, RSS 2.0)
   - /ledger/international/geneva-summit-italy-japan-wto-reform
     "Geneva summit: Italy and Japan pledge to revive WTO dispute settlement"
     (Lakeside Ledger, Atom; also quotes WTO Director-General Anna Lindqvist)
   - /meridian/world/italy-japan-leaders-cut-car-wine-tariffs-geneva
     "Italian, Japanese leaders agree to cut car and wine tariffs in Geneva"
     (Meridian Daily, JSON Feed)
   - /courier/world/rome-tokyo-leaders-geneva-wto-reform-africa
     "Rome and Tokyo leaders meet in Geneva, back WTO reform sought by Africa"
     (Rift Valley Courier, RSS 1.0)

b) ONE ARTICLE PUBLISHED TWICE (:data:`DUPLICATE_PATHS`), both in the Lakeside Ledger's Atom
   feed (summary only, so the pages must be fetched):

   - /ledger/economy/us-china-trade-talks-resume-in-geneva-10482, 10h before ``now``,
     "US-China trade talks resume in Geneva"
   - /ledger/economy/us-china-trade-talks-resume-geneva-10517, 7h before ``now``,
     "US, China trade talks resume in Geneva"

   Titles differ only in punctuation; the body paragraphs are identical; the second copy has
   one more ad slot and a different newsletter box ("Get breaking news alerts" instead of
   "Sign up for our morning newsletter"); each page's canonical link points to itself.
   People: US Trade Representative Michael Carver, Vice Premier Zhang Wei.

c) A FEED ITEM WHOSE PAGE IS MISSING (:data:`MISSING_PATH`): Meridian Daily's
   /meridian/politics/senate-panel-postpones-farm-bill-vote answers 404; its feed item has
   the title "Senate panel postpones vote on farm bill after late amendments" and a
   two-sentence summary (:data:`MISSING_SUMMARY`).

d) A TRACKING LINK (:data:`TRACKED_PATH`): Meridian Daily's feed links to
   /meridian/business/northwind-semiconductor-arizona-chip-plant?utm_source=rss&utm_medium=feed;
   the page (served with or without the query) says canonical = the clean URL.
   "Northwind Semiconductor to build $12 billion chip plant in Arizona".

e) Other topics, with real places and organisations and fictional people: rugby (All Blacks
   coach Ben Harrington), dairy business, physics at CERN, chips in Arizona, art in
   São Paulo, malaria vaccines in Kenya (World Health Organization), the Valencia Marathon,
   batteries and dengue in Singapore. Shared across publishers: "Chief executive Laura
   Bennett" of Pacific Rim Dairy, in the Harbour Herald
   (/herald/business/pacific-rim-dairy-profit-jumps-asian-demand) and The Lantern Post
   (/lantern/business/pacific-rim-dairy-opens-singapore-hub), two different events.

f) NON-ASCII NAMES (:data:`NON_ASCII_PATH`): /meridian/culture/sao-paulo-biennial-zoe-muller-canopy
   "São Paulo Biennial opens with Zoë Müller's rainforest sound installation" (also
   "Zürich", "Belém", "Tapajós", "José Antônio Ribeiro", byline "Lucía Fernández").

17 feed items, 16 article pages (each 250-600 words of body text).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import socketserver
import struct
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import urlsplit

__all__ = [
    "DUPLICATE_PATHS",
    "EVENT_PATHS",
    "MISSING_PATH",
    "MISSING_SUMMARY",
    "NON_ASCII_PATH",
    "SHARED_PERSON_PATHS",
    "TRACKED_PATH",
    "TRACKING_QUERY",
    "PublisherSite",
    "main",
    "sources_toml",
]

EVENT_PATHS: tuple[str, ...] = (
    "/herald/world/marchetti-nakamura-geneva-summit-tariff-truce",
    "/ledger/international/geneva-summit-italy-japan-wto-reform",
    "/meridian/world/italy-japan-leaders-cut-car-wine-tariffs-geneva",
    "/courier/world/rome-tokyo-leaders-geneva-wto-reform-africa",
)
DUPLICATE_PATHS: tuple[str, str] = (
    "/ledger/economy/us-china-trade-talks-resume-in-geneva-10482",
    "/ledger/economy/us-china-trade-talks-resume-geneva-10517",
)
MISSING_PATH = "/meridian/politics/senate-panel-postpones-farm-bill-vote"
MISSING_SUMMARY = (
    "The Senate Agriculture Committee delayed its vote on a five-year farm bill after members "
    "filed more than 40 late amendments. The committee's chair said the vote would be "
    "rescheduled for next week."
)
TRACKED_PATH = "/meridian/business/northwind-semiconductor-arizona-chip-plant"
TRACKING_QUERY = "utm_source=rss&utm_medium=feed"
NON_ASCII_PATH = "/meridian/culture/sao-paulo-biennial-zoe-muller-canopy"
SHARED_PERSON_PATHS: tuple[str, str] = (
    "/herald/business/pacific-rim-dairy-profit-jumps-asian-demand",
    "/lantern/business/pacific-rim-dairy-opens-singapore-hub",
)


@dataclass(frozen=True, slots=True)
class Publisher:
    key: str  # path prefix
    name: str
    company: str
    country: str
    region: str
    kind: str  # rss2 | atom | jsonfeed | rss1 | rss091
    feed: str  # file name under the prefix
    description: str
    language_tag: str
    colour: tuple[int, int, int]
    sections: tuple[str, ...]
    has_section_meta: bool = True


@dataclass(frozen=True, slots=True)
class Article:
    publisher: str
    slug: str  # path under the prefix, without slashes at either end
    title: str
    summary: str
    author: str
    photographer: str
    caption: str
    age: timedelta
    text: str  # paragraphs separated by blank lines
    section: str | None = None
    tags: tuple[str, ...] = ()
    ads: tuple[int, ...] = ()  # an ad slot after this many paragraphs
    newsletter: str = "morning"  # morning | alerts
    feed_query: str = ""
    served: bool = True
    group: str = ""  # copies of one article share a group; related lists skip each other

    @property
    def path(self) -> str:
        return f"/{self.publisher}/{self.slug}"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(" ".join(block.split()) for block in self.text.strip().split("\n\n"))


PUBLISHERS: tuple[Publisher, ...] = (
    Publisher(
        "herald",
        "Harbour Herald",
        "Harbour Herald Media Ltd",
        "NZ",
        "oceania",
        "rss2",
        "rss.xml",
        "News from Auckland, Aotearoa New Zealand and the world",
        "en-NZ",
        (0, 70, 127),
        ("World", "New Zealand", "Business", "Sport", "Opinion"),
    ),
    Publisher(
        "ledger",
        "Lakeside Ledger",
        "Lakeside Ledger SA",
        "CH",
        "europe",
        "atom",
        "atom.xml",
        "Geneva's English-language daily",
        "en",
        (122, 28, 38),
        ("International", "Economy", "Science", "Geneva", "Culture"),
    ),
    Publisher(
        "meridian",
        "Meridian Daily",
        "Meridian Media Group",
        "US",
        "americas",
        "jsonfeed",
        "feed.json",
        "National and world news, business and culture",
        "en-US",
        (20, 20, 20),
        ("World", "Politics", "Business", "Culture", "Opinion"),
    ),
    Publisher(
        "courier",
        "Rift Valley Courier",
        "Rift Valley Publishing Ltd",
        "KE",
        "africa",
        "rss1",
        "index.rdf",
        "Kenya and East Africa's independent voice",
        "en-KE",
        (0, 107, 63),
        ("World", "Kenya", "Health", "Sport", "Business"),
    ),
    Publisher(
        "lantern",
        "The Lantern Post",
        "Lantern Post Pte Ltd",
        "SG",
        "asia",
        "rss091",
        "rss.xml",
        "Singapore and South-east Asia",
        "en-SG",
        (196, 98, 16),
        ("Singapore", "Asia", "Business", "Tech", "Health"),
        has_section_meta=False,
    ),
)

_H, _M = timedelta(hours=1), timedelta(minutes=1)

ARTICLES: tuple[Article, ...] = (
    # ---------------------------------------------------------------- Harbour Herald, RSS 2.0
    Article(
        publisher="herald",
        slug="world/marchetti-nakamura-geneva-summit-tariff-truce",
        title="Marchetti and Nakamura strike tariff truce at Geneva summit",
        summary=(
            "Italy's President Elena Marchetti and Japan's Prime Minister Hiroshi Nakamura "
            "agreed in Geneva to phase out tariffs on cars, wine and machinery, a deal New "
            "Zealand exporters say they will watch closely."
        ),
        author="Megan Thornton",
        photographer="Luca Ferraro",
        caption=(
            "President Elena Marchetti and Prime Minister Hiroshi Nakamura shake hands at the "
            "World Trade Organization headquarters in Geneva."
        ),
        age=5 * _H,
        section="World",
        tags=("World", "Politics", "Trade"),
        ads=(4,),
        text="""
Italian President Elena Marchetti and Japanese Prime Minister Hiroshi Nakamura have agreed to
phase out tariffs on cars, wine and industrial machinery over five years, ending a dispute
that has soured relations between the two economies since last spring.

The deal was sealed after almost six hours of talks at the headquarters of the World Trade
Organization in Geneva, where the two leaders appeared together before reporters in the early
afternoon.

“This is not a favour Italy is doing for Japan, or Japan for Italy,” Marchetti said. “It is a
recognition that our factories, our farmers and our workers are stronger when they trade
freely.”

Nakamura said Japan would cut its remaining duties on Italian wine to zero within three years
and remove charges on Italian farm machinery by the end of the decade. In return, Italy will
press the European Union to accelerate cuts to tariffs on Japanese hybrid vehicles and
components.

The two leaders also issued a joint statement calling on members of the World Trade
Organization to restore its appeals body, which has been unable to hear cases for several
years because of a deadlock over the appointment of judges.

In Wellington, Trade Minister Rachel Donovan said New Zealand exporters would be watching the
details closely. “Any agreement that lowers barriers for wine and agricultural machinery in
two of the world's largest markets matters to us, because it sets the benchmark our producers
will be measured against,” she said.

The industry group New Zealand Winegrowers said its members already competed with Italian
labels in Tokyo and Osaka, and that a zero tariff for Italy could put pressure on prices
unless New Zealand secured similar terms in its own negotiations.

Analysts said the summit was as much about politics as trade. Marchetti, who has made closer
ties with Asia a theme of her presidency, is expected to travel to Tokyo next year, while
Nakamura faces pressure at home to show that his government can open new markets for
Japanese manufacturers.

Officials said negotiators would meet again in Osaka in the spring to finalise the legal
text, which must then be approved by both parliaments.
""",
    ),
    Article(
        publisher="herald",
        slug="sport/all-blacks-harrington-names-uncapped-flanker",
        title="All Blacks coach Ben Harrington names uncapped flanker for northern tour",
        summary=(
            "Canterbury's Liam Prescott is one of four new faces in a 36-man squad for tests "
            "against Ireland, Wales and France."
        ),
        author="Tom Gallagher",
        photographer="Jane Roe",
        caption="Liam Prescott on the charge for Canterbury in Christchurch.",
        age=22 * _H,
        section="Sport",
        tags=("Sport", "Rugby"),
        text="""
All Blacks coach Ben Harrington has named uncapped Canterbury flanker Liam Prescott in a
36-man squad for the northern hemisphere tour, rewarding a breakout season in which the
22-year-old topped the domestic competition for turnovers won.

Prescott is one of four new faces in the squad, alongside Waikato lock Jack Morrison, Otago
halfback Ethan Cole and Wellington wing Noah Fifita. All four were part of the New Zealand
under-20 side that reached the world championship final three years ago.

The All Blacks will play Ireland in Dublin, Wales in Cardiff and France in Paris over three
consecutive weekends, with a midweek match against a Barbarians invitation side in London.

“Liam has earned this. He's relentless over the ball, he makes good decisions under pressure
and he has the engine to play eighty minutes at test intensity,” Harrington said at the squad
announcement in Auckland. “We're going to three of the hardest places in world rugby, and we
need players who want to be there.”

Captain James Whitcombe returns after missing the Rugby Championship with a shoulder injury,
and Harrington confirmed that the veteran number eight would lead the side in Dublin if he
came through training without a setback.

There was no place for experienced centre Matt Reardon, who has played only twice since
knee surgery earlier this year. New Zealand Rugby said Reardon would stay at home to continue his
rehabilitation with the Blues medical staff.

Prescott, who grew up on a sheep and beef farm near Ashburton, said he had learned of his
selection in a phone call from Harrington while he was helping his father move stock. “I
had to sit down on the quad bike for a minute,” he said. “Dad just told me to finish the job
first.”

The squad will assemble in Auckland at the weekend and fly to Dublin the following day. Ticket
sellers in Ireland say the match at Aviva Stadium has been sold out for months.
""",
    ),
    Article(
        publisher="herald",
        slug="business/pacific-rim-dairy-profit-jumps-asian-demand",
        title="Pacific Rim Dairy profit jumps on strong Asian demand",
        summary=(
            "The Hamilton-based dairy exporter lifted annual profit 18 per cent and will open "
            "a regional hub in Singapore this week."
        ),
        author="Hannah Lee",
        photographer="Mark Tipene",
        caption="Milk powder is packed for export at Pacific Rim Dairy's plant near Hamilton.",
        age=30 * _H,
        section="Business",
        tags=("Business", "Dairy", "Markets"),
        ads=(3,),
        text="""
Pacific Rim Dairy has reported an 18 per cent rise in annual profit to $412 million, helped by
strong demand for infant formula and specialty milk powders in China and South-east Asia.

Chief executive Laura Bennett said the Hamilton-based company had benefited from a shift in
its sales towards higher-value products, which now make up almost half of revenue, up from a
third three years ago.

“We have stopped thinking of ourselves as a commodity exporter,” Bennett told analysts on a
call after the result. “Our customers in Shanghai, Jakarta and Manila are paying for quality
and traceability, and that is where the margin is.”

The company will formally open a regional headquarters and innovation centre in Singapore
this week, to be closer to customers and distributors in South-east Asia. About 60 staff
will be based there, including a team of food scientists.

The result will allow the cooperative to pay its 2,400 supplying farmers a final price of
$9.10 per kilogram of milk solids, above the industry average for the season. Federated
Farmers said the payout would be welcome news for farmers who had faced high interest rates
and rising feed costs.

Craig Dunn, an agribusiness analyst at Harbourside Securities in Auckland, said the company
had executed well but faced risks. “China's birth rate is falling, and infant formula has
been the engine of this business. The push into Singapore and the wider region is as much
about finding the next source of growth as it is about serving today's customers,” he said.

Bennett acknowledged the challenge and said the company was developing products for older
consumers, including high-protein milk drinks, which have sold well in Japan and South Korea.

Shares in Pacific Rim Dairy rose 4 per cent on the NZX after the announcement, their biggest
one-day gain this year.
""",
    ),
    # ------------------------------------------------------------------ Lakeside Ledger, Atom
    Article(
        publisher="ledger",
        slug="international/geneva-summit-italy-japan-wto-reform",
        title="Geneva summit: Italy and Japan pledge to revive WTO dispute settlement",
        summary=(
            "President Elena Marchetti and Prime Minister Hiroshi Nakamura used a rare "
            "bilateral summit at the World Trade Organization to demand an end to the "
            "deadlock over its appeals body."
        ),
        author="Claire Fontaine",
        photographer="Nicolas Berger",
        caption=(
            "Police close the Rue de Lausanne outside the Centre William Rappard ahead of the "
            "summit."
        ),
        age=4 * _H + 20 * _M,
        section="Politics",
        tags=("International", "Politics", "WTO"),
        ads=(3, 6),
        text="""
Traffic was halted along the lakefront and police boats patrolled the water as President
Elena Marchetti of Italy and Prime Minister Hiroshi Nakamura of Japan arrived at the Centre
William Rappard, the home of the World Trade Organization, for a summit that diplomats had
been preparing for months.

Inside, the two leaders went further than many in Geneva had expected. In a joint
declaration, Italy and Japan called on all members of the organisation to agree by the end of
next year on a reformed system for settling trade disputes, including a functioning appeals
stage.

“An umpire who cannot blow the whistle is not an umpire,” Marchetti told a news conference.
“If the rules cannot be enforced, the biggest economies will simply write their own.”

Director-General Anna Lindqvist, who hosted the meeting, welcomed the declaration and said
she would put it to the organisation's General Council at its next session. “When two
economies of this size put their names to a concrete timetable, it changes the conversation,”
Lindqvist said.

Nakamura said Japan was ready to fund technical assistance for developing countries that want
to bring cases but lack trade lawyers. He and Marchetti also confirmed an agreement to phase out
tariffs on Italian wine and Japanese cars, the headline result for domestic audiences in both
countries.

The summit brought one of the largest security operations in Geneva this year. The cantonal
police said about 900 officers were deployed, and several tram lines were diverted for most
of the day. Shopkeepers near the Palais Wilson complained of lost trade, but most said the
disruption had been shorter than feared.

Federal Councillor Thomas Egger, who met both leaders briefly before the talks, said the
choice of Geneva showed that the city remained “the natural meeting place when countries want
to repair the rules rather than break them.”

Trade experts cautioned that a declaration by two members could not by itself end the
deadlock, which has been caused by objections from the United States. But several delegations
said privately that the summit had given new momentum to talks that had all but stalled.
""",
    ),
    Article(
        publisher="ledger",
        slug="economy/us-china-trade-talks-resume-in-geneva-10482",
        title="US-China trade talks resume in Geneva",
        summary=(
            "Negotiators from the United States and China met in Geneva for the first time in "
            "four months to discuss tariffs on electronics and farm goods."
        ),
        author="Marc Dubois",
        photographer="Anne Rochat",
        caption="US Trade Representative Michael Carver arrives for the talks in Geneva.",
        age=10 * _H,
        section="Economy",
        tags=("Economy", "Trade"),
        ads=(4,),
        newsletter="morning",
        group="us-china-talks",
        text="""
Negotiators from the United States and China returned to the table in Geneva, four months
after talks on tariffs and export controls broke down amid mutual accusations of bad faith.

The American delegation is led by US Trade Representative Michael Carver, while Vice Premier
Zhang Wei heads the Chinese team. The two men shook hands briefly in front of cameras at a
villa on the lakeshore north of the city before the talks began behind closed doors.

Officials on both sides have played down expectations. A US official, who spoke on condition
of anonymity because the talks are private, said Washington wanted China to commit to larger
purchases of American soybeans and aircraft and to ease restrictions on US chipmakers.
Beijing is seeking relief from tariffs on electric vehicles, batteries and solar panels.

“We are here to listen and to see whether there is a basis for progress,” Carver told
reporters as he arrived. “There will be no agreement for the sake of an agreement.”

Zhang said in a statement released by the Chinese Ministry of Commerce that China was ready
for “candid and constructive” talks but would “firmly defend its legitimate development
interests.”

The resumption of talks lifted markets in Asia and Europe. The Swiss franc, often bought as a
safe haven during periods of trade tension, weakened slightly against the dollar, and shares
of European chip equipment makers gained.

Switzerland has offered its services as a neutral host for several rounds of US-China talks
in recent years. The Federal Department of Foreign Affairs said it was providing logistical
support but was not taking part in the negotiations.

Analysts said the most likely outcome was an agreement to extend a truce on new tariffs
rather than a broad deal. “Both sides need calm before the end of the year, but neither can
afford to be seen to give ground,” said Julia Hoffmann, a trade economist at the University
of St. Gallen.

The talks are scheduled to last two days. A joint statement, if there is one, is expected on
the second evening.
""",
    ),
    # The second copy: same body, another title punctuation, URL, ad slots and newsletter box.
    Article(
        publisher="ledger",
        slug="economy/us-china-trade-talks-resume-geneva-10517",
        title="US, China trade talks resume in Geneva",
        summary=(
            "Negotiators from the United States and China met in Geneva for the first time in "
            "four months to discuss tariffs on electronics and farm goods."
        ),
        author="Marc Dubois",
        photographer="Anne Rochat",
        caption="US Trade Representative Michael Carver arrives for the talks in Geneva.",
        age=7 * _H,
        section="Economy",
        tags=("Economy", "Trade"),
        ads=(2, 4),
        newsletter="alerts",
        group="us-china-talks",
        text="",  # filled in below from the first copy
    ),
    Article(
        publisher="ledger",
        slug="science/cern-physicists-report-excess-higgs-decays",
        title="CERN physicists report unexpected excess in rare Higgs boson decays",
        summary=(
            "Researchers at the Large Hadron Collider have seen more Higgs bosons decaying "
            "into pairs of muons than theory predicts, but caution the result may be a "
            "statistical fluke."
        ),
        author="Isabelle Moreau",
        photographer="Anne Rochat",
        caption="Part of one of the large detectors at the Large Hadron Collider near Geneva.",
        age=28 * _H,
        section="Science",
        tags=("Science", "Physics"),
        text="""
Physicists working at the Large Hadron Collider near Geneva have recorded more Higgs bosons
decaying into pairs of muons than theory predicts, a result that could hint at new physics
but which researchers say is far from conclusive.

The finding, presented at a seminar at CERN, the European Organization for Nuclear Research,
comes from data collected during the collider's current run. The excess has a statistical
significance of about 2.8 standard deviations, well short of the five needed to claim a
discovery.

“Nature has teased us like this before,” said Dr Sophie Laurent, a physicist at the
University of Geneva and one of the analysis coordinators. “We see a bump that is interesting
enough to talk about and not strong enough to believe. The only cure is more data.”

The Higgs boson, discovered at CERN in 2012, gives other fundamental particles their mass.
Its decay into muons, heavier cousins of the electron, is extremely rare: only about two in
every 10,000 Higgs bosons are expected to decay that way, which makes the measurement one of
the hardest at the collider.

Markus Brandt, a spokesperson for one of the two large detector collaborations, said the team
had spent more than a year checking the result for errors in calibration and background
estimates. “We have tried very hard to make it go away, and so far it has not,” he said.

Theorists were quick to offer explanations, from additional Higgs-like particles to subtle
effects of unknown forces. Others urged caution. Professor Richard Hale of Imperial College
London, who was not involved in the study, pointed out that similar excesses in the past had
faded as more collisions were analysed.

The collider is due to shut down for a major upgrade that will increase its collision rate
roughly tenfold. Researchers said the data already recorded would be enough to show within
months whether the excess grows or disappears.

CERN's member states, including Switzerland, France, Germany and Italy, are also debating
plans for a much larger successor machine, the Future Circular Collider, which would require
a tunnel of about 91 kilometres under the Geneva region and neighbouring France.
""",
    ),
    # ---------------------------------------------------------------- Meridian Daily, JSON Feed
    Article(
        publisher="meridian",
        slug="world/italy-japan-leaders-cut-car-wine-tariffs-geneva",
        title="Italian, Japanese leaders agree to cut car and wine tariffs in Geneva",
        summary=(
            "The tariff agreement between President Elena Marchetti and Prime Minister Hiroshi "
            "Nakamura lifted European car and drinks stocks and drew a cautious response from "
            "Washington."
        ),
        author="Jonathan Reyes",
        photographer="Sarah Klein",
        caption=(
            "Italian President Elena Marchetti speaks to reporters in Geneva after her meeting "
            "with Japan's prime minister."
        ),
        age=3 * _H + 40 * _M,
        section="World",
        tags=("World", "Trade", "Europe", "Asia"),
        ads=(3,),
        text="""
GENEVA — Italian President Elena Marchetti and Japanese Prime Minister Hiroshi Nakamura agreed
here to dismantle tariffs on cars, wine and factory equipment, a deal that lifted European
auto and beverage shares and drew a guarded response from Washington.

Under the agreement, announced at the headquarters of the World Trade Organization after a
day of talks, Japan will scrap its remaining duties on Italian wine and spirits within three
years. Italy, which negotiates tariffs as part of the European Union, said it would push
Brussels to speed up cuts on Japanese vehicles and parts.

“We came to Geneva to show that trade can still be a source of agreement rather than
conflict,” Marchetti said at a joint appearance with Nakamura. The Japanese leader called the
deal “a practical step that our companies can use from the first day.”

Investors welcomed the news. Shares of Italian carmakers and wine exporters rose in Milan, and
the Nikkei 225 index in Tokyo closed higher, led by parts suppliers. “It is a modest deal in
dollar terms, but it signals that the two governments want to keep markets open at a time
when many are going the other way,” said Karen Whitaker, chief economist at Harlow Capital in
New York.

In Washington, a spokesperson for the Office of the United States Trade Representative said
the administration was “studying the details” and would want assurances that the agreement
complied with the rules of the World Trade Organization. The statement did not comment on a
joint call by Marchetti and Nakamura to restore the organization's appeals body, which the
United States has blocked since 2019.

The leaders also agreed to set up a working group on semiconductors and critical minerals
and to hold a follow-up meeting in Osaka next spring.

For Marchetti, who has tried to present Italy as a bridge between Europe and Asia, the summit
offered a rare foreign-policy success ahead of a difficult budget season in Rome. Nakamura,
whose governing coalition has slipped in recent polls, is expected to promote the wine
concession as a win for Japanese consumers.
""",
    ),
    Article(
        publisher="meridian",
        slug="business/northwind-semiconductor-arizona-chip-plant",
        title="Northwind Semiconductor to build $12 billion chip plant in Arizona",
        summary=(
            "The Texas-based chipmaker said the factory near Phoenix would create about 3,000 "
            "jobs and begin production in 2028."
        ),
        author="Emily Carter",
        photographer="Sarah Klein",
        caption="The site of Northwind Semiconductor's planned factory in Chandler, Arizona.",
        age=9 * _H,
        section="Business",
        tags=("Business", "Technology"),
        ads=(4,),
        feed_query=TRACKING_QUERY,
        text="""
Northwind Semiconductor said it would invest $12 billion in a new chip factory outside
Phoenix, the largest manufacturing investment in the company's history and the latest in a
wave of projects aimed at bringing advanced chipmaking back to the United States.

Chief executive Robert Kessler announced the plan at an event in Chandler, Arizona, alongside
state officials and union leaders. The plant will make processors for data centers and cars
and is expected to employ about 3,000 people when it opens in 2028, the company said.

“Customers have told us very clearly that they want a supply of chips they can count on, made
close to where they build their products,” Kessler said. “Arizona gives us the skilled
workers, the water planning and the partners we need to do that.”

Northwind, based in Austin, Texas, will apply for federal grants and tax credits under the
CHIPS and Science Act, the 2022 law that set aside more than $50 billion to support domestic
semiconductor production. The company did not say how much public support it expected.

The announcement adds to a cluster of chip investments in the Phoenix area, where Taiwan
Semiconductor Manufacturing Company and Intel are already building or expanding plants.
Economists said competition for engineers and technicians in the region was intensifying.

“There are only so many experienced process engineers in the country, and everyone is trying
to hire the same people,” said Michelle Ortiz, a labor economist at Arizona State University.
She said community colleges in the region had expanded training programs but that it would
take years to meet demand.

Shares of Northwind rose 6% in New York trading. Analysts at several banks said the plan was
ambitious but that the company's strong cash position made it credible.

Water use remains a concern. Environmental groups have warned that chip factories consume
large volumes of water in a desert region already facing cuts to its supply from the
Colorado River. Northwind said the plant would recycle most of its water and that it had
signed an agreement with the city to use treated wastewater.
""",
    ),
    Article(
        publisher="meridian",
        slug="politics/senate-panel-postpones-farm-bill-vote",
        title="Senate panel postpones vote on farm bill after late amendments",
        summary=MISSING_SUMMARY,
        author="Jonathan Reyes",
        photographer="Sarah Klein",
        caption="",
        age=6 * _H,
        section="Politics",
        tags=("Politics", "Agriculture"),
        served=False,
        text="",
    ),
    Article(
        publisher="meridian",
        slug="culture/sao-paulo-biennial-zoe-muller-canopy",
        title="São Paulo Biennial opens with Zoë Müller's rainforest sound installation",
        summary=(
            "The Swiss artist's work, built from 600 hours of recordings in the Amazon, is the "
            "centerpiece of this year's exhibition in Ibirapuera Park."
        ),
        author="Lucía Fernández",
        photographer="João Pereira",
        caption=(
            "Visitors walk among the loudspeakers of Zoë Müller's “Canopy” at the São Paulo "
            "Biennial."
        ),
        age=20 * _H,
        section="Culture",
        tags=("Culture", "Arts", "Brazil"),
        ads=(3,),
        text="""
The São Paulo Biennial opened to the public with a work that visitors hear before they see: a
vast sound installation by the Swiss artist Zoë Müller, built from more than 600 hours of
recordings made in the Amazon rainforest.

The piece, titled “Canopy,” fills the ground floor of the Ciccillo Matarazzo Pavilion in
Ibirapuera Park with 120 loudspeakers hung at different heights. As visitors walk through,
the sounds of frogs, insects, rain and distant chainsaws shift around them, recreating a day
and a night in the forest in 40 minutes.

Müller, who was born in Zürich and has lived in Belém, in northern Brazil, for a decade, said
she wanted people to listen to the forest rather than look at pictures of it. “We have seen
so many images of the Amazon burning that we have stopped seeing them,” she said at the
opening. “Sound goes around your defenses. You cannot close your ears.”

The recordings were made with Indigenous communities along the Tapajós River, who are
credited as co-authors of the work. Curator José Antônio Ribeiro said the collaboration
reflected the Biennial's theme this year, which asks how art can be made with, rather than
about, communities and landscapes under threat.

The exhibition in São Paulo brings together 92 artists from 41 countries and runs for three
months. The biennial, held in São Paulo since 1951, is the second oldest in the world after
Venice. Organizers expect more than 800,000 visitors this year. Entry is free.

Critics were divided on some of the larger works, but “Canopy” drew long lines on opening
day. “It is the first time I have heard silence in a room with hundreds of people,” said
Mariana Gonçalves, a teacher from Campinas who visited with her students.

Müller's installation will travel to the Kunsthaus Zürich next year and then to the Museum
of Contemporary Art in Chicago, the Bienal Foundation said.
""",
    ),
    # ------------------------------------------------------------- Rift Valley Courier, RSS 1.0
    Article(
        publisher="courier",
        slug="world/rome-tokyo-leaders-geneva-wto-reform-africa",
        title="Rome and Tokyo leaders meet in Geneva, back WTO reform sought by Africa",
        summary=(
            "African trade ministers welcomed a call by President Elena Marchetti of Italy and "
            "Prime Minister Hiroshi Nakamura of Japan to restore the World Trade "
            "Organization's appeals body."
        ),
        author="Grace Wambui",
        photographer="Peter Njoroge",
        caption="Delegates arrive for the Italy-Japan summit at the World Trade Organization.",
        age=2 * _H + 30 * _M,
        section="World",
        tags=("World", "Trade", "Africa"),
        text="""
African governments have welcomed a call by President Elena Marchetti of Italy and Prime
Minister Hiroshi Nakamura of Japan to fix the World Trade Organization's broken system for
settling disputes, saying poorer countries suffer most when trade rules cannot be enforced.

The two leaders met in Geneva for a one-day summit that produced a bilateral deal to remove
tariffs on wine, cars and machinery. But it was their joint statement on reform of the
organization that drew the strongest reaction in Nairobi, Addis Ababa and Accra.

Trade Cabinet Secretary Daniel Mutua said the statement echoed proposals made by the African
Group at the World Trade Organization for more than five years. “For a small exporter of tea
or cut flowers, the dispute system is the only protection against unfair measures by much
bigger partners. When it does not work, we are the first to lose,” Mutua said.

Nakamura told reporters in Geneva that Japan would pay for a training programme to help
developing countries prepare cases, with a first group of lawyers from East Africa expected
to begin the course next year. Marchetti said Italy would support the plan and called for
the reform talks to conclude before the organization's next ministerial conference.

Observers in Nairobi said the summit's trade deal would have little direct effect on Kenyan
exporters, who sell mainly tea, coffee, flowers and avocados to Europe and the Middle East.
But some warned that tariff concessions between big economies could divert demand.

“Every time large partners cut tariffs for each other, the preference our products enjoy
shrinks a little,” said Faith Achieng, an economist at the University of Nairobi. “That is
why Africa needs the rules to work for everyone, not only bilateral deals among the
powerful.”

Marchetti's office said the Geneva meeting would be followed by talks in Osaka next spring,
where Italy and Japan plan to sign the final text of their agreement.
""",
    ),
    Article(
        publisher="courier",
        slug="health/kenya-expands-malaria-vaccine-rollout",
        title="Kenya expands malaria vaccine rollout to 12 more counties",
        summary=(
            "Health officials say the vaccine will reach about 900,000 more children as the "
            "country scales up protection in high-risk lake and coastal regions."
        ),
        author="Brian Otieno",
        photographer="Peter Njoroge",
        caption="A nurse prepares a malaria vaccine dose at a health centre in Kisumu.",
        age=32 * _H,
        section="Health",
        tags=("Health", "Kenya"),
        ads=(4,),
        text="""
Kenya will extend its malaria vaccination programme to 12 more counties from next month,
health officials said, in a move that will bring the shots within reach of about 900,000
additional children under the age of two.

Health Cabinet Secretary Margaret Wanjiku announced the expansion in Kisumu, on the shores of
Lake Victoria, where malaria remains one of the leading causes of death among young children.
The programme will use the R21 vaccine, developed by the University of Oxford and
manufactured by the Serum Institute of India.

“For years, mothers in this region have buried children because of a disease we know how to
prevent,” Wanjiku said. “This vaccine is not a magic bullet, but together with bed nets and
quick treatment it can save thousands of lives every year.”

Kenya was one of three countries, along with Ghana and Malawi, that took part in a pilot of
the earlier RTS,S vaccine beginning in 2019. Evaluations of the pilot found a substantial
fall in deaths among children who were eligible for vaccination, the World Health
Organization has said.

The expansion is being funded with support from Gavi, the Vaccine Alliance, and UNICEF, which
will help deliver doses to remote health centres. Officials said the main challenge would be
making sure children receive all four doses, since the full schedule stretches over more than
a year.

“The first dose is easy. Bringing a child back for the fourth dose, when the family lives two
hours from the clinic, is where programmes succeed or fail,” said Dr James Odhiambo, who leads
the malaria control unit at the Ministry of Health.

Community health promoters in Homa Bay, Migori and Busia counties will be paid to follow up
with families who miss appointments, and text message reminders will be sent to parents who
register their phone numbers at the clinic.

Health workers also warn that warmer temperatures are allowing mosquitoes to spread into
highland areas that were once largely free of the disease, and said the next phase of the
rollout could include parts of the Rift Valley.
""",
    ),
    Article(
        publisher="courier",
        slug="sport/kiptoo-course-record-valencia-marathon",
        title="Kiptoo breaks course record as Kenyans sweep Valencia Marathon",
        summary=(
            "Joseph Kiptoo ran 2:02:48 in Valencia to lead a Kenyan one-two-three, while Ruth "
            "Chepkemoi won the women's race."
        ),
        author="Kevin Mutai",
        photographer="Peter Njoroge",
        caption="Joseph Kiptoo crosses the finish line at the City of Arts and Sciences.",
        age=44 * _H,
        section="Sport",
        tags=("Sport", "Athletics"),
        text="""
Joseph Kiptoo broke the course record at the Valencia Marathon, running 2 hours, 2 minutes and
48 seconds to lead a Kenyan sweep of the podium in near-perfect conditions on Spain's
Mediterranean coast.

The 26-year-old from Iten pulled away from his training partner Collins Kibet after the
35-kilometre mark and crossed the line almost a minute clear. Kibet finished second and Amos
Cheruiyot, running his first marathon, was third.

“I told myself that if the legs were good at 30 kilometres, I would go,” Kiptoo said. “The
pacemakers did a great job and the weather was perfect. Now I want to run in London and to be
selected for the world championships.”

In the women's race, Ruth Chepkemoi won in 2:16:05 after a long duel with Ethiopia's Tigist
Alemu, who finished 11 seconds behind. It was the second marathon victory of the year for
Chepkemoi, who trains in Kaptagat under coach Richard Langat.

Athletics Kenya president Stephen Kirui, who was in Valencia, said the results showed the
strength of Kenyan distance running despite recent doping cases that have damaged the
country's reputation. “Our athletes are clean and they are winning. That is the message we
want the world to hear,” he said.

Kiptoo's winning time is one of the fastest ever run on a record-eligible course. It earned
him a bonus from the organisers on top of his prize money.

The race, run through the centre of Valencia and finishing on a blue carpet laid over the
water at the City of Arts and Sciences, attracted more than 30,000 runners, organisers said.
Many of the amateur runners came from Britain, France and the Netherlands.

Kiptoo is expected to return to Kenya this week, where he will be received by fans in Eldoret
before resuming training in the high-altitude camps of the North Rift.
""",
    ),
    # ---------------------------------------------------------------- The Lantern Post, RSS 0.91
    Article(
        publisher="lantern",
        slug="business/pacific-rim-dairy-opens-singapore-hub",
        title="New Zealand's Pacific Rim Dairy opens regional hub in Singapore",
        summary=(
            "Chief executive Laura Bennett said the Singapore office would oversee sales "
            "across South-east Asia and host a new research centre."
        ),
        author="Daniel Koh",
        photographer="Alicia Wong",
        caption="Laura Bennett at the opening of Pacific Rim Dairy's office at one-north.",
        age=8 * _H,
        tags=("Business",),
        ads=(3,),
        text="""
Pacific Rim Dairy, one of New Zealand's largest dairy exporters, opened its regional
headquarters in Singapore, betting that rising incomes across South-east Asia
will drive demand for premium milk products.

Chief executive Laura Bennett said the office at one-north, the city's research and business
park, would manage sales in ten countries and host a research centre working on lactose-free
and fortified products for Asian consumers.

“Singapore is where our customers, our distributors and many of the region's best food
scientists already are,” Bennett said at the opening ceremony. “It makes sense for us to be
here rather than running the region from Hamilton.”

The company has hired about 60 people in Singapore, including 15 food scientists, and plans
to double that number within three years. The Economic Development Board, which helped to
attract the investment, said it was among the larger food technology projects announced in
the city this year.

Minister of State for Trade and Industry Melissa Tan, who attended the ceremony, said the
centre would work with local universities and start-ups. “Food security is not only about
what we grow. It is also about having trusted partners and the science to make nutrition
affordable,” she said.

Singapore imports more than 90 per cent of its food, and the government has encouraged
foreign producers to set up research and distribution operations in the city as part of its
efforts to make supply chains more resilient.

Pacific Rim Dairy faces strong competition in the region from global groups such as Nestlé
and Danone, which have long had large operations in South-east Asia. Analysts said the New
Zealand company's advantage lay in its reputation for grass-fed milk and its ability to trace
products back to individual farms.

Bennett will travel on to Jakarta and Ho Chi Minh City this week to meet distributors.
""",
    ),
    Article(
        publisher="lantern",
        slug="tech/singapore-researchers-six-minute-battery",
        title="Singapore researchers develop sodium battery that charges in six minutes",
        summary=(
            "A team at the National University of Singapore says its sodium-ion cell could "
            "lead to cheaper, faster-charging scooters and home storage within five years."
        ),
        author="Daniel Koh",
        photographer="Alicia Wong",
        caption="Professor Andrew Lim holds a prototype cell in his laboratory at NUS.",
        age=16 * _H,
        tags=("Tech", "Science"),
        text="""
Researchers at the National University of Singapore have developed a sodium-ion battery that
can be charged to 80 per cent of its capacity in six minutes, a result they say could make
cheap, fast-charging batteries practical for electric scooters and home energy storage.

The team, led by Professor Andrew Lim of the university's Department of Materials Science and
Engineering, described the work in the journal Nature Energy. Their cell uses an electrode
made from hard carbon with a coating just a few atoms thick, which allows sodium ions to move
in and out far faster than in earlier designs.

“Sodium is everywhere. It is in seawater, it is in the salt on your table, and it is much
cheaper than lithium,” Lim said. “The problem has always been that sodium batteries were slow
and wore out quickly. We think we have solved a large part of that.”

In laboratory tests, the cells kept more than 85 per cent of their capacity after 3,000
charging cycles. Dr Priya Nair, a co-author, said the coating process used equipment already
common in battery factories, which should make it easier to scale up.

Sodium-ion batteries store less energy for their weight than the lithium-ion cells in most
electric cars, so they are unlikely to replace them in long-range vehicles. But researchers
see a large market in scooters, buses and storage for solar power, where cost matters more
than weight.

Professor Catherine Ng of Nanyang Technological University, who was not involved in the
research, called the results impressive but said the real test would be whether the cells
performed as well in large formats and in the heat and humidity of the tropics.

The university has filed patents on the coating and is in talks with two battery makers in
the region about manufacturing trials. Lim said he hoped to see the first commercial products
within five years.
""",
    ),
    Article(
        publisher="lantern",
        slug="health/dengue-cases-fall-wolbachia-mosquitoes",
        title="Dengue cases fall sharply in estates where Wolbachia mosquitoes are released",
        summary=(
            "Dengue cases dropped by more than 70 per cent in housing estates where "
            "Wolbachia-carrying male mosquitoes were released, a new study found."
        ),
        author="Siti Rahman",
        photographer="Alicia Wong",
        caption="Officers release Wolbachia-carrying male mosquitoes at a housing estate.",
        age=34 * _H,
        tags=("Health",),
        ads=(3,),
        text="""
Dengue cases fell by more than 70 per cent in Singapore housing estates where male mosquitoes
carrying the Wolbachia bacterium were released, according to a study published by scientists
from the National Environment Agency and their partners.

The technique works by releasing large numbers of male Aedes aegypti mosquitoes infected with
Wolbachia. When they mate with wild females, the eggs do not hatch, and over time the local
mosquito population collapses. Male mosquitoes do not bite, so the releases pose no risk to
residents.

“We have now seen the same pattern in estate after estate, year after year,” said Dr Michael
Chen, a scientist with the agency and one of the study's authors. “When the mosquito
population falls, dengue follows it down.”

The study compared areas in Tampines, Yishun and Choa Chu Kang where the mosquitoes were
released with similar areas where they were not. Residents in release areas were far less
likely to be infected, and the benefit extended to neighbouring blocks.

Singapore has one of the most intensive dengue control programmes in the world, but the
disease remains a serious problem, with large outbreaks every few years. Warmer weather and
the city's dense housing create good conditions for the mosquitoes that carry the virus.

The agency plans to expand the programme to cover more households over the next two years.
Its mosquito production facility can now produce millions of male mosquitoes a week, and
researchers are using automated sorting machines to separate males from females.

Public health experts said the results were encouraging for other cities in South-east Asia
and Latin America that face rising dengue cases. But Dr Chen said residents should not drop
their guard: “Removing stagnant water at home is still the most important thing anyone can
do.”
""",
    ),
)

# The second copy of the US-China story has the first copy's body, word for word.
_FIRST_COPY = next(a for a in ARTICLES if a.path == DUPLICATE_PATHS[0])
ARTICLES = tuple(
    replace(a, text=_FIRST_COPY.text) if a.path == DUPLICATE_PATHS[1] else a for a in ARTICLES
)

_BY_KEY = {p.key: p for p in PUBLISHERS}


# ------------------------------------------------------------------------------ rendering


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _human(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _slugify(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A small valid PNG: a band of ``colour`` over a lighter band."""
    light = tuple(min(255, c + (255 - c) // 2) for c in colour)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00" + bytes(colour if y < height * 2 // 3 else light) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


_STYLE = """
body{font-family:Georgia,serif;margin:0;color:#222}
.site-header,.site-footer{background:#f4f4f4;padding:12px 24px}
.site-header nav ul{list-style:none;display:flex;gap:16px;padding:0;margin:8px 0 0}
main{max-width:720px;margin:0 auto;padding:24px}
.cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#333;color:#fff;padding:12px}
.ad-slot{background:#eee;text-align:center;font:12px sans-serif;padding:24px;margin:16px 0}
.newsletter-signup{border:1px solid #ccc;padding:12px;margin:16px 0}
figure img{max-width:100%}
""".strip()


class _Renderer:
    """Builds every resource of the site for one base URL and one ``now``."""

    def __init__(self, base_url: str, now: datetime) -> None:
        self.base = base_url.rstrip("/")
        self.now = now

    # ---- helpers
    def url(self, path: str) -> str:
        return self.base + path

    def published(self, article: Article) -> datetime:
        return self.now - article.age

    def image_path(self, article: Article) -> str:
        return f"/{article.publisher}/images/{article.slug.replace('/', '-')}.png"

    def feed_link(self, article: Article) -> str:
        link = self.url(article.path)
        return f"{link}?{article.feed_query}" if article.feed_query else link

    def articles_of(self, pub: Publisher) -> list[Article]:
        found = [a for a in ARTICLES if a.publisher == pub.key]
        return sorted(found, key=lambda a: a.age)

    def related(self, article: Article) -> list[Article]:
        pub = _BY_KEY[article.publisher]
        return [
            a
            for a in self.articles_of(pub)
            if a.served
            and a.path != article.path
            and not (article.group and a.group == article.group)
        ][:3]

    # ---- page furniture
    def head(self, pub: Publisher, title: str, extra: str = "") -> str:
        return (
            f'<!DOCTYPE html>\n<html lang="{pub.language_tag}">\n<head>\n'
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n{extra}"
            f"<style>{_STYLE}</style>\n"
            "<script>window.dataLayer=window.dataLayer||[];"
            "function gtag(){dataLayer.push(arguments);}"
            f"gtag('js',new Date());gtag('config','{pub.key.upper()}-DEMO-1');</script>\n"
            "</head>\n<body>\n"
            '<div class="cookie-banner" id="cookie-banner" role="dialog" '
            'aria-label="Cookie consent">\n'
            "<p>We use cookies and similar technologies to personalise content and ads, to "
            "provide social media features and to analyse our traffic. "
            f'<a href="/{pub.key}/privacy/">Read our privacy policy</a>.</p>\n'
            '<button type="button" id="cookie-accept">Accept all</button> '
            '<button type="button" id="cookie-manage">Manage preferences</button>\n</div>\n'
            '<header class="site-header">\n'
            f'<a class="logo" href="/{pub.key}/">{_e(pub.name)}</a>\n'
            '<nav aria-label="Main menu"><ul>\n'
            f'<li><a href="/{pub.key}/">Home</a></li>\n'
            + "".join(
                f'<li><a href="/{pub.key}/section/{_slugify(s)}/">{_e(s)}</a></li>\n'
                for s in pub.sections
            )
            + f'<li><a href="/{pub.key}/about/">About us</a></li>\n'
            "</ul></nav>\n</header>\n"
        )

    def foot(self, pub: Publisher) -> str:
        return (
            '<footer class="site-footer">\n'
            f"<p>© {self.now.year} {_e(pub.company)}. All rights reserved.</p>\n"
            f'<p><a href="/{pub.key}/about/">About us</a> · '
            f'<a href="/{pub.key}/contact/">Contact</a> · '
            f'<a href="/{pub.key}/privacy/">Privacy policy</a> · '
            f'<a href="/{pub.key}/{pub.feed}">Feed</a></p>\n'
            "</footer>\n"
            "<script>document.getElementById('cookie-accept').addEventListener('click',"
            "function(){document.getElementById('cookie-banner').style.display='none';"
            "document.cookie='consent=1;path=/;max-age=31536000';});</script>\n"
            "</body>\n</html>\n"
        )

    def newsletter(self, pub: Publisher, kind: str) -> str:
        if kind == "alerts":
            heading = "Get breaking news alerts"
            blurb = (
                f"Be the first to know. Get breaking news alerts from the {pub.name}, "
                "delivered straight to your inbox."
            )
            button = "Get alerts"
        else:
            heading = "Sign up for our morning newsletter"
            blurb = (
                "Sign up for our morning newsletter and get the day's top stories in your "
                "inbox before 7am."
            )
            button = "Subscribe"
        return (
            '<div class="newsletter-signup">\n'
            f"<h3>{_e(heading)}</h3>\n<p>{_e(blurb)}</p>\n"
            f'<form action="/{pub.key}/newsletter/subscribe" method="post">'
            f'<label for="nl-email">Email address</label> '
            '<input type="email" id="nl-email" name="email" placeholder="you@example.com" '
            f'required> <input type="hidden" name="list" value="{kind}"> '
            f'<button type="submit">{button}</button></form>\n'
            "</div>\n"
        )

    def figure(self, article: Article, pub: Publisher) -> str:
        credit = f"(Photo: {article.photographer}/{pub.name})"
        return (
            f'<figure class="lead-image"><img src="{_e(self.image_path(article))}" '
            f'alt="{_e(article.caption)}" width="1200" height="630">'
            f"<figcaption>{_e(article.caption)} {_e(credit)}</figcaption></figure>\n"
        )

    def body_html(self, article: Article, pub: Publisher, furniture: bool) -> str:
        """The body paragraphs; with ``furniture``, ad slots and the newsletter box too."""
        paragraphs = article.paragraphs
        newsletter_at = max(1, (len(paragraphs) * 2) // 3)
        parts = []
        for index, paragraph in enumerate(paragraphs, 1):
            parts.append(f"<p>{_e(paragraph)}</p>\n")
            if furniture and index in article.ads:
                parts.append('<div class="ad-slot"><p>Advertisement</p></div>\n')
            if furniture and index == newsletter_at:
                parts.append(self.newsletter(pub, article.newsletter))
        return "".join(parts)

    # ---- resources
    def article_page(self, article: Article) -> str:
        pub = _BY_KEY[article.publisher]
        published = self.published(article)
        canonical = self.url(article.path)
        image = self.url(self.image_path(article))
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.summary,
            "datePublished": _rfc3339(published),
            "dateModified": _rfc3339(published),
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {
                "@type": "Organization",
                "name": pub.name,
                "url": self.url(f"/{pub.key}/"),
            },
            "image": [image],
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            **({"articleSection": article.section} if article.section else {}),
        }
        ld_text = json.dumps(ld, ensure_ascii=False, indent=1).replace("</", "<\\/")
        section_meta = (
            f'<meta property="article:section" content="{_e(article.section)}">\n'
            if article.section and pub.has_section_meta
            else ""
        )
        meta = (
            f'<meta name="description" content="{_e(article.summary)}">\n'
            f'<meta name="author" content="{_e(article.author)}">\n'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{_e(article.title)}">\n'
            f'<meta property="og:description" content="{_e(article.summary)}">\n'
            f'<meta property="og:site_name" content="{_e(pub.name)}">\n'
            f'<meta property="og:url" content="{_e(canonical)}">\n'
            f'<meta property="og:image" content="{_e(image)}">\n'
            f'<meta property="article:published_time" content="{_rfc3339(published)}">\n'
            f"{section_meta}"
            + "".join(f'<meta property="article:tag" content="{_e(t)}">\n' for t in article.tags)
            + f'<link rel="canonical" href="{_e(canonical)}">\n'
            f'<link rel="alternate" type="{_FEED_TYPES[pub.kind].split(";")[0]}" '
            f'title="{_e(pub.name)}" href="{_e(self.url(f"/{pub.key}/{pub.feed}"))}">\n'
            f'<script type="application/ld+json">\n{ld_text}\n</script>\n'
        )
        related = "".join(
            f'<li><a href="{_e(r.path)}">{_e(r.title)}</a></li>\n' for r in self.related(article)
        )
        kicker = (
            f'<p class="kicker"><a href="/{pub.key}/section/{_slugify(article.section)}/">'
            f"{_e(article.section)}</a></p>\n"
            if article.section
            else ""
        )
        return (
            self.head(pub, f"{article.title} | {pub.name}", meta)
            + "<main>\n<article>\n"
            + kicker
            + f"<h1>{_e(article.title)}</h1>\n"
            f'<p class="byline">By <span class="author">{_e(article.author)}</span>, '
            f"{_e(pub.name)}</p>\n"
            f'<p class="dateline"><time datetime="{_rfc3339(published)}">'
            f"{_human(published)}</time></p>\n"
            + self.figure(article, pub)
            + '<div class="article-body">\n'
            + self.body_html(article, pub, furniture=True)
            + "</div>\n"
            '<aside class="related-stories">\n<h2>Related stories</h2>\n<ul>\n'
            + related
            + "</ul>\n</aside>\n</article>\n</main>\n"
            + self.foot(pub)
        )

    def listing_page(self, pub: Publisher, heading: str, articles: list[Article]) -> str:
        items = "".join(
            f'<li><h2><a href="{_e(a.path)}">{_e(a.title)}</a></h2><p>{_e(a.summary)}</p></li>\n'
            for a in articles
            if a.served
        )
        return (
            self.head(
                pub,
                f"{heading} | {pub.name}",
                f'<link rel="canonical" href="{_e(self.url(f"/{pub.key}/"))}">\n'
                f'<meta property="og:site_name" content="{_e(pub.name)}">\n',
            )
            + f'<main>\n<h1>{_e(heading)}</h1>\n<ul class="story-list">\n'
            + (items or "<li>No stories in this section yet.</li>\n")
            + "</ul>\n</main>\n"
            + self.foot(pub)
        )

    def info_page(self, pub: Publisher, heading: str, text: str) -> str:
        return (
            self.head(pub, f"{heading} | {pub.name}")
            + f"<main>\n<h1>{_e(heading)}</h1>\n<p>{_e(text)}</p>\n</main>\n"
            + self.foot(pub)
        )

    def index_page(self) -> str:
        rows = "".join(
            f'<li><a href="/{p.key}/">{_e(p.name)}</a> ({p.country}) — '
            f'<a href="/{p.key}/{p.feed}">{_FEED_NAMES[p.kind]}</a></li>\n'
            for p in PUBLISHERS
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            "<title>tagwire demo publishers</title></head>\n<body>\n"
            "<h1>tagwire demo publishers</h1>\n<p>Fictional news sites for tagwire's "
            'tests and demo. <a href="/sources.toml">sources.toml</a></p>\n'
            f"<ul>\n{rows}</ul>\n</body>\n</html>\n"
        )

    @staticmethod
    def not_found_page() -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            "<title>Page not found</title></head>\n<body>\n<h1>Page not found</h1>\n"
            "<p>Sorry, the page you were looking for does not exist or has been moved.</p>"
            '\n<p><a href="/">Home</a></p>\n</body>\n</html>\n'
        )

    # ---- feeds
    def feed(self, pub: Publisher) -> str:
        articles = self.articles_of(pub)
        return {
            "rss2": self.rss2,
            "atom": self.atom,
            "jsonfeed": self.json_feed,
            "rss1": self.rss1,
            "rss091": self.rss091,
        }[pub.kind](pub, articles)

    def rss2(self, pub: Publisher, articles: list[Article]) -> str:
        home, feed_url = self.url(f"/{pub.key}/"), self.url(f"/{pub.key}/{pub.feed}")
        items = []
        for a in articles:
            content = self.figure(a, pub).replace(
                f'src="{_e(self.image_path(a))}"', f'src="{_e(self.url(self.image_path(a)))}"'
            )
            content += self.body_html(a, pub, furniture=False)
            if "]]>" in content:  # pragma: no cover - the texts never contain it
                raise ValueError("CDATA terminator in article text")
            items.append(
                "<item>\n"
                f"<title>{_e(a.title)}</title>\n<link>{_e(self.feed_link(a))}</link>\n"
                f'<guid isPermaLink="true">{_e(self.url(a.path))}</guid>\n'
                f"<pubDate>{_rfc822(self.published(a))}</pubDate>\n"
                f"<dc:creator>{_e(a.author)}</dc:creator>\n"
                + "".join(f"<category>{_e(t)}</category>\n" for t in a.tags)
                + f"<description>{_e(a.summary)}</description>\n"
                f"<content:encoded><![CDATA[{content}]]></content:encoded>\n"
                f'<media:content url="{_e(self.url(self.image_path(a)))}" medium="image" '
                'type="image/png" width="1200" height="630"/>\n'
                "</item>\n"
            )
        newest = self.now - min(a.age for a in articles)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:media="http://search.yahoo.com/mrss/">\n<channel>\n'
            f"<title>{_e(pub.name)}</title>\n<link>{_e(home)}</link>\n"
            f"<description>{_e(pub.description)}</description>\n"
            f"<language>{pub.language_tag.lower()}</language>\n"
            f"<copyright>© {self.now.year} {_e(pub.company)}</copyright>\n"
            f"<lastBuildDate>{_rfc822(newest)}</lastBuildDate>\n"
            "<generator>HeraldPress 4.2</generator>\n<ttl>15</ttl>\n"
            f'<atom:link href="{_e(feed_url)}" rel="self" type="application/rss+xml"/>\n'
            + "".join(items)
            + "</channel>\n</rss>\n"
        )

    def atom(self, pub: Publisher, articles: list[Article]) -> str:
        home, feed_url = self.url(f"/{pub.key}/"), self.url(f"/{pub.key}/{pub.feed}")
        entries = "".join(
            "<entry>\n"
            f'<id>{_e(self.url(a.path))}</id>\n<title type="text">{_e(a.title)}</title>\n'
            f'<link rel="alternate" type="text/html" href="{_e(self.feed_link(a))}"/>\n'
            f"<published>{_rfc3339(self.published(a))}</published>\n"
            f"<updated>{_rfc3339(self.published(a))}</updated>\n"
            f"<author><name>{_e(a.author)}</name></author>\n"
            + "".join(f'<category term="{_e(t)}"/>\n' for t in a.tags)
            + f'<summary type="text">{_e(a.summary)}</summary>\n'
            "</entry>\n"
            for a in articles
        )
        newest = self.now - min(a.age for a in articles)
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{pub.language_tag}">\n'
            f"<id>{_e(home)}</id>\n<title>{_e(pub.name)}</title>\n"
            f"<subtitle>{_e(pub.description)}</subtitle>\n"
            f"<updated>{_rfc3339(newest)}</updated>\n"
            f'<link rel="self" type="application/atom+xml" href="{_e(feed_url)}"/>\n'
            f'<link rel="alternate" type="text/html" href="{_e(home)}"/>\n'
            f"<rights>© {self.now.year} {_e(pub.company)}</rights>\n"
            f"<author><name>{_e(pub.name)}</name></author>\n" + entries + "</feed>\n"
        )

    def json_feed(self, pub: Publisher, articles: list[Article]) -> str:
        doc = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": pub.name,
            "home_page_url": self.url(f"/{pub.key}/"),
            "feed_url": self.url(f"/{pub.key}/{pub.feed}"),
            "description": pub.description,
            "language": pub.language_tag,
            "authors": [{"name": pub.name}],
            # Summary and url only, no content_html/content_text: readers must fetch pages.
            "items": [
                {
                    "id": self.url(a.path),
                    "url": self.feed_link(a),
                    "title": a.title,
                    "summary": a.summary,
                    "date_published": _rfc3339(self.published(a)),
                    "authors": [{"name": a.author}],
                    "tags": list(a.tags),
                    **({"image": self.url(self.image_path(a))} if a.served else {}),
                }
                for a in articles
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

    def rss1(self, pub: Publisher, articles: list[Article]) -> str:
        home, feed_url = self.url(f"/{pub.key}/"), self.url(f"/{pub.key}/{pub.feed}")
        seq = "".join(f'<rdf:li rdf:resource="{_e(self.feed_link(a))}"/>\n' for a in articles)
        items = "".join(
            f'<item rdf:about="{_e(self.feed_link(a))}">\n'
            f"<title>{_e(a.title)}</title>\n<link>{_e(self.feed_link(a))}</link>\n"
            f"<description>{_e(a.summary)}</description>\n"
            f"<dc:date>{_rfc3339(self.published(a))}</dc:date>\n"
            f"<dc:creator>{_e(a.author)}</dc:creator>\n"
            + "".join(f"<dc:subject>{_e(t)}</dc:subject>\n" for t in a.tags)
            + "</item>\n"
            for a in articles
        )
        newest = self.now - min(a.age for a in articles)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f'<channel rdf:about="{_e(feed_url)}">\n'
            f"<title>{_e(pub.name)}</title>\n<link>{_e(home)}</link>\n"
            f"<description>{_e(pub.description)}</description>\n"
            f"<dc:language>{pub.language_tag}</dc:language>\n"
            f"<dc:publisher>{_e(pub.company)}</dc:publisher>\n"
            f"<dc:date>{_rfc3339(newest)}</dc:date>\n"
            f"<items>\n<rdf:Seq>\n{seq}</rdf:Seq>\n</items>\n</channel>\n" + items + "</rdf:RDF>\n"
        )

    def rss091(self, pub: Publisher, articles: list[Article]) -> str:
        home = self.url(f"/{pub.key}/")
        items = "".join(
            f"<item>\n<title>{_e(a.title)}</title>\n<link>{_e(self.feed_link(a))}</link>\n"
            f"<description>{_e(a.summary)}</description>\n</item>\n"
            for a in articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="0.91">\n<channel>\n'
            f"<title>{_e(pub.name)}</title>\n<link>{_e(home)}</link>\n"
            f"<description>{_e(pub.description)}</description>\n"
            f"<language>{pub.language_tag.lower()}</language>\n"
            f"<copyright>Copyright {self.now.year} {_e(pub.company)}</copyright>\n"
            f"<image>\n<title>{_e(pub.name)}</title>\n"
            f"<url>{_e(self.url(f'/{pub.key}/images/logo.png'))}</url>\n"
            f"<link>{_e(home)}</link>\n<width>88</width>\n<height>31</height>\n</image>\n"
            + items
            + "</channel>\n</rss>\n"
        )


_FEED_TYPES = {
    "rss2": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
    "rss1": "application/rdf+xml; charset=utf-8",
    "rss091": "application/rss+xml; charset=utf-8",
}
_FEED_NAMES = {
    "rss2": "RSS 2.0",
    "atom": "Atom 1.0",
    "jsonfeed": "JSON Feed 1.1",
    "rss1": "RSS 1.0",
    "rss091": "RSS 0.91",
}
_HTML = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class _Resource:
    content_type: str
    body: bytes
    modified: datetime
    etag: str

    @classmethod
    def make(cls, content_type: str, body: str | bytes, modified: datetime) -> _Resource:
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        return cls(content_type, data, modified.replace(microsecond=0), etag)


def _build(base_url: str, now: datetime) -> dict[str, _Resource]:
    """Every resource of the site by path."""
    r = _Renderer(base_url, now)
    out: dict[str, _Resource] = {
        "/": _Resource.make(_HTML, r.index_page(), now),
        "/robots.txt": _Resource.make(
            "text/plain; charset=utf-8", "User-agent: *\nAllow: /\n", now
        ),
        "/sources.toml": _Resource.make(
            "application/toml; charset=utf-8", sources_toml(base_url), now
        ),
    }
    for pub in PUBLISHERS:
        articles = r.articles_of(pub)
        newest = now - min(a.age for a in articles)
        out[f"/{pub.key}/{pub.feed}"] = _Resource.make(_FEED_TYPES[pub.kind], r.feed(pub), newest)
        home = r.listing_page(pub, f"{pub.name}: latest news", articles)
        out[f"/{pub.key}/"] = out[f"/{pub.key}"] = _Resource.make(_HTML, home, newest)
        for section in pub.sections:
            wanted = section.casefold()
            chosen = [
                a for a in articles if wanted in {t.casefold() for t in (*a.tags, a.section or "")}
            ]
            out[f"/{pub.key}/section/{_slugify(section)}/"] = _Resource.make(
                _HTML, r.listing_page(pub, section, chosen), newest
            )
        for name, heading, text in (
            ("about", "About us", f"{pub.name} is published by {pub.company}. {pub.description}."),
            ("contact", "Contact", "Send news tips and letters to the newsroom."),
            (
                "privacy",
                "Privacy policy",
                "We use cookies to run this site and to measure our audience.",
            ),
        ):
            out[f"/{pub.key}/{name}/"] = _Resource.make(
                _HTML, r.info_page(pub, heading, text), now - 90 * 24 * _H
            )
        out[f"/{pub.key}/images/logo.png"] = _Resource.make(
            "image/png", _png(88, 31, pub.colour), now - 90 * 24 * _H
        )
        for article in articles:
            if not article.served:
                continue
            published = r.published(article)
            out[article.path] = _Resource.make(_HTML, r.article_page(article), published)
            out[r.image_path(article)] = _Resource.make(
                "image/png", _png(120, 63, pub.colour), published
            )
    return out


# --------------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: PublisherSite) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on hosts without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay silent (a client hanging up mid-response is normal for a test server)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoPublisher/1.0"
    sys_version = ""
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        site = cast(_Server, self.server).site
        site._record(self.path)
        resource = site._resources.get(urlsplit(self.path).path)
        if resource is None:
            self._send(404, _HTML, _Renderer.not_found_page().encode("utf-8"), head)
            return
        validators = {
            "ETag": resource.etag,
            "Last-Modified": format_datetime(resource.modified, usegmt=True),
            "Cache-Control": "public, max-age=60",
        }
        if self._not_modified(resource):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(200, resource.content_type, resource.body, head, validators)

    def _not_modified(self, resource: _Resource) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or resource.etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if not if_modified_since:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return resource.modified <= since

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        head: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class PublisherSite:
    """The five fictional publishers on one local HTTP server (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, now: datetime | None = None) -> None:
        moment = now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self.host = host
        self.port = port
        self.now = moment.astimezone(UTC).replace(microsecond=0)
        self.base_url = ""
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._resources: dict[str, _Resource] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in a daemon thread; return the base URL, e.g. ``http://127.0.0.1:43121``."""
        if self._server is not None:
            return self.base_url
        server = _Server((self.host, self.port), self)
        port = int(server.server_address[1])
        shown = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host
        self.base_url = f"http://{shown}:{port}"
        self._resources = _build(self.base_url, self.now)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="publisher-site",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> PublisherSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)


def sources_toml(base_url: str) -> str:
    """TOML ``[[sources]]`` tables for every publisher of the site at ``base_url``."""
    base = base_url.rstrip("/")
    blocks = []
    for pub in PUBLISHERS:
        blocks.append(
            "[[sources]]\n"
            f"name = {json.dumps(pub.name)}\n"
            f'url = "{base}/{pub.key}/"\n'
            f'feeds = ["{base}/{pub.key}/{pub.feed}"]\n'
            f'country = "{pub.country}"\n'
            f'region = "{pub.region}"\n'
            'language = "en"\n'
        )
    return "\n".join(blocks)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tagwire.demo.site --port 8001 [--write-sources FILE]``."""
    parser = argparse.ArgumentParser(
        prog="python -m tagwire.demo.site",
        description="Serve tagwire's fictional publishers until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--write-sources", metavar="FILE", help="write a sources TOML file for this server"
    )
    args = parser.parse_args(argv)
    site = PublisherSite(host=args.host, port=args.port)
    base_url = site.start()
    try:
        if args.write_sources:
            with open(args.write_sources, "w", encoding="utf-8") as handle:
                handle.write(sources_toml(base_url))
        print(base_url, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
