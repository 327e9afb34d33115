"""The compact ATT&CK index: what we extract from a bundle, and how we query it.

Extraction walks the bundle's plain JSON once and keeps, per object kind, rows of
the fields we use (see :mod:`workshop.attack.model`), with relationships already
resolved into ATT&CK ID lists (technique -> detection strategies, mitigations,
groups, campaigns, sub-techniques). That "payload" is plain JSON data: it is what
the cache stores, and :meth:`AttackIndex.from_payload` turns it into records. The
built-in catalogue produces the same payload shape, so every feature works the
same on both (only with less data).

The search postings (:mod:`workshop.attack.search`) are not part of the payload:
they are built from the records on the first search and cached in a file of their
own, so loading for ``info``, ``show`` or a page of the app never pays for them.

Revoked and deprecated objects stay in the index, flagged, so that ``show`` can say
"T1086 was revoked, replaced by T1059.001"; every query hides them unless asked.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import Any, Protocol

from workshop.attack.bundle import (
    MITRE_KILL_CHAINS,
    BundleData,
    attack_id,
    domain_from_filename,
    version_from_filename,
)
from workshop.attack.model import (
    Analytic,
    AttackMeta,
    Campaign,
    DataComponent,
    DetectionStrategy,
    Group,
    LogSource,
    LogSourceRef,
    Mitigation,
    MutableElement,
    Record,
    SearchHit,
    Tactic,
    Technique,
)
from workshop.attack.search import Doc, SearchEngine, build_postings

#: Bump when the payload layout changes: older cache files are then rebuilt.
PAYLOAD_FORMAT = 2

#: Payload sections in search-document order (postings refer to positions in this order).
KINDS = (
    "tactics",
    "techniques",
    "detection_strategies",
    "analytics",
    "data_components",
    "mitigations",
    "groups",
    "campaigns",
)

_STIX_TYPES = {
    "x-mitre-tactic": "tactics",
    "attack-pattern": "techniques",
    "x-mitre-detection-strategy": "detection_strategies",
    "x-mitre-analytic": "analytics",
    "x-mitre-data-component": "data_components",
    "course-of-action": "mitigations",
    "intrusion-set": "groups",
    "campaign": "campaigns",
}

#: Counts reported by ``info``; techniques and sub-techniques are counted apart.
COUNT_KEYS = (
    "tactics",
    "techniques",
    "subtechniques",
    "detection_strategies",
    "analytics",
    "data_components",
    "mitigations",
    "groups",
    "campaigns",
)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large, long-lived data.

    Loading allocates hundreds of thousands of containers that all stay alive, so
    every collection pass the allocations trigger is wasted work (it was a third
    of the warm start).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def row_position(cls: type, name: str) -> int:
    """Position of a field in a record's payload row (rows follow the dataclass field order)."""
    return [f.name for f in fields(cls)].index(name)


def row_of(record: Any) -> list[Any]:
    """A flat record (no nested records) as a payload row."""
    return [getattr(record, f.name) for f in fields(record)]


# ---------------------------------------------------------------------------
# Extraction: bundle JSON -> payload
# ---------------------------------------------------------------------------


