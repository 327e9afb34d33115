"""Rule drafts for an application in the workspace: the store side of :mod:`workshop.rules`.

The rules package is pure: it builds Sigma rules from use cases and a
:class:`~workshop.rules.sigma.RuleContext`, converts them through a pipeline given as
text, tests them on events. This module reads those inputs from the store (the latest
interview's answers, the saved pipelines, the kept log sample, the ATT&CK setting)
and records what must be kept (pipelines, test results). The UI and the command line
call these functions, never the store, for rules::

    ctx = rule_context(store, "payroll-portal")              # answers, ATT&CK tactics
    sets = build_rule_sets(store, "payroll-portal", ctx=ctx)  # [RuleSet], one per use case
    convert_application(store, "payroll-portal", "splunk")   # [ConvertedRule] with plain notes
    run_tests(store, "payroll-portal", log="sample.csv")     # TestReport, recorded
    latest_rule_tests(store, "payroll-portal")               # {template_id: RuleTestResult}
    stix_bundle(store, ["payroll-portal"])                   # STIX 2.1 bundle (dict)

Test results are dictionaries only where they meet the store (saved and read back).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workshop.vocab import ADOPTED, STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.convert import ConvertedRule
    from workshop.rules.pipelines import Pipeline
    from workshop.rules.sigma import RuleContext, RuleSet
    from workshop.rules.stock import StockReport
    from workshop.rules.testing import RuleTestResult, TestReport
    from workshop.store import Store
    from workshop.usecases.model import UseCase

#: Use-case statuses whose rules are built and exported by default (someone decided to build them).
DEFAULT_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if s in ADOPTED)


def rule_context(store: Store, slug: str, bundle: str | None = None) -> RuleContext:
    """The context for one application (answers of the latest interview, ATT&CK tactics
    from the bundle given, else the workspace's setting, else the built-in catalogue)."""
    from workshop.interview.model import AnswerSet
    from workshop.rules.sigma import RuleContext
    from workshop.services.attack_data import bundle_setting, tactics_lookup

    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    values = AnswerSet(store.answers(interview.id)).values if interview else {}
    tactics = tactics_lookup(bundle or bundle_setting(store))
    return RuleContext(app, values, tactics, interview.held_on if interview else "")


def build_rule_sets(
    store: Store,
    slug: str,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    bundle: str | None = None,
    ctx: RuleContext | None = None,
) -> list[RuleSet]:
    """Rules for the application's use cases in these statuses (None: every status)."""
    from workshop.rules.sigma import build_rule_set

    ctx = ctx or rule_context(store, slug, bundle)
    return [build_rule_set(uc, ctx) for uc in store.list_use_cases(slug, statuses) if uc.applies]


# --------------------------------------------------------------------------- pipelines


def pipeline_for(store: Store, slug: str, siem: str, ctx: RuleContext | None = None) -> Pipeline:
    """The saved pipeline of this application and SIEM, else the default one."""
    from workshop.rules.pipelines import check_siem, default_pipeline_text, parse_pipeline

    check_siem(siem)
    saved = store.get_rule_pipeline(slug, siem)
    if saved is not None:
        p = parse_pipeline(saved["text"], siem, f"saved pipeline {slug}/{siem}")
        p.source, p.updated_at, p.updated_by = "saved", saved["updated_at"], saved["updated_by"]
        return p
    ctx = ctx or rule_context(store, slug)
    p = parse_pipeline(default_pipeline_text(ctx, siem), siem, f"default pipeline {slug}/{siem}")
    p.source = "default"
    return p


def save_pipeline(
    store: Store, slug: str, siem: str, text: str, who: str = "", where: str = "<pipeline>"
) -> Pipeline:
    """Check a pipeline and save it for this application and SIEM (refused if it does not load)."""
    from workshop.rules.pipelines import parse_pipeline

    p = parse_pipeline(text, siem, where)
    store.save_rule_pipeline(slug, siem, p.text, who)
    return pipeline_for(store, slug, siem)


def reset_pipeline(store: Store, slug: str, siem: str) -> bool:
    """Forget the saved pipeline so the default applies again; True if one was saved."""
    from workshop.rules.pipelines import check_siem

    check_siem(siem)
    return store.delete_rule_pipeline(slug, siem)


# --------------------------------------------------------------------------- conversion


def convert_application(
    store: Store,
    slug: str,
    siem: str,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    rule_sets: list[RuleSet] | None = None,
    ctx: RuleContext | None = None,
) -> list[ConvertedRule]:
    """Every use case of the application in one SIEM's language."""
    from workshop.rules.convert import convert_rule_set
    from workshop.rules.pipelines import check_siem

    check_siem(siem)
    ctx = ctx or rule_context(store, slug)
    sets = rule_sets if rule_sets is not None else build_rule_sets(store, slug, statuses, ctx=ctx)
    pipeline = pipeline_for(store, slug, siem, ctx)
    return [convert_rule_set(rs, siem, pipeline) for rs in sets]


def exported_rule_sets(
    store: Store, slug: str, ctx: RuleContext, sets: list[RuleSet]
) -> tuple[list[RuleSet], StockReport, dict[str, Pipeline]]:
    """The rule sets as the export ships them (:func:`workshop.rules.stock.mark_rule_set`:
    what a stock conversion lacks said in the file, the level lowered where it could alert on
    more), with the stock report and the pipelines of the stock targets. Every artefact that
    carries a rule (the Sigma files, the STIX Indicators) carries these, not the rule as built."""
    from workshop.rules.stock import STOCK_TARGETS, StockReport, check_rule_set, mark_rule_set

    report = StockReport()
    pipelines = {siem: pipeline_for(store, slug, siem, ctx) for siem in STOCK_TARGETS}
    for siem, pipeline in pipelines.items():
        converted = convert_application(store, slug, siem, rule_sets=sets, ctx=ctx)
        for rs, c in zip(sets, converted, strict=True):
            report.results.setdefault(rs.rule_id, {})[siem] = check_rule_set(rs, siem, pipeline, c)
    exported = [mark_rule_set(rs, report.reasons(rs.rule_id), report.lowers_level(rs.rule_id)) for rs in sets]
    return exported, report, pipelines


# --------------------------------------------------------------------------- local tests


def kept_sample(store: Store, slug: str) -> str | None:
    """The newest log sample kept in the workspace for this application (None when none was kept)."""
    for b in store.list_baselines(slug):
        if b.sample_path and Path(b.sample_path).is_file():
            return str(b.sample_path)
    return None


def run_tests(
    store: Store,
    slug: str,
    log: str | Path | None = None,
    rules_dir: str | Path | None = None,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    who: str = "",
    save: bool = True,
    ctx: RuleContext | None = None,
) -> TestReport:
    """Test every rule of the application (on the kept sample when no log is given);
    record the results (``save``) for documents."""
    from workshop.rules.sigma import load_rule_files
    from workshop.rules.testing import test_use_cases

    ctx = ctx or rule_context(store, slug)
    ucs = [uc for uc in store.list_use_cases(slug, statuses) if uc.applies]
    edited = load_rule_files(rules_dir) if rules_dir else {}
    report = test_use_cases(ucs, ctx, log if log is not None else kept_sample(store, slug), edited)
    if save and report.results:
        sample = str((report.sample or {}).get("file", ""))
        store.save_rule_tests(slug, [r.to_dict() for r in report.results], who=who, sample=sample)
    return report


def latest_rule_tests(store: Store, slug: str) -> dict[str, RuleTestResult]:
    """The latest recorded test per use case (template id -> result, with ``ran_at``,
    ``who`` and ``sample``). Its ``evasion_results`` is what the use-case document's
    Blind Spots section reads."""
    from workshop.rules.testing import RuleTestResult

    return {tid: RuleTestResult.from_dict(data) for tid, data in store.rule_test_results(slug).items()}


# --------------------------------------------------------------------------- STIX


def stix_bundle(
    store: Store,
    slugs: Iterable[str],
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    bundle: str | None = None,
    organisation: str | None = None,
) -> dict[str, Any]:
    """The STIX 2.1 bundle (as a dict) of the rules of these applications."""
    from workshop.attack import load_index_or_builtin, resolve_bundle
    from workshop.rules import stix
    from workshop.rules.sigma import build_rule_set
    from workshop.services.attack_data import bundle_setting, organisation_setting

    path = resolve_bundle(bundle or bundle_setting(store))
    index, _warning = load_index_or_builtin(path)
    items: list[tuple[RuleSet, UseCase]] = []
    for slug in slugs:  # the Indicator's pattern is the exported file, with its lowered level
        ctx = rule_context(store, slug, bundle)
        ucs = [uc for uc in store.list_use_cases(slug, statuses) if uc.applies]
        exported, _, _ = exported_rule_sets(store, slug, ctx, [build_rule_set(uc, ctx) for uc in ucs])
        items.extend(zip(exported, ucs, strict=True))
    return stix.stix_bundle(items, organisation or organisation_setting(store), index,
                            None if index.is_builtin else path)  # fmt: skip
