"""A multi-domain text corpus, generated from a seed: the tiny language model's world.

Chapter 02 needs text from clearly different domains to show a neuron that fires
in several of them, like the neuron Bricken et al. 2023 ("Towards
Monosemanticity") found active on academic citations, English dialogue, HTTP
requests and Korean text. Every document here is written by templates in this
file from word lists in this file: nothing is downloaded or copied, and the same
seed gives the same bytes on every machine and Python version (which is why the
Python domain is generated too, rather than read from the standard library on
disk, whose files change between Python versions).

The generator also plants features whose every occurrence it knows (planted.py):
over a thousand, far more than the model has neurons, each rare and each with a
consequence for the next bytes. These are the ground truth that chapters 02 and 08
hold neurons and SAE latents against.

    corpus = generate(seed=0, docs_per_domain=200)
    corpus.text          # (n_bytes,) uint8: UTF-8 documents joined by blank lines
    corpus.domain        # (n_bytes,) int64: index into DOMAINS of each byte's document
    corpus.label_feature, corpus.label_byte   # (n_labels,) each: feature id, byte it labels
    corpus.label_until   # (n_labels,): its consequence ends before this byte (a point feature's)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

from polysemantic.language_model.planted import (
    DOMAINS,
    INDEX,
    PLANTED,
    WORDS_PER_DOMAIN,
    context_words_of,
    members_of,
    words_of,
)

SEPARATOR = b"\n\n"


@dataclass(frozen=True)
class Corpus:
    text: np.ndarray  # (n_bytes,) uint8
    domain: np.ndarray  # (n_bytes,) int64, -1 on the separators between documents
    starts: np.ndarray  # (n_docs,) int64 offset of each document in text
    lengths: np.ndarray  # (n_docs,) int64 length of each document in bytes
    label_feature: np.ndarray  # (n_labels,) int64: a planted feature's id (index into PLANTED)
    label_byte: np.ndarray  # (n_labels,) int64: a byte it labels (a trigger's last, a span's any)
    label_until: np.ndarray  # (n_labels,) int64: where the bytes it makes predictable end

    @property
    def doc_domains(self) -> np.ndarray:
        """(n_docs,) the domain of each document."""
        return self.domain[self.starts]

    def document(self, index: int) -> str:
        start = int(self.starts[index])
        return bytes(self.text[start : start + int(self.lengths[index])]).decode("utf-8")


class _Writer(random.Random):
    """The writers' random source, which also knows whether consequences are scrambled."""

    scramble = False
    words_per_domain = WORDS_PER_DOMAIN


def generate(
    seed: int = 0,
    docs_per_domain: int = 200,
    scramble: bool = False,
    words_per_domain: int = WORDS_PER_DOMAIN,
) -> Corpus:
    """docs_per_domain documents of every domain, shuffled, each about 300-700 bytes.

    scramble=True writes the same kinds of text, but each made-up or context word is
    followed by the continuation of another word of its domain, drawn afresh every time:
    the control corpus whose planted words predict nothing. words_per_domain < 200 does
    that to all but the first words_per_domain made-up words of each domain: the text
    keeps its look, and fewer of its words are features (the sweep of chapter 02).
    """
    rng = _Writer(seed)
    rng.scramble, rng.words_per_domain = scramble, words_per_domain
    docs = [
        (d, _WRITERS[name](rng)) for d, name in enumerate(DOMAINS) for _ in range(docs_per_domain)
    ]
    rng.shuffle(docs)
    pieces, domains, starts, lengths, features, at, until, offset = [], [], [], [], [], [], [], 0
    for d, doc in docs:
        data, marks = _unmark(doc)
        starts.append(offset)
        lengths.append(len(data))
        for feature, lo, split, hi in marks:
            if PLANTED[feature].kind == "span":
                labelled = np.arange(lo, hi)  # every byte inside
                reach = labelled + 2  # present only at the position after each
            else:  # the trigger's last byte, and all of its consequence
                labelled, reach = np.array([split - 1]), np.array([max(hi, split + 1)])
            family = PLANTED[feature].family
            for f in (feature, INDEX[family]) if family else (feature,):
                features.append(np.full(len(labelled), f))
                at.append(offset + labelled)
                until.append(offset + reach)
        pieces += [data, SEPARATOR]
        domains += [np.full(len(data), d), np.full(len(SEPARATOR), -1)]
        offset += len(data) + len(SEPARATOR)
    text = np.frombuffer(b"".join(pieces), dtype=np.uint8).copy()
    return Corpus(
        text,
        np.concatenate(domains).astype(np.int64),
        np.array(starts, dtype=np.int64),
        np.array(lengths, dtype=np.int64),
        np.concatenate(features).astype(np.int64),
        np.concatenate(at).astype(np.int64),
        np.concatenate(until).astype(np.int64),
    )