def extract(bundle: BundleData) -> dict[str, Any]:
    """Build the payload (plain JSON data) from a parsed bundle."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ids: dict[str, str] = {}  # STIX id -> ATT&CK id
    urls: dict[str, str] = {}
    skipped = 0
    matrices = []
    relationships = []
    for obj in bundle.objects:
        t = obj.get("type")
        if t == "relationship":
            relationships.append(obj)
            continue
        if t == "x-mitre-matrix":
            matrices.append(obj)
            continue
        kind = _STIX_TYPES.get(t)  # type: ignore[arg-type]
        found = attack_id(obj) if kind else None
        if kind is None or found is None or not isinstance(obj.get("id"), str):
            skipped += t not in ("identity", "marking-definition", "x-mitre-collection")
            continue
        ids[obj["id"]] = found[0]
        urls[obj["id"]] = found[1]
        by_kind[kind].append(obj)

    rel = _relations(relationships, ids)
    dc_names = {o["id"]: str(o.get("name") or "") for o in by_kind["data_components"]}
    tactics = _ordered_tactics(by_kind["tactics"], matrices)
    payload: dict[str, Any] = {
        "format": PAYLOAD_FORMAT,
        "meta": {
            "source": "bundle",
            "sha256": bundle.sha256,
            "spec_version": bundle.spec_version,
            "data_version": bundle.data_version,
            "data_domain": bundle.data_domain,
            "name": bundle.name,
            "skipped": skipped,
        },
        "tactics": [[*_base(o, ids, urls), str(o.get("x_mitre_shortname") or "")] for o in tactics],
        "techniques": [_technique(o, ids, urls, rel) for o in _sorted(by_kind["techniques"], ids)],
        "detection_strategies": [
            [
                *_base(o, ids, urls),
                _sorted_ids(ids.get(r) for r in o.get("x_mitre_analytic_refs") or ()),
                _sorted_ids(rel["detects"].get(o["id"], ())),
            ]
            for o in _sorted(by_kind["detection_strategies"], ids)
        ],
        "analytics": [_analytic(o, ids, urls, dc_names) for o in _sorted(by_kind["analytics"], ids)],
        "data_components": [
            [
                *_base(o, ids, urls),
                [
                    [str(s.get("name") or ""), str(s.get("channel") or "")]
                    for s in _dicts(o.get("x_mitre_log_sources"))
                ],
            ]
            for o in _sorted(by_kind["data_components"], ids)
        ],
        "mitigations": [_base(o, ids, urls) for o in _sorted(by_kind["mitigations"], ids)],
        "groups": [[*_base(o, ids, urls), _aliases(o)] for o in _sorted(by_kind["groups"], ids)],
        "campaigns": [[*_base(o, ids, urls), _aliases(o)] for o in _sorted(by_kind["campaigns"], ids)],
    }
    return payload


def _relations(relationships: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """Relationship maps keyed by STIX id, values ATT&CK IDs (both directions where needed)."""
    rel: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in relationships:
        if r.get("revoked") or r.get("x_mitre_deprecated"):
            continue
        src, dst, rtype = r.get("source_ref"), r.get("target_ref"), r.get("relationship_type")
        if src not in ids or dst not in ids:
            continue
        src_type = src.split("--", 1)[0]
        if rtype == "detects":
            rel["detection_strategies"][dst].append(ids[src])
            rel["detects"][src].append(ids[dst])
        elif rtype == "mitigates":
            rel["mitigations"][dst].append(ids[src])
        elif rtype == "uses" and src_type == "intrusion-set":
            rel["groups"][dst].append(ids[src])
        elif rtype == "uses" and src_type == "campaign":
            rel["campaigns"][dst].append(ids[src])
        elif rtype == "subtechnique-of":
            rel["parent"][src].append(ids[dst])
            rel["subtechniques"][dst].append(ids[src])
        elif rtype == "revoked-by":
            rel["revoked_by"][src].append(ids[dst])
    return rel


def _ordered_tactics(tactics: list[dict[str, Any]], matrices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tactics in matrix order (``tactic_refs``), then any the matrix does not list."""
    by_id = {t["id"]: t for t in tactics}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m in matrices:
        if m.get("revoked") or m.get("x_mitre_deprecated"):
            continue
        for ref in m.get("tactic_refs") or ():
            if ref in by_id and ref not in seen:
                ordered.append(by_id[ref])
                seen.add(ref)
    rest = [t for t in tactics if t["id"] not in seen]
    rest.sort(key=lambda t: str(t.get("x_mitre_shortname") or ""))
    return ordered + rest


def _sorted(objs: list[dict[str, Any]], ids: dict[str, str]) -> list[dict[str, Any]]:
    return sorted(objs, key=lambda o: (_id_key(ids[o["id"]]), o["id"]))


def _id_key(attack_id: str) -> tuple[str, int, int]:
    """T1110 < T1110.001 < T1110.004 < T1190; DET0002 < DET0010."""
    head, _, sub = attack_id.partition(".")
    prefix = head.rstrip("0123456789")
    number = head[len(prefix) :]
    return (prefix, int(number) if number.isdigit() else -1, int(sub) if sub.isdigit() else -1)


