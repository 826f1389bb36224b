"""The demo publishers' pages and feeds as bytes: article pages, section and home pages, the
five feed formats, images; ``site.py`` serves them."""

from __future__ import annotations

import html
import json
import struct
import zlib
from datetime import UTC, datetime
from email.utils import format_datetime

from tagwire.demo.content import _BY_KEY, ARTICLES, PUBLISHERS, Article, Publisher


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