# --------------------------------------------------------------------------- planting

_OPEN_POINT, _OPEN_SPAN, _CLOSE, _THEN = "\x02", "\x01", "\x03", "\x04"
_TOKEN = re.compile("(\x02[0-9a-z]{3}|\x01[0-9]{4}|\x03|\x04)")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _mark(feature: int, text: str, consequence: str = "") -> str:
    """text marked as an occurrence of a planted feature, for generate() to label and unmark:
    a span's text, or a point feature's trigger and then the consequence it has here.

    A point's id is written in three base-36 digits, so that its mark is as long as a
    span's despite the extra separator: documents are cut to length with their marks in
    (`_until`), and marks of the old length keep the text the committed model read.
    """
    if PLANTED[feature].kind == "span":
        return f"{_OPEN_SPAN}{feature:04d}{text}{_CLOSE}"
    digits = "".join(_BASE36[feature // 36**k % 36] for k in (2, 1, 0))
    return f"{_OPEN_POINT}{digits}{text}{_THEN}{consequence}{_CLOSE}"


def _plant(name: str, consequence: str = "") -> str:
    """A marker feature's trigger and the continuation that this occurrence gives it, marked."""
    return _mark(INDEX[name], PLANTED[INDEX[name]].trigger, consequence)


def _span(name: str, text: str) -> str:
    return _mark(INDEX[name], text)


def _codeword(rng: random.Random, domain: str) -> str:
    """One of the domain's made-up words, marked, with the bytes that always follow it."""
    rank = rng.randrange(len(words := words_of(domain)))
    feature = PLANTED[words[rank]]
    real = rank < getattr(rng, "words_per_domain", WORDS_PER_DOMAIN)
    return _mark(words[rank], feature.trigger, _consequence(rng, feature, words, real))


def _context_word(rng: random.Random, domain: str) -> str:
    """A context word, marked as the feature it is in this domain, with its continuation."""
    feature = PLANTED[i := rng.choice(context_words_of(domain))]
    return _mark(i, feature.trigger, _consequence(rng, feature, context_words_of(domain)))


def _consequence(rng: random.Random, feature, same_kind, real: bool = True) -> str:
    """The feature's own continuation, or (scrambled) that of a random one of its kind."""
    if getattr(rng, "scramble", False) or not real:
        return PLANTED[rng.choice(same_kind)].consequence
    return feature.consequence


def _unmark(doc: str) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """A document with (nested) marks -> its UTF-8 bytes and, per mark, the byte offsets
    (feature, start, split, end): a point's trigger is start:split and its consequence
    split:end; a span's text is start:end (split = end)."""
    pieces, marks, open_marks, at = [], [], [], 0
    for token in _TOKEN.split(doc):
        if token == _CLOSE:
            feature, start, split = open_marks.pop()
            marks.append((feature, start, at if split is None else split, at))
        elif token == _THEN:
            feature, start, _ = open_marks[-1]
            open_marks[-1] = (feature, start, at)
        elif _TOKEN.fullmatch(token):
            open_marks.append((int(token[1:], 10 if token[0] == _OPEN_SPAN else 36), at, None))
        else:
            data = token.encode("utf-8")
            pieces.append(data)
            at += len(data)
    assert not open_marks, "unclosed mark"
    return b"".join(pieces), marks


_MAIL_NAMES = ("kim", "mara", "j.park", "okafor", "lena", "sam.n", "chen", "rossi")
_MAIL_HOSTS = ("lab.example", "uni.example.edu", "mail.test", "example.org")


def _email(rng: random.Random) -> str:
    name = rng.choice(_MAIL_NAMES)
    return name + _plant("email", rng.choice(_MAIL_HOSTS))


_PRICE_FORMATS = {
    "euro": lambda r: f"{r.randint(1, 99)},{r.choice(('00', '50', '99', '25'))}",
    "dollar": lambda r: f"{r.randint(1, 99)}.{r.choice(('00', '50', '99', '25'))}",
    "pound": lambda r: f"{r.randint(1, 99)}.{r.randint(1, 9)}",
    "yen": lambda r: f"{r.randint(1, 99)}00",
    "won": lambda r: f"{r.randint(1, 99)},000",
}


def _price(rng: random.Random, domain: str) -> str:
    """A price in one of the currencies written in this domain, in that currency's format."""
    member = rng.choice([i for i in members_of("currency") if domain in PLANTED[i].domains])
    name = PLANTED[member].name
    return _plant(name, _PRICE_FORMATS[name](rng))


def _until(rng: random.Random, write_one, min_bytes: int, joiner: str) -> str:
    """Join pieces written by write_one(rng) until the document is min_bytes long."""
    parts: list[str] = []
    while len(joiner.join(parts).encode("utf-8")) < min_bytes:
        parts.append(write_one(rng))
    return joiner.join(parts)


def _doc_size(rng: random.Random) -> int:
    return rng.randint(300, 600)


# --------------------------------------------------------------------------- citations

_SURNAMES = (
    "Kim",
    "Park",
    "Okafor",
    "Nguyen",
    "Silva",
    "Moreau",
    "Smith",
    "Garcia",
    "Ivanova",
    "Chen",
    "Haddad",
    "Kowalski",
    "Tanaka",
    "Rossi",
    "Dubois",
    "Novak",
    "Larsen",
    "Mensah",
    "Patel",
    "Cohen",
    "Schmidt",
    "Oliveira",
    "Yamada",
    "Brown",
    "Lindqvist",
    "Adeyemi",
    "Horvath",
    "Fischer",
    "Sato",
    "Khan",
)
_TOPIC_ADJ = (
    "Sparse",
    "Robust",
    "Efficient",
    "Hierarchical",
    "Distributed",
    "Stochastic",
    "Linear",
    "Adaptive",
    "Latent",
    "Neural",
    "Bayesian",
    "Scalable",
    "Causal",
)
_TOPIC_NOUN = (
    "representations",
    "coding",
    "inference",
    "attention",
    "features",
    "dynamics",
    "estimation",
    "optimisation",
    "memory",
    "circuits",
    "retrieval",
    "embeddings",
    "dictionaries",
    "priors",
)
_TOPIC_FIELD = (
    "visual cortex",
    "language models",
    "speech recognition",
    "protein folding",
    "graph networks",
    "reinforcement learning",
    "image classification",
    "time series",
    "recommender systems",
    "neural populations",
)
_JOURNALS = (
    "Journal of Machine Learning Research",
    "Neural Computation",
    "Nature",
    "Proceedings of the National Academy of Sciences",
    "Cognitive Science",
    "Transactions on Pattern Analysis and Machine Intelligence",
    "Advances in Neural Information Processing Systems",
    "Physical Review E",
    "Journal of Neuroscience",
    "Computational Linguistics",
)


def _title(rng: random.Random) -> str:
    return (
        f"{rng.choice(_TOPIC_ADJ)} {rng.choice(_TOPIC_NOUN)} "
        f"{rng.choice(('in', 'for', 'of', 'across'))} {rng.choice(_TOPIC_FIELD)}"
    )


def _apa(rng: random.Random) -> str:
    authors = [
        f"{rng.choice(_SURNAMES)}, {rng.choice('ABCDEGHJKLMNPRST')}."
        for _ in range(rng.randint(1, 3))
    ]
    names = authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + ", & " + authors[-1]
    first, year = rng.randint(1, 900), rng.randint(1987, 2024)
    return (
        f"{names} ({year}). {_span('title', _title(rng))}. {rng.choice(_JOURNALS)}, "
        f"{rng.randint(1, 60)}({rng.randint(1, 12)}), {first}-{first + rng.randint(5, 30)}."
        + _doi(rng, year)
        + _grant(rng)
    )


def _grant(rng: random.Random) -> str:
    grants = [_codeword(rng, "citations") for _ in range(rng.randint(2, 4))]
    return f" Supported by grants {', '.join(grants)}." if rng.random() < 0.9 else ""


def _numbered(rng: random.Random) -> str:
    authors = [
        f"{rng.choice('ABCDEGHJKLMNPRST')}. {rng.choice(_SURNAMES)}"
        for _ in range(rng.randint(1, 3))
    ]
    first, year = rng.randint(1, 900), rng.randint(1995, 2024)
    return (
        f'[{rng.randint(1, 80)}] {" and ".join(authors)}, "{_span("title", _title(rng))}," '
        f"in Proc. {rng.choice(('ICML', 'NeurIPS', 'ICLR', 'ACL', 'CVPR'))}, {year}, "
        f"pp. {first}-{first + rng.randint(5, 15)}." + _doi(rng, year) + _grant(rng)
    )


def _doi(rng: random.Random, year: int) -> str:
    """An identifier after a third of the references: ' doi:10.4821/nco.2019', an arXiv id,
    a PMID or an ISBN, each in its own format."""
    if rng.random() >= 0.4:
        return ""
    journal = rng.choice(("nco", "jml", "pnas", "cog", "tpami", "neur"))
    kind = rng.choice(("doi", "doi", "arxiv", "pmid", "isbn"))
    if kind == "doi":
        return f" {_plant('doi', '10.')}{rng.randint(1000, 9999)}/{journal}.{year}"
    if kind == "arxiv":
        return f" {_plant('arxiv', '2')}{rng.randint(100, 499)}.{rng.randint(10000, 99999)}"
    if kind == "pmid":
        return f" {_plant('pmid', '3')}{rng.randint(1000000, 9999999)}"
    group, item = rng.randint(1000, 9999), rng.randint(1000, 9999)
    return f" {_plant('isbn', '978-')}{rng.randint(0, 9)}-{group}-{item}"


def _in_text(rng: random.Random) -> str:
    cites = "; ".join(
        f"{rng.choice(_SURNAMES)}{rng.choice(('', ' et al.', ' & ' + rng.choice(_SURNAMES)))}"
        f", {rng.randint(1987, 2024)}"
        for _ in range(rng.randint(1, 3))
    )
    claim = (
        f"{rng.choice(_TOPIC_ADJ)} {rng.choice(_TOPIC_NOUN)} "
        f"{rng.choice(('improve', 'explain', 'predict', 'limit'))} "
        f"{rng.choice(_TOPIC_NOUN)} in {rng.choice(_TOPIC_FIELD)}"
    )
    extra = f" Compare the {_context_word(rng, 'citations')}." if rng.random() < 0.3 else ""
    return f"{claim} ({cites}).{extra}{_grant(rng)}"


def _citations(rng: random.Random) -> str:
    style = rng.choice((_apa, _numbered, _in_text))
    heading = rng.choice(("References\n", "Bibliography\n", "")) if style is not _in_text else ""
    contact = f"\nCorrespondence: {_email(rng)}" if rng.random() < 0.5 else ""
    return heading + _until(rng, style, _doc_size(rng), "\n") + contact


# --------------------------------------------------------------------------- dialogue

_NAMES = (
    "Anna",
    "Tom",
    "Mara",
    "Sam",
    "Priya",
    "Jonah",
    "Lena",
    "Omar",
    "Grace",
    "Felix",
    "Ruth",
    "Theo",
    "Nadia",
    "Victor",
    "Iris",
    "Ben",
)
_SAID = ("said", "asked", "replied", "whispered", "shouted", "laughed", "sighed", "added")
_THINGS = (
    "the keys",
    "my coat",
    "the tickets",
    "the letter",
    "your phone",
    "the map",
    "the cake",
    "that book",
    "the money",
    "the dog",
)
_PLACES = (
    "the station",
    "the kitchen",
    "the market",
    "the old bridge",
    "school",
    "the office",
    "the garden",
    "the hospital",
    "the beach",
    "home",
)
_TIMES = (
    "tonight",
    "tomorrow",
    "at nine",
    "after lunch",
    "on Sunday",
    "right now",
    "this morning",
    "before dark",
)


def _line(rng: random.Random) -> str:
    special = rng.random()  # one line in twenty is a song, one a price, one an address
    kind = (
        6 if special < 0.05 else 7 if special < 0.1 else 8 if special < 0.15 else rng.randrange(6)
    )
    if kind == 0:
        words = f"Where did you put {rng.choice(_THINGS)}?"
    elif kind == 1:
        words = f"I left {rng.choice(_THINGS)} at {rng.choice(_PLACES)}."
    elif kind == 2:
        words = f"Are you coming to {rng.choice(_PLACES)} {rng.choice(_TIMES)}?"
    elif kind == 3:
        words = rng.choice(
            (
                "Yes, of course.",
                "No, I don't think so.",
                "Maybe later.",
                "I'm not sure.",
                "Really? Why?",
                "Oh, thank you!",
                "Fine.",
            )
        )
    elif kind == 4:
        words = f"We should go {rng.choice(_TIMES)}, before it rains."
    elif kind == 5:
        words = f"Did {rng.choice(_NAMES)} tell you about {rng.choice(_THINGS)}?"
    elif kind == 6:
        words = _plant("song", f" {rng.choice(_TUNES)} ") + _plant("song")
    elif kind == 7:
        words = f"It was {_price(rng, 'dialogue')}, can you believe it?"
    else:
        words = f"Write to me at {_email(rng)}, {rng.choice(_TIMES)}."
    if kind != 6 and rng.random() < 0.8:  # the song line ends in a mark, not a full stop
        words = words[:-1] + f", {rng.choice(('said', 'asked'))} {_codeword(rng, 'dialogue')}."
    elif rng.random() < 0.15:
        words = f"The {_context_word(rng, 'dialogue')} was {rng.choice(('wrong', 'fine'))}."
    speaker = _codeword(rng, "dialogue") if rng.random() < 0.7 else rng.choice(_NAMES)
    if rng.random() < 0.5:
        return f'"{_span("quotation", words)}" {rng.choice(_SAID)} {speaker}.'
    return f"{speaker}: {words}"


_TUNES = ("la la la", "tra la la", "hm hm hm", "do re mi", "na na na")


def _dialogue(rng: random.Random) -> str:
    return _until(rng, _line, _doc_size(rng), "\n")


# --------------------------------------------------------------------------- http

_RESOURCES = ("users", "orders", "items", "sessions", "images", "search", "cart", "reports")
_HOSTS = (
    "api.example.com",
    "shop.example.org",
    "localhost:8080",
    "service.internal",
    "static.example.net",
)
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64)",
    "curl/8.4.0",
    "python-requests/2.31",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "PostmanRuntime/7.36",
)
_ACCEPT = ("*/*", "application/json", "text/html,application/xhtml+xml", "image/webp")


