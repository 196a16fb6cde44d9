"""text.py - sentences, paragraphs and HTML from the word list (words.txt).

Everything takes a random.Random so that the caller's seed decides the text.
Sentences follow a small grammar (determiner, adjective, noun, verb, ...)
over the sections of words.txt; nothing here is copied from real texts.
"""

import html
import os

WORDS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "words.txt")


def load_words(path=WORDS_FILE):
    """Read words.txt into {section: [words]}."""
    sections = {}
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], [])
                continue
            current.extend(line.split())
    return sections


WORDS = load_words()


def word(rng, section):
    """One word of a section."""
    return rng.choice(WORDS[section])


def person(rng):
    """A first and last name."""
    return "%s %s" % (word(rng, "first"), word(rng, "last"))


def _phrase(rng):
    """Determiner, optional adjective, noun: 'the weekly report'."""
    parts = [word(rng, "det")]
    if rng.random() < 0.5:
        parts.append(word(rng, "adjective"))
    parts.append(word(rng, "noun"))
    if parts[0] == "a" and parts[1][0] in "aeiou":
        parts[0] = "an"
    return " ".join(parts)


def sentence(rng, extra=None):
    """One sentence; extra (a section name such as 'latin1') mixes in a word of it."""
    parts = [_phrase(rng), word(rng, "verb"), _phrase(rng)]
    if rng.random() < 0.6:
        parts += [word(rng, "prep"), _phrase(rng)]
    if rng.random() < 0.3:
        parts.insert(1, word(rng, "adverb"))
    if extra and rng.random() < 0.5:
        parts.insert(rng.randrange(1, len(parts) + 1), word(rng, extra))
    s = " ".join(parts)
    end = rng.choice([".", ".", ".", ".", "?", "!"])
    return s[0].upper() + s[1:] + end


def paragraph(rng, extra=None):
    """Three to seven sentences."""
    return " ".join(sentence(rng, extra) for _ in range(rng.randint(3, 7)))


def wrap(text, width=72):
    """Wrap a paragraph into lines of at most width characters (long words kept)."""
    lines, line = [], ""
    for w in text.split(" "):
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = w if not line else line + " " + w
    if line:
        lines.append(line)
    return lines


def paragraphs(rng, size, extra=None):
    """Paragraphs whose wrapped text adds up to about size characters."""
    out, total = [], 0
    while total < size:
        p = paragraph(rng, extra)
        out.append(p)
        total += len(p) + 2
    return out


def plain_text(paras):
    """Paragraphs as wrapped plain text lines, blank lines between."""
    lines = []
    for p in paras:
        if lines:
            lines.append("")
        lines.extend(wrap(p))
    return lines


def html_document(title, paras, links, images, rng, raw=()):
    """An HTML mail body: a table layout, the paragraphs, links spread among them.

    links: [(url, text)]; images: [url]; raw: HTML snippets put in as they are
    (spam tricks). Returns the lines of the document.
    """
    lines = [
        "<!DOCTYPE html>",
        "<html><head>",
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        "<title>%s</title>" % html.escape(title),
        "<style>body{font-family:Arial,sans-serif;color:#222}"
        "td.main{padding:16px;line-height:1.4}a{color:#0645ad}</style>",
        "</head><body>",
        '<table width="600" cellpadding="0" cellspacing="0" border="0" align="center">',
    ]
    for url in images[:1]:
        lines.append('<tr><td><img src="%s" width="600" alt="%s"></td></tr>'
                     % (url, html.escape(title)))
    lines.append('<tr><td class="main">')
    lines.append("<h1>%s</h1>" % html.escape(title))
    lines.extend(raw)
    pending = list(links)
    for i, p in enumerate(paras):
        lines.extend(wrap("<p>%s</p>" % html.escape(p, quote=False), 76))
        if pending and (rng.random() < 0.5 or i == len(paras) - 1):
            url, text = pending.pop(0)
            lines.append('<p><a href="%s">%s</a></p>' % (url, html.escape(text)))
    for url, text in pending:
        lines.append('<p><a href="%s">%s</a></p>' % (url, html.escape(text)))
    for url in images[1:]:
        lines.append('<p><img src="%s" width="280" alt=""></p>' % url)
    lines += ["</td></tr>", "</table>", "</body></html>"]
    return lines
