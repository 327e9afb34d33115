"""Ranked search over ATT&CK by ID, name, alias and description words.

A facilitator types while people watch, so a search must come back well inside a
frame (< 20 ms at p95 on the full enterprise bundle). Scoring every description at
query time is too slow; instead the index carries a small inverted index built once
(and cached with it): for each word, the documents holding it and a precomputed
BM25F weight (name and aliases count more than description words). A query then
only adds up a few posting lists. On top of the word score, an exact ID wins
outright, an ID prefix (``T1110`` -> its sub-techniques) comes next, and a query
that is the whole name or alias of an object gets a large bonus, so that
"brute force" puts T1110 Brute Force first rather than the longest description
that repeats the words.

Scores alone still let a long description outrank the techniques an analyst means
("brute force" put Kerberoasting above Password Spraying), so results come in tiers
before scores: (0) exact IDs, names and aliases; (1) the sub-techniques of a technique
matched in tier 0 ("brute force" -> T1110.001-.004); (2) sub-techniques of a technique
whose whole name is in the query, when they match the other words ("phishing link" ->
T1566.002 Spearphishing Link); (3) those parent techniques; (4) everything else by
score. Exact names shared by several techniques ("Cloud Accounts" under Valid,
Establish and Compromise Accounts) rank the one used in more tactics of an intrusion
first: reconnaissance and resource development happen outside the defender's logs.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workshop.attack.model import SearchHit, plain_text

_WORD = re.compile(r"[a-z0-9]+")
_ID_LIKE = re.compile(r"^(?:T|TA|DET|AN|M|G|C|DC|S|DS)\d+(?:\.\d*)?$")

#: Words too common to rank anything (English function words and ATT&CK boilerplate).
_STOPWORDS_TEXT = """
a an and are as at be been being but by can could do does for from has have how if in into is it its
may might more most no not of on or such than that the their them then there these they this those to
was were which while who will with within without would also other use uses used using via e g eg
adversary adversaries
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# BM25F parameters. Name and alias matches count several times a description word.
_K1 = 1.2
_B = 0.75
FIELD_WEIGHTS = (4.0, 3.0, 1.0)  # name, aliases, text
_SCALE = 100  # weights are stored as integers (x100) to keep the cache compact

#: Bonuses on top of word scores (in BM25 units).
EXACT_ID = 1000.0
ID_PREFIX = 500.0
EXACT_NAME = 40.0
NAME_PHRASE = 15.0
EXACT_ALIAS = 30.0
ALIAS_PHRASE = 10.0
#: Prefix expansion of a word not in the vocabulary ("brut" -> "brute") counts less.
PREFIX_FACTOR = 0.6
MAX_PREFIX_TERMS = 30
#: Tactics that happen before an intrusion, out of sight of an application's logs.
PRE_INTRUSION = frozenset({"reconnaissance", "resource-development"})
#: Ranking tiers (lower first); see the module docstring.
TIER_EXACT, TIER_CHILD, TIER_NARROWED, TIER_PARENT, TIER_REST = range(5)
#: Added to a shown score per tier above the rest (more than any word and ID bonus together).
TIER_STEP = 2000.0


def stem(word: str) -> str:
    """A deliberately light plural folding: "accounts" and "account" are one word.

    A full stemmer (Porter) would also merge words a security reader keeps apart
    ("logging" and "logs" are fine, "exploit" and "exploitation" less so).
    """
    if len(word) > 4:
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("sses"):
            return word[:-2]
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


_TERMS: dict[str, str] = {}  # word -> indexed term ("" for words we drop); words repeat a lot


def tokens(text: str) -> list[str]:
    """The indexed terms of a text, in order: lower case, no stop words or single letters, plurals folded."""
    out = []
    for w in _WORD.findall(text.lower()):
        term = _TERMS.get(w)
        if term is None:
            term = "" if len(w) < 2 or w in STOPWORDS else stem(w)
            if len(_TERMS) < 200_000:
                _TERMS[w] = term
        if term:
            out.append(term)
    return out


def normalise(text: str) -> str:
    """Lower case, words separated by one space: for whole-name comparisons."""
    return " ".join(_WORD.findall(text.lower()))