def _request(rng: random.Random) -> str:
    method = rng.choice(("GET", "GET", "GET", "POST", "PUT", "DELETE"))
    path = f"/{rng.choice(('api/v1', 'api/v2', 'v1', ''))}/{rng.choice(_RESOURCES)}".replace(
        "//", "/"
    )
    if rng.random() < 0.6:
        path += f"/{rng.randint(1, 99999)}"
    if method == "GET" and rng.random() < 0.5:
        path += f"?page={rng.randint(1, 50)}&sort={rng.choice(('asc', 'desc'))}"
    if rng.random() < 0.3:
        path += f"?{_context_word(rng, 'http')}"
    lines = [
        f"Host: {rng.choice(_HOSTS)}",
        f"User-Agent: {rng.choice(_AGENTS)}",
        f"Accept: {rng.choice(_ACCEPT)}",
    ]
    if rng.random() < 0.4:
        lines.append(f"Cookie: session={rng.getrandbits(64):016x}")
    if rng.random() < 0.3:
        lines.append(f"Authorization: {_authorization(rng)}")
    for _ in range(rng.randint(3, 7)):
        lines.insert(rng.randint(1, len(lines)), _codeword(rng, "http"))
    if rng.random() < 0.15:
        lines.append(f"From: {_email(rng)}")
    body = ""
    if method in ("POST", "PUT"):
        key = rng.choice(("name", "id", "count", "status", "price"))
        value = (
            _price(rng, "http")
            if key == "price"
            else f"{rng.choice(_RESOURCES)}-{rng.randint(1, 999)}"
        )
        body = f'{{"{key}": "{value}"}}'
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    headers = _span("headers", "\r\n".join(lines))
    return f"{method} {path} HTTP/1.1\r\n{headers}\r\n\r\n{body}"


