"""What several export formats share: the context a use-case document is written in."""

from __future__ import annotations

from collections.abc import Callable

from workshop.interview.model import AnswerSet
from workshop.questionnaire import Catalogue
from workshop.services.attack_data import attack_index, bundle_setting
from workshop.store import Store
from workshop.usecases.documents import DocumentContext


def document_context(
    store: Store, slug: str, questionnaires: Catalogue, bundle: str | None = None
) -> DocumentContext:
    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    values = AnswerSet(store.answers(interview.id)).values if interview else {}
    q = questionnaires.questionnaires.get(interview.questionnaire_id) if interview else None
    lookup, version = technique_lookup(bundle or bundle_setting(store))
    from workshop.services.rules import latest_rule_tests
    from workshop.services.thresholds import noisy_rules

    noisy = {tid: n.text() for tid, n in noisy_rules(store, slug).items()}
    return DocumentContext(app, interview, q, values, attack_version=version, lookup=lookup,
                           rule_tests=latest_rule_tests(store, slug), noisy=noisy)  # fmt: skip


def technique_lookup(bundle: str | None = None) -> tuple[Callable[[str], tuple[str, list[str]] | None], str]:
    """Technique names and tactics for documents: from the bundle the user gave, or the
    newest downloaded one, else the built-in catalogue (never fails for want of data)."""
    index = attack_index(bundle)

    def lookup(tid: str) -> tuple[str, list[str]] | None:
        t = index.technique(tid)
        return (t.name, list(t.tactics)) if t is not None else None

    label = f"{index.meta.domain} {index.meta.version}" if index.meta.version else "built-in catalogue"
    return lookup, label
