"""What several export formats share: the context a use-case document is written in."""

from __future__ import annotations

from collections.abc import Callable

from workshop.interview.model import AnswerSet
from workshop.questionnaire import Catalogue
from workshop.services.attack_data import attack_index, bundle_setting
from workshop.store import Store
from workshop.usecases.documents import DOCUMENT_STATUSES, DocumentContext


def document_context(
    store: Store, slug: str, questionnaires: Catalogue, bundle: str | None = None, pivots: bool = False
) -> DocumentContext:
    """What documents are written from; ``pivots`` adds each adopted use case's pivot queries
    (built and converted through the SIEM pipelines, so only exports ask for them)."""
    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    values = AnswerSet(store.answers(interview.id)).values if interview else {}
    q = questionnaires.questionnaires.get(interview.questionnaire_id) if interview else None
    lookup, version = technique_lookup(bundle or bundle_setting(store))
    from workshop.services.rules import latest_rule_tests
    from workshop.services.thresholds import noisy_rules

    noisy = {tid: n.text() for tid, n in noisy_rules(store, slug).items()}
    return DocumentContext(app, interview, q, values, attack_version=version, lookup=lookup,
                           rule_tests=latest_rule_tests(store, slug), noisy=noisy,
                           pivots=pivot_table(store, slug) if pivots and interview else None)  # fmt: skip


#: The SIEMs whose pivot queries documents carry (Lucene has no place to paste a pivot into).
PIVOT_SIEMS = ("splunk", "kql", "esql")


def pivot_table(store: Store, slug: str) -> dict[str, list[tuple[str, str, str]]]:
    """Template id -> (role, SIEM label, query) of every adopted use case's pivots."""
    from workshop.rules.pipelines import SIEMS
    from workshop.rules.pivots import pivot_queries
    from workshop.services.rules import build_rule_sets, pipeline_for, rule_context

    ctx = rule_context(store, slug)
    pipelines = [pipeline_for(store, slug, siem, ctx) for siem in PIVOT_SIEMS]
    logic = {u.template_id: u.generated.logic.to_dict() for u in store.list_use_cases(slug, DOCUMENT_STATUSES)}
    out: dict[str, list[tuple[str, str, str]]] = {}
    for rs in build_rule_sets(store, slug, DOCUMENT_STATUSES, ctx=ctx):
        out[rs.use_case] = [(p.role, SIEMS[p.siem], p.query or f"(not converted: {p.error})")
                            for p in pivot_queries(rs, logic.get(rs.use_case, {}), pipelines)]  # fmt: skip
    return out


def technique_lookup(bundle: str | None = None) -> tuple[Callable[[str], tuple[str, list[str]] | None], str]:
    """Technique names and tactics for documents: from the bundle the user gave, or the
    newest downloaded one, else the built-in catalogue (never fails for want of data)."""
    index = attack_index(bundle)

    def lookup(tid: str) -> tuple[str, list[str]] | None:
        t = index.technique(tid)
        return (t.name, list(t.tactics)) if t is not None else None

    label = f"{index.meta.domain} {index.meta.version}" if index.meta.version else "built-in catalogue"
    return lookup, label