@dataclass(slots=True)
class Doc:
    """What the search needs of one record, whatever its kind."""

    id: str
    name: str
    kind: str
    aliases: Sequence[str]
    tactics: Sequence[str]
    is_subtechnique: bool
    hidden: bool
    revoked: bool
    deprecated: bool


def term_counts(text: str) -> dict[str, int]:
    """Indexed terms of a text with their counts (what :func:`tokens` gives, counted).

    Counting the raw words first (in C) and folding only the distinct ones keeps the
    Python-level work per document small: this runs over 2 MB of descriptions on
    every cold load.
    """
    out: dict[str, int] = {}
    for w, n in Counter(_WORD.findall(text.lower())).items():
        term = _TERMS.get(w)
        if term is None:
            term = "" if len(w) < 2 or w in STOPWORDS else stem(w)
            if len(_TERMS) < 200_000:
                _TERMS[w] = term
        if term:
            out[term] = out.get(term, 0) + n
    return out


def lengths_of(counts: dict[str, int]) -> int:
    return sum(counts.values())


def build_postings(fields: Sequence[tuple[str, Sequence[str], str] | None]) -> dict[str, list[int]]:
    """The inverted index: word -> flat list ``[doc, weight, doc, weight, ...]``.

    ``fields`` holds, per document, its name, aliases and free text (or None for
    documents found by ID only, such as analytics).
    """
    empty: dict[str, int] = {}
    per_doc: list[tuple[dict[str, int], dict[str, int], dict[str, int]] | None] = []
    lengths = [0, 0, 0]
    counted = 0
    df: Counter[str] = Counter()
    for entry in fields:
        if entry is None:
            per_doc.append(None)
            continue
        name, aliases, text = entry
        counts = (
            term_counts(name),
            term_counts(" ".join(aliases)) if aliases else empty,
            term_counts(plain_text(text)) if text else empty,
        )
        per_doc.append(counts)
        counted += 1
        for i in range(3):
            lengths[i] += sum(counts[i].values())
        df.update(counts[0].keys() | counts[1].keys() | counts[2].keys())
    avg = [max(1.0, n / max(1, counted)) for n in lengths]
    total = max(1, counted)
    idf = {word: math.log(1 + (total - n + 0.5) / (n + 0.5)) for word, n in df.items()}
    postings: dict[str, list[int]] = {}
    k1, scale = _K1, _SCALE
    for doc, tf in enumerate(per_doc):
        if tf is None:
            continue
        # BM25F: field-weighted, length-normalised term frequency, then saturation.
        name_tf, alias_tf, text_tf = tf
        w = FIELD_WEIGHTS[2] / (1 - _B + _B * lengths_of(text_tf) / avg[2])
        combined = {word: w * n for word, n in text_tf.items()}
        for i, field_tf in ((0, name_tf), (1, alias_tf)):
            if field_tf:
                w = FIELD_WEIGHTS[i] / (1 - _B + _B * lengths_of(field_tf) / avg[i])
                for word, n in field_tf.items():
                    combined[word] = combined.get(word, 0.0) + w * n
        for word, c in combined.items():
            weight = int(idf[word] * c * (k1 + 1) / (c + k1) * scale + 0.5) or 1
            plist = postings.get(word)
            if plist is None:
                postings[word] = [doc, weight]
            else:
                plist += (doc, weight)
    return postings