def _authorization(rng: random.Random) -> str:
    """One of four schemes, each with its own credentials' format."""
    scheme = rng.choice(("bearer", "bearer", "basic", "digest", "token"))
    if scheme == "bearer":
        return _plant(
            "bearer", "".join(rng.choice("abcdefghkmnpqrstxyz0123456789") for _ in range(10))
        )
    if scheme == "basic":
        return _plant(
            "basic", "".join(rng.choice("ABCDEFGHabcdefgh0123") for _ in range(10)) + "=="
        )
    if scheme == "digest":
        return _plant("digest", 'username="') + f'{rng.choice(_MAIL_NAMES)}"'
    return _plant("token", f"tok_{rng.getrandbits(32):08x}")


def _http(rng: random.Random) -> str:
    return _until(rng, _request, _doc_size(rng), "\n")


# --------------------------------------------------------------------------- korean

_PEOPLE_KO = ("친구", "선생님", "동생", "어머니", "아버지", "학생", "할머니", "동료")
_PLACES_KO = ("학교", "도서관", "시장", "회사", "공원", "바다", "식당", "집", "역", "병원")
_TIMES_KO = ("오늘", "내일", "어제", "아침에", "저녁에", "주말에", "지금")
_OBJECTS_KO = ("커피", "책", "사과", "영화", "음악", "편지", "김치", "사진", "빵", "물")
_VERBS_KO = (
    "마셨습니다",
    "읽었어요",
    "샀어요",
    "봤습니다",
    "들었어요",
    "썼습니다",
    "먹었어요",
    "찍었어요",
    "좋아해요",
    "만들었습니다",
)
_ADJECTIVES_KO = (
    "정말 좋아요",
    "아주 맛있어요",
    "조금 비싸요",
    "너무 추워요",
    "참 따뜻해요",
    "재미있어요",
    "조용합니다",
    "멀어요",
)


