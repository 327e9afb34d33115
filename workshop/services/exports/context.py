"""What several export formats share: the document context and the ATT&CK index."""

from __future__ import annotations

import functools
from collections.abc import Callable

from workshop.attack import AttackIndex
from workshop.interview.model import AnswerSet
from workshop.questionnaire import Catalogue
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
    from workshop.rules.testing import latest_rule_tests

    return DocumentContext(app, interview, q, values, attack_version=version, lookup=lookup,
                           rule_tests=latest_rule_tests(store, slug))  # fmt: skip


def bundle_setting(store: Store) -> str | None:
    if store.workspace is None:
        return None
    from workshop.services import settings

    return settings.load(store.workspace).get("attack_bundle") or None


def technique_lookup(bundle: str | None = None) -> tuple[Callable[[str], tuple[str, list[str]] | None], str]:
    """Technique names and tactics for documents: from the bundle the user gave, or the
    newest downloaded one, else the built-in catalogue (never fails for want of data)."""
    index = attack_index(bundle)

    def lookup(tid: str) -> tuple[str, list[str]] | None:
        t = index.technique(tid)
        return (t.name, list(t.tactics)) if t is not None else None

    label = f"{index.meta.domain} {index.meta.version}" if index.meta.version else "built-in catalogue"
    return lookup, label


def attack_index(bundle: str | None = None) -> AttackIndex:
    """The ATT&CK index for exports: the bundle asked for, else the workspace setting, else the
    newest download, else the built-in catalogue. Kept in memory per file and modification time,
    since documents look technique names up on every preview."""
    return _index_and_warning(bundle)[0]


def attack_warning(bundle: str | None = None, store: Store | None = None) -> str | None:
    """Why the configured ATT&CK bundle is not used (the built-in catalogue stands in), or None."""
    if bundle is None and store is not None:
        bundle = bundle_setting(store)
    return _index_and_warning(bundle)[1]


def _index_and_warning(bundle: str | None) -> tuple[AttackIndex, str | None]:
    from workshop.attack import resolve_bundle

    path = resolve_bundle(bundle)
    stamp = path.stat().st_mtime_ns if path is not None and path.exists() else None
    return _index_for(str(path) if path is not None else None, stamp)


@functools.lru_cache(maxsize=4)
def _index_for(path: str | None, _stamp: int | None) -> tuple[AttackIndex, str | None]:
    from workshop.attack import load_index_or_builtin

    return load_index_or_builtin(path)