def _sorted_ids(values: Iterable[str | None]) -> list[str]:
    return sorted({v for v in values if v}, key=_id_key)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _aliases(obj: dict[str, Any]) -> list[str]:
    name = obj.get("name")
    seen = []
    for a in _strings(obj.get("aliases")) + _strings(obj.get("x_mitre_aliases")):
        if a != name and a not in seen:
            seen.append(a)
    return seen


def _base(obj: dict[str, Any], ids: dict[str, str], urls: dict[str, str]) -> list[Any]:
    return [
        obj["id"],
        ids[obj["id"]],
        str(obj.get("name") or ""),
        str(obj.get("description") or ""),
        urls[obj["id"]],
        bool(obj.get("revoked")),
        bool(obj.get("x_mitre_deprecated")),
    ]


def _technique(
    obj: dict[str, Any], ids: dict[str, str], urls: dict[str, str], rel: dict[str, dict[str, list[str]]]
) -> list[Any]:
    sid = obj["id"]
    tactics = []
    for phase in _dicts(obj.get("kill_chain_phases")):
        name = phase.get("phase_name")
        if phase.get("kill_chain_name") in MITRE_KILL_CHAINS and name and name not in tactics:
            tactics.append(str(name))
    own_id = ids[sid]
    is_sub = bool(obj.get("x_mitre_is_subtechnique")) or "." in own_id
    parents = rel["parent"].get(sid) or ([own_id.split(".", 1)[0]] if is_sub else [])
    revoked_by = rel["revoked_by"].get(sid)
    return [
        *_base(obj, ids, urls),
        tactics,
        _strings(obj.get("x_mitre_platforms")),
        is_sub,
        parents[0] if parents else None,
        _aliases(obj),
        revoked_by[0] if revoked_by else None,
        _sorted_ids(rel["detection_strategies"].get(sid, ())),
        _sorted_ids(rel["mitigations"].get(sid, ())),
        _sorted_ids(rel["groups"].get(sid, ())),
        _sorted_ids(rel["campaigns"].get(sid, ())),
        _sorted_ids(rel["subtechniques"].get(sid, ())),
        None,
    ]


def _analytic(
    obj: dict[str, Any], ids: dict[str, str], urls: dict[str, str], names: dict[str, str]
) -> list[Any]:
    sources = []
    for ref in _dicts(obj.get("x_mitre_log_source_references")):
        dc = ref.get("x_mitre_data_component_ref")
        sources.append(
            [
                ids.get(dc, "") if isinstance(dc, str) else "",
                names.get(dc, "") if isinstance(dc, str) else "",
                str(ref.get("name") or ""),
                str(ref.get("channel") or ""),
            ]
        )
    mutable = [
        [str(m.get("field") or ""), str(m.get("description") or "")]
        for m in _dicts(obj.get("x_mitre_mutable_elements"))
    ]
    return [*_base(obj, ids, urls), _strings(obj.get("x_mitre_platforms")), sources, mutable]


def postings_for(index: AttackIndex) -> dict[str, list[int]]:
    """Search postings over the index's records, in :data:`KINDS` order (the search documents)."""
    docs: list[tuple[str, list[str], str] | None] = []
    for kind in KINDS:
        for obj in getattr(index, kind):
            if kind == "analytics":
                docs.append(None)  # "Analytic 0110": found by ID, not by words
                continue
            # Hidden objects are found by ID and name only: their prose would cost
            # time for results nobody sees by default.
            text = "" if _hidden(obj) else obj.description
            if kind == "techniques":
                # The built-in catalogue has no MITRE description; its app_logs note stands in.
                docs.append((obj.name, obj.aliases, text or obj.app_logs or ""))
            elif kind == "tactics":
                docs.append((obj.name, [obj.shortname], text))
            else:
                docs.append((obj.name, getattr(obj, "aliases", []), text))
    return build_postings(docs)


# ---------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------