def _has_final_consonant(word: str) -> bool:
    """Whether a Hangul word ends in a final consonant (받침), which picks the particle."""
    return (ord(word[-1]) - 0xAC00) % 28 != 0


def _particle(word: str, with_final: str, without_final: str) -> str:
    return word + (with_final if _has_final_consonant(word) else without_final)


def _sentence_ko(rng: random.Random) -> str:
    laughter = " " + _plant("laughter") * rng.randint(2, 4) if rng.random() < 0.12 else ""
    return _plain_sentence_ko(rng) + laughter


def _plain_sentence_ko(rng: random.Random) -> str:
    special = rng.random()  # one sentence in twenty gives a price, one in twenty an address
    if special < 0.05:
        return f"{_particle(rng.choice(_OBJECTS_KO), '은', '는')} {_price(rng, 'korean')}이에요."
    if special < 0.10:
        return f"{_email(rng)}로 연락해 주세요."
    if special < 0.75:
        went = rng.choice(("갔어요", "가요", "왔습니다"))
        return f"{rng.choice(_TIMES_KO)} {_codeword(rng, 'korean')}에 {went}."
    if special < 0.80:
        return f"{_context_word(rng, 'korean')} 좋아요."
    kind = rng.randrange(3)
    if kind == 0:
        return (
            f"{rng.choice(_TIMES_KO)} {rng.choice(_PLACES_KO)}에서 "
            f"{_particle(rng.choice(_PEOPLE_KO), '과', '와')} "
            f"{_particle(rng.choice(_OBJECTS_KO), '을', '를')} {rng.choice(_VERBS_KO)}."
        )
    if kind == 1:
        topic = _particle(rng.choice(_PLACES_KO + _OBJECTS_KO), "은", "는")
        return f"{topic} {rng.choice(_ADJECTIVES_KO)}."
    return (
        f"{_particle(rng.choice(_PEOPLE_KO), '이', '가')} {rng.choice(_TIMES_KO)} "
        f"{rng.choice(_PLACES_KO)}에 {rng.choice(('갔어요', '가요', '왔습니다', '있어요'))}."
    )


