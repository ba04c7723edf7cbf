"""The planted features: the answer key that chapters 02 and 08 hold neurons and latents against.

The corpus generator (corpus.py) writes every one of these into its documents and
records every occurrence, so that "which neurons carry feature X" has a true answer.
They are built to put a language model in the regime of Elhage et al. 2022 ("Toy
Models of Superposition"): far more features than the MLP has neurons, each rare,
each with a consequence for the next bytes that only a model which represents it can
predict. Five kinds:

- word: a made-up word that only occurs in one domain, always followed by the same
  few bytes (the first name "Tavrin " is always followed by "Kessel"); about 200 per
  domain, the bulk of the key;
- context: a common word whose next bytes depend on the domain it is in ("status"
  reads "status=ok" in HTTP and "status.sel" in Python): the same bytes, two features;
- marker: a few memorable ones kept from earlier editions of the course (doi:, TODO,
  ♪, ㅋ, @);
- family and member: a general feature with specific ones under it, the structure
  that feature splitting (Bricken et al. 2023) needs. After any currency sign digits
  follow (the family), and each sign has its own format (the members: "€12,50",
  "$12.50", "¥1200");
- span: a feature that lasts, true on every byte inside a quotation, a function body,
  a request's headers or a paper's title.

A feature is present at position t when the byte t − 1, which the model has just
read, carries its label: the last byte of a trigger, or any byte inside a span.

The inventory is fixed (WORLD_SEED), the same for every corpus seed: corpora differ
in their text, never in their answer key.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

DOMAINS = ("citations", "dialogue", "http", "korean", "python")
WORLD_SEED = 2023
WORDS_PER_DOMAIN = 200


@dataclass(frozen=True)
class PlantedFeature:
    name: str
    kind: str  # "word", "context", "marker", "family", "member" or "span"
    domains: tuple[str, ...]  # where the generator writes it
    trigger: str = ""  # present just after this has been read ("" for a span or a family)
    consequence: str = ""  # what usually follows it
    family: str = ""  # a member's family


# --------------------------------------------------------------------------- made-up words

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_LETTERS = "abdefgiklmnoprstuvz"
_OPEN_SYLLABLES = [
    chr(0xAC00 + 588 * lead + 28 * vowel) for lead in range(19) for vowel in range(21)
]


def _made_up(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))


def _with_endings(rng: random.Random, endings: list[str], make, taken: set[str]) -> list[str]:
    """Words that end in the given endings, one each: a word is told apart from the rest of
    its domain by its last two letters (or its last Hangul syllable), so a model can spot
    it from the few bytes before the point where it must use it."""
    out = []
    for ending in endings:
        while True:
            word = make(rng) + ending
            if word not in taken and not any(word in t or t in word for t in taken):
                taken.add(word)
                out.append(word)
                break
    return out


def _pairs(rng: random.Random, n: int) -> list[str]:
    return rng.sample([a + b for a in _LETTERS for b in _LETTERS], n)


def _word_features(rng: random.Random) -> list[PlantedFeature]:
    """WORDS_PER_DOMAIN made-up words per domain, each with its fixed next bytes."""
    taken: set[str] = set()
    features = []
    n = WORDS_PER_DOMAIN
    upper = [p.upper() for p in _pairs(rng, n)]
    for code in _with_endings(rng, upper, lambda r: _made_up(r, 2).upper(), taken):
        tail = f"{rng.randint(1, 9)}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.randint(0, 9)}"
        features.append(PlantedFeature(f"grant {code}", "word", ("citations",), code, tail))
    names = _with_endings(rng, _pairs(rng, n), lambda r: _made_up(r, 1).capitalize(), taken)
    for first in names:  # "Tavrin " -> "Kessel"
        surname = _made_up(rng, 2).capitalize() + rng.choice(("l", "n", "s", "r", "t"))
        features.append(
            PlantedFeature(f"name {first}", "word", ("dialogue",), first + " ", surname)
        )
    headers = _with_endings(rng, _pairs(rng, n), lambda r: _made_up(r, 1).capitalize(), taken)
    for header in headers:  # "X-Kova:" -> "7f3a"
        value = "".join(rng.choice("0123456789abcdef") for _ in range(4))
        features.append(
            PlantedFeature(f"header {header}", "word", ("http",), f"X-{header}:", value)
        )
    last = rng.sample(_OPEN_SYLLABLES, n)
    for place in _with_endings(rng, last, lambda r: r.choice(_OPEN_SYLLABLES), taken):
        suffix = "".join(rng.sample(_OPEN_SYLLABLES, 2))  # "도리" -> "마을"
        features.append(PlantedFeature(f"place {place}", "word", ("korean",), place, suffix))
    for call in _with_endings(rng, _pairs(rng, n), lambda r: _made_up(r, 1), taken):
        arg = f"{rng.choice(_KEYWORDS)}={rng.randint(0, 9)})"  # "vexor(" -> "depth=3)"
        features.append(PlantedFeature(f"call {call}", "word", ("python",), call + "(", arg))
    return features


_KEYWORDS = ("depth", "axis", "size", "mode", "step", "rank", "tol", "seed", "k", "n", "gap")


# --------------------------------------------------------------------------- context words

_CONTEXT_WORDS = (
    "status", "order", "level", "index", "range", "source", "volume", "table",
    "label", "record", "window", "format", "region", "weight", "signal", "margin",
)  # fmt: skip
_SEPARATORS = {"citations": ": ", "dialogue": ", ", "http": "=", "korean": " ", "python": "."}


def _context_features(rng: random.Random) -> list[PlantedFeature]:
    """Every context word in two domains, with a different fixed continuation in each."""
    features = []
    for i, word in enumerate(_CONTEXT_WORDS):
        for domain in (DOMAINS[i % 5], DOMAINS[(i + 2) % 5]):
            tail = _SEPARATORS[domain] + _made_up(rng, 1) + rng.choice(_CONSONANTS)
            features.append(PlantedFeature(f"{word} · {domain}", "context", (domain,), word, tail))
    return features


# --------------------------------------------------------------------------- the rest

_PRICED = ("dialogue", "http", "korean", "python")  # where prices are written
_MARKERS = (
    PlantedFeature("doi", "member", ("citations",), "doi:", "10.", "identifier"),
    PlantedFeature("arxiv", "member", ("citations",), "arXiv:", "2", "identifier"),
    PlantedFeature("pmid", "member", ("citations",), "PMID: ", "3", "identifier"),
    PlantedFeature("isbn", "member", ("citations",), "ISBN ", "978-", "identifier"),
    PlantedFeature("euro", "member", _PRICED, "€", "12,50", "currency"),
    PlantedFeature("dollar", "member", ("dialogue", "http", "python"), "$", "12.50", "currency"),
    PlantedFeature("pound", "member", ("dialogue", "http", "python"), "£", "12.5", "currency"),
    PlantedFeature("yen", "member", ("dialogue", "korean", "python"), "¥", "1200", "currency"),
    PlantedFeature("won", "member", ("korean",), "₩", "12,000", "currency"),
    PlantedFeature("bearer", "member", ("http",), "Bearer ", "7fq2x9kd0a", "authorization"),
    PlantedFeature("basic", "member", ("http",), "Basic ", "dXNlcjpwdw==", "authorization"),
    PlantedFeature("digest", "member", ("http",), "Digest ", 'username="', "authorization"),
    PlantedFeature("token", "member", ("http",), "Token ", "tok_", "authorization"),
    PlantedFeature("todo", "marker", ("python",), "TODO", ": "),
    PlantedFeature("song", "marker", ("dialogue",), "♪", " la la"),
    PlantedFeature("laughter", "marker", ("korean",), "ㅋ", "ㅋ"),
    PlantedFeature("email", "marker", DOMAINS, "@", "lab.example"),
)  # fmt: skip
_FAMILIES = (
    PlantedFeature("identifier", "family", ("citations",), consequence="digits"),
    PlantedFeature("currency", "family", _PRICED, consequence="digits"),
    PlantedFeature("authorization", "family", ("http",), consequence="credentials"),
)  # fmt: skip
_SPANS = (
    PlantedFeature("quotation", "span", ("dialogue",), consequence='the closing "'),
    PlantedFeature("function body", "span", ("python",), consequence="indented lines"),
    PlantedFeature("headers", "span", ("http",), consequence="Name: value lines"),
    PlantedFeature("title", "span", ("citations",), consequence="the title's end"),
)


def _inventory() -> tuple[PlantedFeature, ...]:
    rng = random.Random(WORLD_SEED)
    return (*_word_features(rng), *_context_features(rng), *_MARKERS, *_FAMILIES, *_SPANS)


PLANTED = _inventory()
"""Every planted feature, in the order of the corpus's feature ids."""

INDEX = {feature.name: i for i, feature in enumerate(PLANTED)}


@cache
def words_of(domain: str) -> tuple[int, ...]:
    """The ids of the made-up word features written in one domain."""
    return tuple(i for i, f in enumerate(PLANTED) if f.kind == "word" and f.domains == (domain,))


@cache
def context_words_of(domain: str) -> tuple[int, ...]:
    """The ids of the context-word features written in one domain."""
    return tuple(i for i, f in enumerate(PLANTED) if f.kind == "context" and f.domains == (domain,))


@cache
def members_of(family: str) -> tuple[int, ...]:
    """The ids of a family's members."""
    return tuple(i for i, f in enumerate(PLANTED) if f.family == family)