class SearchEngine:
    """Query side of the inverted index; cheap to build from cached postings."""

    def __init__(self, docs: list[Doc], postings: dict[str, list[int]]) -> None:
        self.docs = docs
        self.postings = postings
        self._vocab: list[str] | None = None
        self._ids: list[tuple[str, int]] | None = None
        self._norms: dict[int, tuple[str, list[str]]] = {}
        self._by_id: dict[str, int] | None = None

    # -- words -----------------------------------------------------------------
    def _vocabulary(self) -> list[str]:
        if self._vocab is None:
            self._vocab = sorted(self.postings)
        return self._vocab

    def _expand(self, word: str) -> list[str]:
        vocab = self._vocabulary()
        start = bisect.bisect_left(vocab, word)
        out = []
        for term in vocab[start : start + MAX_PREFIX_TERMS]:
            if not term.startswith(word):
                break
            out.append(term)
        return out

    def match_words(
        self, query: str, coordinate: bool = True
    ) -> tuple[dict[int, float], dict[int, set[str]], int]:
        """Word scores per document, the query words each matched, and the number of words.

        ``coordinate`` favours documents holding every word of a short query; for a
        long text (a use case's objective) it would punish every short name.
        """
        words = list(dict.fromkeys(tokens(query)))
        scores: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        for word in words:
            plist = self.postings.get(word)
            if plist is not None:
                it = iter(plist)
                for doc, w in zip(it, it, strict=True):
                    scores[doc] = scores.get(doc, 0.0) + w / _SCALE
                    matched.setdefault(doc, set()).add(word)
                continue
            if len(word) < 3:
                continue
            best: dict[int, float] = {}
            for term in self._expand(word):
                it = iter(self.postings[term])
                for doc, w in zip(it, it, strict=True):
                    if w > best.get(doc, 0):
                        best[doc] = w
            for doc, weight in best.items():
                scores[doc] = scores.get(doc, 0.0) + PREFIX_FACTOR * weight / _SCALE
                matched.setdefault(doc, set()).add(word)
        n = len(words)
        if coordinate and n > 1:
            # Coordination: a document holding every query word beats one that
            # repeats a single word many times.
            for doc, found in matched.items():
                scores[doc] *= (len(found) / n) ** 2
        return scores, matched, n

    # -- IDs -------------------------------------------------------------------
    def _id_list(self) -> list[tuple[str, int]]:
        if self._ids is None:
            self._ids = sorted((d.id.upper(), i) for i, d in enumerate(self.docs))
        return self._ids

    def _match_ids(self, query: str) -> dict[int, float]:
        q = query.strip().upper()
        if not _ID_LIKE.match(q):
            return {}
        ids = self._id_list()
        out: dict[int, float] = {}
        start = bisect.bisect_left(ids, (q, -1))
        for doc_id, doc in ids[start:]:
            if not doc_id.startswith(q):
                break
            if doc_id == q:
                out[doc] = EXACT_ID
            else:
                # T1110 before T1110.001 before T1110.004; T11 finds T1100..T1199.
                out[doc] = ID_PREFIX - (len(doc_id) - len(q)) - int(_digits(doc_id)) / 1e6
        return out

    # -- ranking ---------------------------------------------------------------
    def search(
        self,
        query: str,
        limit: int = 20,
        kinds: Iterable[str] | None = None,
        include_hidden: bool = False,
    ) -> list[SearchHit]:
        query = query.strip()
        if not query:
            return []
        wanted = set(kinds) if kinds else None
        scores, matched, _ = self.match_words(query)
        reasons: dict[int, list[str]] = {d: ["words: " + ", ".join(sorted(m))] for d, m in matched.items()}
        by_id = self._match_ids(query)
        phrase = normalise(query)
        # A name holding the whole query holds its words, so only word matches need a
        # look; a query of stop words only ("the") or an unknown word falls back to
        # all names, unless it was an ID.
        candidates = set(scores) if scores or by_id else range(len(self.docs))
        if phrase:
            for doc in candidates:
                bonus, why = self._phrase_bonus(doc, phrase)
                if bonus:
                    scores[doc] = scores.get(doc, 0.0) + bonus
                    reasons.setdefault(doc, []).insert(0, why)
        for doc, bonus in by_id.items():
            scores[doc] = scores.get(doc, 0.0) + bonus
            reasons.setdefault(doc, []).insert(0, "id" if bonus == EXACT_ID else "id prefix")
        tiers = self._tiers(scores, by_id, matched, phrase, reasons)
        ranked = []
        for doc, score in scores.items():
            d = self.docs[doc]
            if (d.hidden and not include_hidden) or (wanted is not None and d.kind not in wanted):
                continue
            tier = tiers.get(doc, TIER_REST)
            # Exact names shared by several techniques: the one seen in more intrusion tactics first.
            reach = -sum(1 for t in d.tactics if t not in PRE_INTRUSION) if tier == TIER_EXACT else 0
            ranked.append((tier, reach, -score, d.id, doc))
        ranked.sort()
        # The score shown carries the tier, so that scores still descend down the list.
        return [self._hit(r[4], scores[r[4]] + (TIER_REST - r[0]) * TIER_STEP, reasons.get(r[4], []))
                for r in ranked[: max(0, limit)]]

    def _parent_of(self, doc: int) -> int | None:
        d = self.docs[doc]
        if not d.is_subtechnique or "." not in d.id:
            return None
        if self._by_id is None:
            self._by_id = {x.id.upper(): i for i, x in enumerate(self.docs)}
        return self._by_id.get(d.id.split(".", 1)[0].upper())

    def _children(self, parents: set[int]) -> dict[int, int]:
        """Sub-techniques of these techniques (child -> parent), found through the ID list."""
        out: dict[int, int] = {}
        ids = self._id_list()
        for parent in parents:
            prefix = self.docs[parent].id.upper() + "."
            start = bisect.bisect_left(ids, (prefix, -1))
            for doc_id, doc in ids[start:]:
                if not doc_id.startswith(prefix):
                    break
                out[doc] = parent
        return out

    def _tiers(self, scores: dict[int, float], by_id: dict[int, float], matched: dict[int, set[str]],
               phrase: str, reasons: dict[int, list[str]]) -> dict[int, int]:  # fmt: skip
        """The tier of each scored document (absent: the rest)."""
        tiers: dict[int, int] = {}
        exact = {doc for doc, bonus in by_id.items() if bonus == EXACT_ID}
        contained: set[int] = set()  # techniques whose whole name is part of a longer query
        query_words = set(tokens(phrase))
        for doc in scores:
            if doc in exact:
                continue
            name, aliases = self._normalised(doc)
            if phrase and (name == phrase or phrase in aliases):
                exact.add(doc)
            elif name and f" {name} " in f" {phrase} " and not self.docs[doc].is_subtechnique:
                contained.add(doc)
        for doc in exact:
            tiers[doc] = TIER_EXACT
        for child, parent in self._children({d for d in exact if not self.docs[d].is_subtechnique}).items():
            if child not in tiers:
                tiers[child] = TIER_CHILD
                scores.setdefault(child, 0.0)
                if child not in by_id:  # an ID prefix already says why
                    reasons.setdefault(child, []).insert(0, f"sub-technique of {self.docs[parent].id}")
        for child, parent in self._children(contained).items():
            if child in tiers or child not in scores:
                continue
            rest = query_words - set(tokens(self.docs[parent].name))
            if rest and matched.get(child, set()) & rest:
                tiers[child] = TIER_NARROWED
                reasons.setdefault(child, []).insert(0, f"narrows {self.docs[parent].id}")
        for doc in contained:
            tiers.setdefault(doc, TIER_PARENT)
        return tiers

    def _normalised(self, doc: int) -> tuple[str, list[str]]:
        found = self._norms.get(doc)
        if found is None:
            d = self.docs[doc]
            found = self._norms[doc] = (normalise(d.name), [normalise(a) for a in d.aliases])
        return found

    def _phrase_bonus(self, doc: int, phrase: str) -> tuple[float, str]:
        name, aliases = self._normalised(doc)
        if name == phrase:
            return EXACT_NAME, "name"
        best, why = 0.0, ""
        if f" {phrase} " in f" {name} ":
            best, why = NAME_PHRASE, "name phrase"
        for a in aliases:
            if a == phrase:
                return EXACT_ALIAS, "alias"
            if f" {phrase} " in f" {a} " and best < ALIAS_PHRASE:
                best, why = ALIAS_PHRASE, "alias phrase"
        return best, why

    def _hit(self, doc: int, score: float, matched: list[str]) -> SearchHit:
        d = self.docs[doc]
        return SearchHit(
            id=d.id,
            name=d.name,
            kind=d.kind,
            score=round(score, 2),
            tactics=list(d.tactics),
            is_subtechnique=d.is_subtechnique,
            matched=matched,
            revoked=d.revoked,
            deprecated=d.deprecated,
        )


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit()) or "0"