def _korean(rng: random.Random) -> str:
    return _until(rng, _sentence_ko, _doc_size(rng), " ")


# --------------------------------------------------------------------------- python

_VERBS_PY = (
    "load",
    "parse",
    "read",
    "build",
    "merge",
    "count",
    "filter",
    "format",
    "split",
    "normalize",
    "find",
    "update",
)
_NOUNS_PY = (
    "items",
    "lines",
    "records",
    "config",
    "tokens",
    "paths",
    "values",
    "headers",
    "rows",
    "names",
    "entries",
    "chunks",
)


_LATER = ("lazily", "first", "once", "in place", "faster", "again")


def _function(rng: random.Random) -> str:
    verb, noun, item = (
        rng.choice(_VERBS_PY),
        rng.choice(_NOUNS_PY),
        rng.choice(("x", "item", "line", "key")),
    )
    kind = rng.randrange(4)
    head = f'    """{verb.capitalize()} the {noun}."""\n'
    if rng.random() < 0.4:
        todo = f"{rng.choice(_VERBS_PY)} the {rng.choice(_NOUNS_PY)} {rng.choice(_LATER)}"
        head += f"    # {_plant('todo', ': ')}{todo}\n"
    for _ in range(rng.randint(3, 6)):
        head += f"    {rng.choice(('x', 'y', 'out', 'tmp'))} = {_codeword(rng, 'python')}\n"
    if rng.random() < 0.3:
        head += f"    value = {_context_word(rng, 'python')}\n"
    body = _body(rng, kind, head, noun, item, verb)
    return f"def {verb}_{noun}({noun}, limit=None):\n" + _span("function body", body)


