"""The clean-up of extracted text: the lines trafilatura keeps that are page furniture.

Every rule has a name, a comment saying what it is for, and the languages it may fire on:
a rule written for English boilerplate ("Advertisement", "Read more", "By Jane Roe") runs
only on text detected as English (or of unknown language), so that another language's real
sentence is never taken for an English ad label. :func:`clean_lines_traced` says which rule
removed which line; ``bench/extraction.py`` uses that to measure each rule's gain and loss on
both evaluation sets, and a rule stays only where it pays (see docs/quality.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ENGLISH = frozenset({"en"})


@dataclass(frozen=True)
class Removal:
    """A line (or part of one) the clean-up dropped, and the rule that dropped it."""

    rule: str
    text: str


@dataclass(frozen=True)
class LineRule:
    name: str
    matches: Callable[[str, int, int], bool]  # (line, index, line count) -> furniture?
    languages: frozenset[str] | None = None  # None: language-neutral


# An ad slot's label alone on its line: the hard case of PRODUCT.md ("Advertisement" inside
# the body of one copy of an article). Whole-line match only, so a sentence about adverts
# stays.
_AD_LINE = re.compile(
    r"^\W*(advertisement|advertisements|advert|sponsored content|paid content|"
    r"scroll to continue( with content)?|story continues below( advertisement)?|"
    r"article continues below( this advertisement)?|continue reading( below)?|"
    r"skip advert(isement)?)\W*$",
    re.IGNORECASE,
)

# A photo credit on its own line as wire services write it: "(AP Photo/Ahn Young-joon)",
# "Reuters Pool Photo". The agency must come first, so a caption sentence is not matched.
_WIRE_CREDIT_LINE = re.compile(
    r"^\W*\(?\s*(AP|AFP|Reuters|EPA|Getty|Yonhap|Xinhua|EFE|ANSA|dpa)[ /]*"
    r"(Photo|Images?|Pool)\b[^.!?]{0,80}$",
    re.IGNORECASE,
)

# A short credit label line: "Photo: AFP", "Image: Getty Images". At most a few words after
# the colon (a name, an agency), so "Photo: the minister arrives at..." captions that tell
# something, and any sentence, are kept.
_CREDIT_LABEL_LINE = re.compile(
    r"^\W*(photo|photograph|image|picture|credit|file photo)s?\s*[:/]\s*"
    r"[\w.&'’/ -]{0,60}$",
    re.IGNORECASE,
)

# The same credit inside a sentence: "Kim arrives (AP Photo/Lee Jin-man) in Seoul." The
# parenthesis goes, the sentence stays.
_CREDIT_INLINE = re.compile(
    r"\s*\((?:AP|AFP|EPA|Reuters|Getty|Yonhap|Pool)?\s*(?:Photo|Photograph|Image|Foto)s?"
    r"\s*[:/][^()]{0,80}\)",
    re.IGNORECASE,
)

# A newsletter or subscription pitch: "Sign up for our daily newsletter". A verb of joining
# and a word for the product both, in a short line.
_NEWSLETTER = re.compile(
    r"\b(sign up|subscribe|get our|join our|register)\b.{0,80}\b(newsletter|briefing|"
    r"daily email|inbox)",
    re.IGNORECASE,
)

# The heading of a related-links block, alone on its line ("Related stories", "Read more",
# "DON'T MISS", "Explore further", "Weitere Themen", "Notas relacionadas"). Headings only:
# a sentence that starts "Read more about it in..." is kept. One pattern per language, run
# on that language only.
_RELATED_HEADINGS: dict[str, str] = {
    "en": r"related( stories| articles| content| coverage)?|read more|more on this story|"
    r"also read|most read|trending now|you may also like|share this( article)?|don't miss|"
    r"see more|explore further|more stories|popular on [\w.]+",
    "de": r"weitere themen|mehr themen|mehr zum thema|zum weiterlesen|auch interessant|"
    r"empfohlene beiträge|weiterlesen|das könnte sie auch interessieren",
    "es": r"notas relacionadas|contenido relacionado|noticias relacionadas|"
    r"te puede interesar|le puede interesar|lea también|lee también|vea también",
}
# A link to another article behind a "see also" label: "Lea también: Impiden ingreso a...",
# "Lesen Sie hier: Spielabbruch...", "Read more: ...". The label and its colon must open
# the line, and the line must be short (a headline, not a paragraph).
_SEE_ALSO_LABELS: dict[str, str] = {
    "en": r"read more|related|also read|see also|read also|see more",
    "de": r"lesen sie (auch|hier|mehr)|auch interessant|mehr zum thema|zum weiterlesen|"
    r"weiterlesen",
    "es": r"lea (también|más)|lee (también|más)|lea|mire|vea también|"
    r"(te|le) puede interesar|te recomendamos",
    "fr": r"à lire aussi|lire aussi|à lire",
}
_HEADING = {
    lang: re.compile(rf"^\W*({words})\W*$", re.IGNORECASE)
    for lang, words in _RELATED_HEADINGS.items()
}
_SEE_ALSO = {
    lang: re.compile(rf"^\W*({words})\s*(:|»)\s*\S", re.IGNORECASE)
    for lang, words in _SEE_ALSO_LABELS.items()
}
_SEE_ALSO_CHARS = 200

# A credit line of a picture in the languages whose labels we know: "Foto: dpa",
# "Titelbild: Geyres Christophe/ABACA", "Fot. Lukasz Nowaczyk / Agencja Gazeta". Short
# lines only (a name, an agency), never a sentence.
_PICTURE_CREDIT = {
    "de": re.compile(
        r"^\W*(foto|fotos|bild|titelbild|beitragsbild|bildquelle|quelle bild)\s*:\s*"
        r"[^.!?]{0,80}$",
        re.IGNORECASE,
    ),
    "pl": re.compile(r"^\W*(fot\.|zdj\.)\s*[^.!?]{0,80}$", re.IGNORECASE),
}
# A copyright line of a picture or a page: "© Oli Scarff/Getty Images", "© Bundesrat |
# Frank Bräuer", "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved". Short
# lines only; the same in every language. A line opening with the sign (or "Copyright" and
# the sign or a year) is a notice whatever follows, so its full stops ("Inc.") are allowed.
_COPYRIGHT_LINE = re.compile(
    r"^\s*((©|ⓒ|\(c\)|copyright\s*(©|ⓒ|\(c\)|\d{4}))[^!?]{0,120}|"
    r"copyright\b[^.!?]{0,80}\.?)$",
    re.IGNORECASE,
)

# A pitch to follow the site elsewhere, to share or to pay for it, in the languages seen:
# "Follow The Gleaner on Twitter...", "For the latest stories ... download the ... apps",
# "Like this story? Share it with a friend!", "Síguenos en Telegram", "Hazte miembro". An
# opening verb of the pitch and, for English, a channel or product word both; short lines.
_FOLLOW_PROMO = {
    "en": re.compile(
        r"^\W*(follow|subscribe( now)?|never miss|for the latest|if you enjoyed( reading)? "
        r"this|do you want to be informed|like this (story|article)\?)\W.{0,150}\b(twitter|"
        r"facebook|instagram|newsletter|edition|youtube|apps?|sign up|support|join|share)\b"
        r".{0,80}$",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"^\W*(síguenos|siguenos|¡?mira lo que tiene|hazte miembro|únete)\b.{0,120}$",
        re.IGNORECASE,
    ),
}
# How to reach the reporter, at the end of a news story: "Email Tariq Malik at ... or follow
# him @tariqjmalik", "Have a tip? ... may be reached at ...@...", "Write to Al Root at
# ...@dowjones.com". An address or Twitter, too.
_CONTACT_EN = re.compile(
    r"^\W*(have a tip\?|(email|e-mail|contact|reach|write to)\b).{0,120}(@|twitter)\S*.{0,150}$",
    re.IGNORECASE,
)
# An affiliate disclosure: "If you buy something through this post, IGN may get a share".
_AFFILIATE_EN = re.compile(
    r"^\W*(if you buy something through|this post contains references to products|"
    r"we may (receive|earn) (a )?(compensation|commission)).{0,250}$",
    re.IGNORECASE,
)
# The labels of a blog's sharing and comment widgets (WordPress and the like) in German:
# "Teilen mit:", "Gefällt mir Wird geladen...", "Kommentare insgesamt: 0". Short lines only.
_WIDGET_DE = re.compile(
    r"^\W*(teilen mit|gefällt mir|wird geladen|bild anzeigen|kommentare insgesamt|"
    r"vorschau auf den nächsten artikel|kategorie)\b.{0,40}$",
    re.IGNORECASE,
)
# The heading of a contact or further-information box alone on its line, in German:
# "Weitere Informationen:", "Kontakt:", "Quellenangaben:". The colon is required.
_BOX_LABEL_DE = re.compile(
    r"^\W*(weitere informationen|kontakt|quellenangaben|quellen|zusatzinformationen|"
    r"ansprechpartner(in)?( zum thema)?|teilnehmende blogs|mehr infos?)\s*:$",
    re.IGNORECASE,
)
# A date alone on its line ("23.10.2018", "2021-10-16"): a page's publication stamp, which
# is metadata; a sentence with a date in it is kept.
_DATE_LINE = re.compile(r"^\W*(\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{4}-\d{2}-\d{2})\W*$")

# Who else reported the story, at its end: "Fox News' Jessica Napoli contributed to this
# report.", "Keith Bradsher contributed reporting from Hong Kong." A credit, not the article
# (and its names are no topic of it). Reuters' "(Reporting by ...; Editing by ...)" is left
# alone: trafilatura-eval counts it as content, and AEB's gold keeps it on one page of two.
_CONTRIBUTORS_EN = re.compile(
    r"^.{0,250}\bcontributed (to (this|the) (report|story|article)|reporting)\b.{0,250}$",
    re.IGNORECASE,
)
# A publication or update stamp on its own line: "Updated at 1:23 p.m.", "UPDATED: Tue., Nov.
# 19, 2019", "Actualizado: 29/4/2022 - 12:00 am". The label opens the line, a digit follows,
# and the line has at most _STAMP_WORDS words (a sentence that starts "Published in 1999,
# the book..." is longer and kept). Not in German: trafilatura-eval counts "Veröffentlicht
# am 16.08.2019" as content on one page, boilerplate on another.
_STAMP_LABELS: dict[str, str] = {
    "en": r"updated|last updated|published|first published|posted|last modified",
    "es": r"actualizado|publicado|última actualización",
}
_STAMP = {
    lang: re.compile(rf"^\W*({words})\b[^!?]{{0,14}}?\d[^!?]{{0,50}}$", re.IGNORECASE)
    for lang, words in _STAMP_LABELS.items()
}
_STAMP_WORDS = 7


def _stamp(pattern: re.Pattern[str]) -> Callable[[str, int, int], bool]:
    return lambda line, index, count: (
        len(line.split()) <= _STAMP_WORDS and bool(pattern.match(line))
    )


# A pitch for the publisher's app, in capitals or not: "CLICK HERE TO GET THE FOX NEWS APP",
# "GET FOX BUSINESS ON THE GO BY CLICKING HERE". A verb of getting and the app both, short.
_APP_PROMO_EN = re.compile(
    r"^.{0,40}\b(get|download|install)\b.{0,40}\b(app|apps|on the go)\b.{0,40}$", re.IGNORECASE
)
# What a sign-up or share form says back, left in the page's text: "Thanks for signing up!",
# "There was an error processing your subscription.", "This article has been sent to".
_FORM_STATUS_EN = re.compile(
    r"^\W*(thanks for signing up|keep an eye on your inbox|there was an error processing|"
    r"an error has occurred, please try again|this article has been sent to|order reprints|"
    r"print article|this copy is for your personal, non-commercial use)\b.{0,250}$",
    re.IGNORECASE,
)
# A comment section's heading alone on its line: "Comments", "12 comments", "Leave a reply",
# "Tell us what YOU think...".
_COMMENTS_HEADING_EN = re.compile(
    r"^\W*(\d+ )?(comments?|leave a (comment|reply)|tell us what you think|join the "
    r"(conversation|discussion))\W*$",
    re.IGNORECASE,
)
# How long the text takes to read: "5 min read", "Tempo de leitura: 1 minuto", "Lesezeit: 3
# Minuten". Metadata of the page, in every language we know the words of.
_READING_TIME = re.compile(
    r"^\W*((\d+\s*(min|minutes?)\s*read)|((reading time|tempo de leitura|tiempo de lectura|"
    r"lesezeit|lesedauer|temps de lecture)\s*:?\s*\d+\s*\w*))\W*$",
    re.IGNORECASE,
)
# A related-links list at the very end of the text: three or more short "- " items with
# nothing after them. A list inside the article has prose after it and is kept.
_LIST_ITEM = re.compile(r"^- \S")
_TAIL_LIST_MIN = 3
_TAIL_ITEM_CHARS = 200


# A byline near the top: "By Jane Roe". Names only (no sentence punctuation), first lines.
_BYLINE = re.compile(r"^\W*(by|written by|words by)\s+[\w.'’ -]{2,80}$", re.IGNORECASE)
_BYLINE_LINES = 4
_SHORT_LINE = 220  # a promotion line is short; a long one is a paragraph that mentions it


def _whole(pattern: re.Pattern[str]) -> Callable[[str, int, int], bool]:
    return lambda line, index, count: bool(pattern.match(line))


def _short(pattern: re.Pattern[str], limit: int) -> Callable[[str, int, int], bool]:
    return lambda line, index, count: len(line) < limit and bool(pattern.match(line))


RULES: tuple[LineRule, ...] = (
    LineRule("ad-label", lambda line, i, n: bool(_AD_LINE.match(line)), ENGLISH),
    LineRule("wire-credit", lambda line, i, n: bool(_WIRE_CREDIT_LINE.match(line))),
    LineRule("credit-label", lambda line, i, n: bool(_CREDIT_LABEL_LINE.match(line)), ENGLISH),
    LineRule("copyright-line", lambda line, i, n: bool(_COPYRIGHT_LINE.match(line))),
    *(
        LineRule(
            f"picture-credit-{lang}",
            _whole(rx),
            frozenset({lang}),
        )
        for lang, rx in _PICTURE_CREDIT.items()
    ),
    LineRule(
        "newsletter",
        lambda line, i, n: len(line) < _SHORT_LINE and bool(_NEWSLETTER.search(line)),
        ENGLISH,
    ),
    *(
        LineRule(
            f"related-heading-{lang}",
            _whole(rx),
            frozenset({lang}),
        )
        for lang, rx in _HEADING.items()
    ),
    *(
        LineRule(
            f"see-also-{lang}",
            _short(rx, _SEE_ALSO_CHARS),
            frozenset({lang}),
        )
        for lang, rx in _SEE_ALSO.items()
    ),
    *(
        LineRule(f"follow-promo-{lang}", _short(rx, _SHORT_LINE), frozenset({lang}))
        for lang, rx in _FOLLOW_PROMO.items()
    ),
    LineRule("contact-en", _whole(_CONTACT_EN), ENGLISH),
    LineRule("affiliate-en", _whole(_AFFILIATE_EN), ENGLISH),
    LineRule("widget-de", _whole(_WIDGET_DE), frozenset({"de"})),
    LineRule("box-label-de", _whole(_BOX_LABEL_DE), frozenset({"de"})),
    LineRule("date-line", _whole(_DATE_LINE)),
    LineRule("contributors-en", _short(_CONTRIBUTORS_EN, 300), ENGLISH),
    *(LineRule(f"stamp-{lang}", _stamp(rx), frozenset({lang})) for lang, rx in _STAMP.items()),
    LineRule("app-promo-en", _whole(_APP_PROMO_EN), ENGLISH),
    LineRule("form-status-en", _short(_FORM_STATUS_EN, 300), ENGLISH),
    LineRule("comments-heading-en", _whole(_COMMENTS_HEADING_EN), ENGLISH),
    LineRule("reading-time", _whole(_READING_TIME)),
    LineRule("byline", lambda line, i, n: i < _BYLINE_LINES and bool(_BYLINE.match(line)), ENGLISH),
)
RULE_NAMES = ("inline-credit", "title-repeat", *(rule.name for rule in RULES))


def clean_lines(
    text: str,
    title: str | None = None,
    language: str | None = None,
    disabled: frozenset[str] = frozenset(),
) -> str:
    """Drop the lines that are page furniture, not the article; normalise white space."""
    return clean_lines_traced(text, title, language, disabled)[0]


def clean_lines_traced(
    text: str,
    title: str | None = None,
    language: str | None = None,
    disabled: frozenset[str] = frozenset(),
) -> tuple[str, list[Removal]]:
    """The cleaned text and what each rule removed (``disabled`` rules do not run: the
    benchmark switches them off one by one to measure what each is worth)."""
    lines = [" ".join(raw.split()) for raw in text.splitlines()]
    lines = [line for line in lines if line]
    kept: list[str] = []
    removed: list[Removal] = []
    for index, line in enumerate(lines):
        if "inline-credit" not in disabled and _applies(None, language):
            stripped = _CREDIT_INLINE.sub("", line)
            if stripped != line:
                removed.append(Removal("inline-credit", line))
                line = stripped
        rule = _furniture_rule(line, index, len(lines), title, language, disabled)
        if rule:
            removed.append(Removal(rule, line))
        elif line:
            kept.append(line)
    return "\n".join(kept), removed


def _furniture_rule(
    line: str,
    index: int,
    count: int,
    title: str | None,
    language: str | None,
    disabled: frozenset[str],
) -> str | None:
    # trafilatura sometimes repeats the headline as the first line; it is the title field.
    if (
        "title-repeat" not in disabled
        and title
        and index < 2
        and _words(line) in _title_forms(title)
    ):
        return "title-repeat"
    for rule in RULES:
        if rule.name in disabled or not _applies(rule.languages, language):
            continue
        if rule.matches(line, index, count):
            return rule.name
    return None


# What separates a headline from the site's name or section in a page title: "Talks resume |
# Harbour Herald", "Opinion | Is Football Violence a Crime?", "... - SpaceNews.com".
_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—·:»]\s+")
_WORD = re.compile(r"\w+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def _title_forms(title: str) -> set[tuple[str, ...]]:
    """The title's words, and those of the title without its first or last part (the site's
    name or a section), so that the headline repeated as the text's first line is found
    whatever its quotes, dashes or site suffix."""
    parts = _TITLE_SEPARATOR.split(title.strip())
    forms = {_words(title)}
    if len(parts) > 1:
        forms.add(_words(" ".join(parts[:-1])))
        forms.add(_words(" ".join(parts[1:])))
    return {form for form in forms if form}


def _applies(languages: frozenset[str] | None, language: str | None) -> bool:
    """A rule for some languages runs on those and on text of unknown language."""
    return languages is None or language is None or language in languages