_ROW_CLASSES: dict[str, type] = {
    "tactics": Tactic,
    "techniques": Technique,
    "detection_strategies": DetectionStrategy,
    "data_components": DataComponent,
    "mitigations": Mitigation,
    "groups": Group,
    "campaigns": Campaign,
}


class AttackIndex:
    """ATT&CK objects by kind and ID, their relations, and search.

    Build one with :func:`workshop.attack.load_index` (bundle, cached) or
    :func:`workshop.attack.load_builtin`. Every query hides revoked and deprecated
    objects unless ``include_hidden=True``.
    """

    def __init__(
        self,
        meta: AttackMeta,
        records: dict[str, list[Any]],
        postings: dict[str, list[int]] | None = None,
    ) -> None:
        self.meta = meta
        self.tactics: list[Tactic] = records["tactics"]
        self.techniques: list[Technique] = records["techniques"]
        self.detection_strategies: list[DetectionStrategy] = records["detection_strategies"]
        self.analytics: list[Analytic] = records["analytics"]
        self.data_components: list[DataComponent] = records["data_components"]
        self.mitigations: list[Mitigation] = records["mitigations"]
        self.groups: list[Group] = records["groups"]
        self.campaigns: list[Campaign] = records["campaigns"]
        self._by_id: dict[str, dict[str, Any]] = {kind: _id_map(records[kind]) for kind in KINDS}
        self._postings = postings
        self._engine: SearchEngine | None = None
        #: Where the search postings are kept between runs (set by the loader);
        #: without it they are built on the first search and kept in memory only.
        self.postings_cache: PostingsCache | None = None
        #: How the loader got this index ("hit", "miss", "rebuilt", "off", "builtin") and how long it took.
        self.cache_status = "n/a"
        self.load_seconds = 0.0

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_payload(cls, payload: dict[str, Any], file: str | None = None) -> AttackIndex:
        """Records from payload rows; raises KeyError/TypeError/ValueError on a malformed payload."""
        if payload.get("format") != PAYLOAD_FORMAT:
            raise ValueError(f"payload format {payload.get('format')!r}, expected {PAYLOAD_FORMAT}")
        m = payload["meta"]
        meta = AttackMeta(
            version=m.get("data_version") or version_from_filename(file) or m.get("version") or "unknown",
            domain=m.get("data_domain") or domain_from_filename(file) or "unknown",
            source=m["source"],
            name=m.get("name") or "",
            file=file,
            sha256=m.get("sha256"),
            spec_version=m.get("spec_version") or "unknown",
            skipped=int(m.get("skipped") or 0),
        )
        records: dict[str, list[Any]] = {}
        for kind in KINDS:
            rows = payload[kind]
            if kind == "analytics":
                records[kind] = [
                    Analytic(*[*r[:8], [LogSourceRef(*s) for s in r[8]], [MutableElement(*e) for e in r[9]]])
                    for r in rows
                ]
            elif kind == "data_components":
                records[kind] = [DataComponent(*[*r[:7], [LogSource(*s) for s in r[7]]]) for r in rows]
            else:
                records[kind] = [_ROW_CLASSES[kind](*r) for r in rows]
        return cls(meta, records)

    # -- lookups ---------------------------------------------------------------
    @property
    def is_builtin(self) -> bool:
        return self.meta.source == "builtin"

    def technique(self, technique_id: str, include_hidden: bool = False) -> Technique | None:
        """A technique or sub-technique by ID (case-insensitive), or None."""
        t: Technique | None = self._by_id["techniques"].get(technique_id.strip().upper())
        if t is None or (not include_hidden and _hidden(t)):
            return None
        return t

    def get(self, attack_id: str, include_hidden: bool = False) -> Record | None:
        """Any object by ATT&CK ID (techniques first when an old ID is shared)."""
        key = attack_id.strip().upper()
        for kind in ("techniques", *[k for k in KINDS if k != "techniques"]):
            obj: Record | None = self._by_id[kind].get(key)
            if obj is not None and (include_hidden or not _hidden(obj)):
                return obj
        return None

    def tactic(self, name: str) -> Tactic | None:
        """A tactic by shortname (``credential-access``), ID (``TA0006``) or name."""
        key = name.strip().lower()
        for t in self.tactics:
            if key in (t.shortname, t.id.lower(), t.name.lower()):
                return t
        return None

    def list_techniques(
        self,
        tactic: str | None = None,
        platforms: Iterable[str] | None = None,
        subtechniques: bool = True,
        include_hidden: bool = False,
    ) -> list[Technique]:
        wanted = _platform_set(platforms)
        out = []
        for t in self.techniques:
            if (not include_hidden and _hidden(t)) or (not subtechniques and t.is_subtechnique):
                continue
            if tactic and tactic not in t.tactics:
                continue
            if wanted and not wanted & _platform_set(t.platforms):
                continue
            out.append(t)
        return out

    def platforms(self) -> list[str]:
        """Platforms named by live techniques, sorted."""
        return sorted({p for t in self.techniques if not _hidden(t) for p in t.platforms})

    def _resolve(self, kind: str, ids: Iterable[str], include_hidden: bool = False) -> list[Any]:
        table = self._by_id[kind]
        out = []
        for i in ids:
            obj = table.get(i)
            if obj is not None and (include_hidden or not _hidden(obj)):
                out.append(obj)
        return out

    def detection_strategies_for(self, technique: Technique | str) -> list[DetectionStrategy]:
        t = self._technique_arg(technique)
        return self._resolve("detection_strategies", t.detection_strategies) if t else []

    def analytics_for(
        self, strategy: DetectionStrategy | str, platforms: Iterable[str] | None = None
    ) -> list[Analytic]:
        """A detection strategy's analytics, only those for ``platforms`` when given."""
        s = (
            strategy
            if isinstance(strategy, DetectionStrategy)
            else self._by_id["detection_strategies"].get(strategy)
        )
        if s is None:
            return []
        wanted = _platform_set(platforms)
        return [
            a
            for a in self._resolve("analytics", s.analytics)
            if not wanted or wanted & _platform_set(a.platforms)
        ]

    def mitigations_for(self, technique: Technique | str) -> list[Mitigation]:
        t = self._technique_arg(technique)
        return self._resolve("mitigations", t.mitigations) if t else []

    def groups_for(self, technique: Technique | str) -> list[Group]:
        t = self._technique_arg(technique)
        return self._resolve("groups", t.groups) if t else []

    def campaigns_for(self, technique: Technique | str) -> list[Campaign]:
        t = self._technique_arg(technique)
        return self._resolve("campaigns", t.campaigns) if t else []

    def subtechniques_of(self, technique: Technique | str) -> list[Technique]:
        t = self._technique_arg(technique)
        return self._resolve("techniques", t.subtechniques) if t else []

    def _technique_arg(self, technique: Technique | str) -> Technique | None:
        if isinstance(technique, Technique):
            return technique
        return self._by_id["techniques"].get(technique.strip().upper())

    # -- summaries -------------------------------------------------------------
    def counts(self, include_hidden: bool = False) -> dict[str, int]:
        def n(items: Iterable[Any]) -> int:
            return sum(1 for o in items if include_hidden or not _hidden(o))

        return {
            "tactics": n(self.tactics),
            "techniques": n(t for t in self.techniques if not t.is_subtechnique),
            "subtechniques": n(t for t in self.techniques if t.is_subtechnique),
            "detection_strategies": n(self.detection_strategies),
            "analytics": n(self.analytics),
            "data_components": n(self.data_components),
            "mitigations": n(self.mitigations),
            "groups": n(self.groups),
            "campaigns": n(self.campaigns),
        }

    def info(self, include_hidden: bool = False) -> dict[str, Any]:
        """Release, domain, source and object counts (what ``workshop attack info`` prints)."""
        data = self.meta.to_dict()
        data.update(self.counts(include_hidden))
        data["include_hidden"] = include_hidden
        return data

    def detail(
        self, technique_id: str, platforms: Iterable[str] | None = None, include_hidden: bool = False
    ) -> dict[str, Any] | None:
        """Everything ``show`` prints about one technique, as plain data (None if unknown).

        ``platforms`` keeps only the analytics for those platforms (an application
        on Linux does not need the Windows analytics).
        """
        t = self.technique(technique_id, include_hidden=include_hidden)
        if t is None:
            return None
        wanted = list(platforms) if platforms else None
        data = t.to_dict()
        parent = self.technique(t.parent, include_hidden=True) if t.parent else None
        data["parent"] = {"id": parent.id, "name": parent.name} if parent else None
        data["subtechniques"] = [{"id": s.id, "name": s.name} for s in self.subtechniques_of(t)]
        data["detection_strategies"] = [
            {
                "id": s.id,
                "name": s.name,
                "url": s.url,
                "analytics": [a.to_dict() for a in self.analytics_for(s, wanted)],
            }
            for s in self.detection_strategies_for(t)
        ]
        data["mitigations"] = [{"id": m.id, "name": m.name, "url": m.url} for m in self.mitigations_for(t)]
        data["groups"] = [{"id": g.id, "name": g.name} for g in self.groups_for(t)]
        data["campaigns"] = [{"id": c.id, "name": c.name} for c in self.campaigns_for(t)]
        data.update(version=self.meta.version, domain=self.meta.domain, source=self.meta.source)
        return data

    # -- search ----------------------------------------------------------------
    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            with gc_paused():
                self._engine = self._build_engine()
        return self._engine

    def _build_engine(self) -> SearchEngine:
        docs = []
        for kind in KINDS:
            for obj in getattr(self, kind):
                docs.append(
                    Doc(
                        id=obj.id,
                        name=obj.name,
                        kind=obj.kind,
                        aliases=getattr(obj, "aliases", ()),
                        tactics=getattr(obj, "tactics", ()),
                        is_subtechnique=getattr(obj, "is_subtechnique", False),
                        hidden=_hidden(obj),
                        revoked=obj.revoked,
                        deprecated=obj.deprecated,
                    )
                )
        return SearchEngine(docs, self._search_postings())

    def _search_postings(self) -> dict[str, list[int]]:
        """The inverted index: given, else cached, else built now (and cached)."""
        if self._postings is None and self.postings_cache is not None:
            self._postings = self.postings_cache.load()
        if self._postings is None:
            self._postings = postings_for(self)
            if self.postings_cache is not None:
                self.postings_cache.save(self._postings)
        return self._postings

    def search(
        self, query: str, limit: int = 20, kinds: Iterable[str] | None = None, include_hidden: bool = False
    ) -> list[SearchHit]:
        """Ranked matches by ID, name, alias and description words, best first.

        ``kinds`` limits the result to some object kinds (``technique``, ``tactic``,
        ``mitigation``, ``group``, ``campaign``, ``detection-strategy``, ``analytic``,
        ``data-component``).
        """
        return self.engine.search(query, limit=limit, kinds=kinds, include_hidden=include_hidden)

    def doc_offset(self, kind: str) -> int:
        """Search document number of the first record of ``kind`` (documents follow :data:`KINDS`)."""
        offset = 0
        for k in KINDS:
            if k == kind:
                return offset
            offset += len(getattr(self, k))
        raise KeyError(kind)


class PostingsCache(Protocol):
    """Storage for an index's search postings (see :mod:`workshop.attack.cache`)."""

    def load(self) -> dict[str, list[int]] | None: ...

    def save(self, postings: dict[str, list[int]]) -> None: ...


def _hidden(obj: Any) -> bool:
    return bool(obj.revoked or obj.deprecated)


def _id_map(items: list[Any]) -> dict[str, Any]:
    """ATT&CK ID -> record; a live record wins over a revoked one with the same ID."""
    out: dict[str, Any] = {}
    for obj in items:
        key = obj.id.upper()
        if key not in out or (_hidden(out[key]) and not _hidden(obj)):
            out[key] = obj
    return out


def _platform_set(platforms: Iterable[str] | None) -> set[str]:
    return {p.strip().lower() for p in platforms or () if p and p.strip()}