def _body(rng: random.Random, kind: int, head: str, noun: str, item: str, verb: str) -> str:
    if kind == 0:
        return (
            head + "    result = []\n"
            f"    for {item} in {noun}:\n"
            f"        if {item} is not None:\n"
            f"            result.append({item})\n"
            "    return result\n"
        )
    if kind == 1:
        return (
            head + f"    counts = {{}}\n    for {item} in {noun}:\n"
            f"        counts[{item}] = counts.get({item}, 0) + 1\n    return counts\n"
        )
    if kind == 2:
        return (
            head + "    try:\n"
            f"        return [{item}.strip() for {item} in {noun} if {item}]\n"
            "    except (TypeError, ValueError) as error:\n"
            f'        raise RuntimeError(f"cannot {verb} {{error}}") from error\n'
        )
    return (
        head + f"    i = 0\n    while i < len({noun}):\n"
        f"        if limit is not None and i >= limit:\n            break\n"
        f"        i += {rng.randint(1, 3)}\n    return i\n"
    )


def _class(rng: random.Random) -> str:
    name = rng.choice(_NOUNS_PY).capitalize().rstrip("s")
    field = rng.choice(_NOUNS_PY)
    price = f'    price = "{_price(rng, "python")}"\n\n' if rng.random() < 0.4 else ""
    return (
        f"class {name}Reader:\n{price}"
        f"    def __init__(self, {field}):\n        self.{field} = list({field})\n\n"
        f"    def __len__(self):\n        return len(self.{field})\n"
    )


def _python(rng: random.Random) -> str:
    imports = "\n".join(
        f"import {m}"
        for m in sorted(
            rng.sample(
                ("os", "re", "sys", "json", "math", "itertools", "collections", "pathlib"), 2
            )
        )
    )
    header = ""
    if rng.random() < 0.5:
        header += f'__author__ = "{_email(rng)}"\n'
    if rng.random() < 0.3:
        header += f'DEFAULT_PRICE = "{_price(rng, "python")}"\n'
    body = _until(
        rng, lambda r: _class(r) if r.random() < 0.25 else _function(r), _doc_size(rng), "\n\n"
    )
    return imports + "\n\n" + header + "\n" + body


_WRITERS = {
    "citations": _citations,
    "dialogue": _dialogue,
    "http": _http,
    "korean": _korean,
    "python": _python,
}
