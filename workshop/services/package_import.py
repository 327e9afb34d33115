"""``workshop import package DIR``: edits made in a detection package, read back into the toolkit.

The detection engineers tune rules where they keep them: a threshold raised, a window
widened, a name added to a filter, a rule promoted to ``test`` or ``stable``. This module
compares the package's rule files with the rules the toolkit builds today and says, for
each difference, which use-case change it means: a parameter (threshold, window, a list
the rule selects or excludes), or a status. Differences that come from the interview (an
allowlist answered there) or that no parameter holds are shown as not applied, with
where to change them; nothing is applied until asked (:func:`apply_changes`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workshop.core.errors import InputError, LoadError, Location

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.sigma import RuleSet
    from workshop.store import Store
    from workshop.usecases.model import UseCase

MANIFEST = "workshop-package.json"
_OPS = ("gte", "gt", "lte", "lt", "eq")
#: Sigma rule status -> the use-case status it means (experimental: no change).
SIGMA_STATUS = {"test": "implemented", "stable": "tested", "deprecated": "retired", "unsupported": "retired"}
WHO = "detection package"


@dataclass(frozen=True)
class PackageChange:
    use_case: str
    field: str  # "parameters.NAME", "status", or the rule part that changed
    old: Any
    new: Any
    applies: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"use_case": self.use_case, "field": self.field, "old": self.old, "new": self.new,
                "applies": self.applies, "note": self.note}  # fmt: skip

    def line(self) -> str:
        mark = "~" if self.applies else "!"
        text = f"{mark} {self.use_case}: {self.field} {self.old!r} -> {self.new!r}"
        return text + (f"  ({self.note})" if self.note else "")


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise LoadError(f"not a detection package: no {MANIFEST} (write one with `workshop export APP --format "
                        "package`)", Location(str(path)))  # fmt: skip
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(f"not valid JSON: {exc}", Location(str(path))) from None
    if not isinstance(data, dict) or not data.get("application"):
        raise LoadError("the manifest names no application", Location(str(path)))
    return data


def _condition(doc: dict[str, Any]) -> tuple[str, float] | None:
    cond = (doc.get("correlation") or {}).get("condition")
    if isinstance(cond, dict):
        for op in _OPS:
            if isinstance(cond.get(op), (int, float)) and not isinstance(cond.get(op), bool):
                return op, cond[op]
    return None


def _blocks(doc: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k: v for k, v in (doc.get("detection") or {}).items() if k.startswith(prefix)}


def _values(block: Any) -> list[str]:
    if isinstance(block, dict) and len(block) == 1:
        v = next(iter(block.values()))
        return [str(x) for x in v] if isinstance(v, list) else [str(v)]
    return []


def _number(value: float, ptype: str) -> int | float:
    return round(value) if ptype == "integer" else value


def diff_rule(uc: UseCase, built: RuleSet, edited: list[dict[str, Any]]) -> list[PackageChange]:
    """What the edited rule documents change against the rule built now from the use case."""
    from workshop.rules.model import identifier, sigma_unescape

    out: list[PackageChange] = []
    tid = uc.template_id
    logic = uc.generated.logic
    params = uc.parameters
    new, old = edited[0], built.docs[0].data
    n_cond, o_cond = _condition(new), _condition(old)
    if n_cond and o_cond and n_cond[1] != o_cond[1]:
        name = logic.threshold
        if name and name in params and isinstance(params[name].value, (int, float)):
            value = _number(params[name].value + (n_cond[1] - o_cond[1]), params[name].type)
            out.append(PackageChange(tid, f"parameters.{name}", params[name].value, value, True,
                                     f"correlation condition {o_cond[0]} {o_cond[1]} -> {n_cond[0]} {n_cond[1]}"))  # fmt: skip
        else:
            out.append(PackageChange(tid, "correlation.condition", o_cond[1], n_cond[1], False,
                                     "no threshold parameter holds it; edit the use case"))  # fmt: skip
    n_span = (new.get("correlation") or {}).get("timespan")
    o_span = (old.get("correlation") or {}).get("timespan")
    if n_span and o_span and str(n_span) != str(o_span):
        name = logic.window
        if name and name in params:
            out.append(PackageChange(tid, f"parameters.{name}", params[name].value, str(n_span), True,
                                     f"correlation timespan {o_span} -> {n_span}"))  # fmt: skip
        else:
            out.append(
                PackageChange(tid, "correlation.timespan", o_span, n_span, False, "no window parameter")
            )
    # list filters and selections: a parameter's list where one holds it, else the interview's
    by_block = {f"filter_{identifier(p)}": p for p in params} | {
        f"selection_{identifier(p)}": p for p in params
    }
    n_docs = {str(d.get("name") or i): d for i, d in enumerate(edited)}
    for i, o_doc in enumerate(d.data for d in built.docs):
        n_doc = n_docs.get(str(o_doc.get("name") or i))
        if n_doc is None:
            continue
        o_blocks = _blocks(o_doc, "filter_") | _blocks(o_doc, "selection_")
        n_blocks = _blocks(n_doc, "filter_") | _blocks(n_doc, "selection_")
        for key in sorted(set(o_blocks) | set(n_blocks)):
            o_vals, n_vals = _values(o_blocks.get(key)), _values(n_blocks.get(key))
            if o_vals == n_vals or o_blocks.get(key) == n_blocks.get(key):
                continue
            pname = by_block.get(key)
            if pname is not None and params[pname].type == "list":
                values = [sigma_unescape(v) for v in n_vals]
                out.append(PackageChange(tid, f"parameters.{pname}", params[pname].value, values, True,
                                         f"rule block {key}"))  # fmt: skip
            else:
                out.append(PackageChange(tid, f"detection.{key}", o_vals, n_vals, False,
                                         "these values come from the interview's answers: change them there "
                                         "and generate the use cases again"))  # fmt: skip
    n_status, o_status = str(new.get("status") or ""), str(old.get("status") or "")
    if n_status and n_status != o_status:
        target = SIGMA_STATUS.get(n_status)
        if target and target != uc.status:
            out.append(
                PackageChange(
                    tid, "status", uc.status, target, True, f"Sigma status {o_status} -> {n_status}"
                )
            )
        elif not target:
            out.append(PackageChange(tid, "status", o_status, n_status, False, "no use-case status to match"))
    return out


def package_changes(
    store: Store, folder: str | Path, bundle: str | None = None
) -> tuple[str, list[PackageChange]]:
    """(application slug, the changes the package's rule files make), nothing applied."""
    from workshop.rules.files import load_rule_files
    from workshop.services.rules import build_rule_sets, rule_context

    manifest = read_manifest(folder)
    slug = str(manifest["application"])
    store.get_application(slug)
    edited = load_rule_files(Path(folder) / "rules")
    ctx = rule_context(store, slug, bundle)
    ucs = {uc.template_id: uc for uc in store.list_use_cases(slug)}
    built = {rs.use_case: rs for rs in build_rule_sets(store, slug, statuses=None, ctx=ctx)}
    changes: list[PackageChange] = []
    for tid, docs in sorted(edited.items()):
        if tid not in ucs or tid not in built:
            changes.append(PackageChange(tid, "rule", None, "new rule file", False,
                                         f"{slug} has no use case '{tid}': add it in the toolkit first"))  # fmt: skip
            continue
        changes.extend(diff_rule(ucs[tid], built[tid], docs))
    return slug, changes


def apply_changes(store: Store, slug: str, changes: list[PackageChange], who: str = "") -> list[str]:
    """Apply what applies; one line per change made or refused (a status the lifecycle forbids)."""
    from workshop.services.usecases import edit_use_case, set_status

    done: list[str] = []
    for c in changes:
        if not c.applies:
            continue
        reason = f"edited in the detection package: {c.note}" if c.note else "edited in the detection package"
        if c.field == "status":
            changed, skipped = set_status(
                store, slug, [c.use_case], str(c.new), who=who or WHO, reason=reason
            )
            done.append(
                f"{c.use_case}: status {c.new}" if changed else f"{c.use_case}: {skipped.get(c.use_case)}"
            )
        elif c.field.startswith("parameters."):
            edit_use_case(store, slug, c.use_case, c.field, c.new, who=who or WHO, reason=reason)
            done.append(f"{c.use_case}: {c.field} = {c.new!r}")
        else:
            raise InputError(f"cannot apply {c.field}")
    return done


#: Limits on a package uploaded as a zip (the app's import): enough for thousands of rules.
ZIP_MAX_FILES = 5000
ZIP_MAX_BYTES = 50 * 1024 * 1024


def extract_package(data: bytes, dest: str | Path) -> Path:
    """Unpack a zipped package into ``dest`` (names checked to stay inside it, sizes bounded)
    and return the folder holding its manifest."""
    import io
    import zipfile

    from workshop.core.fileio import path_inside

    base = Path(dest)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(
            "not a zip file: zip the package folder (or use `workshop import package DIR`)"
        ) from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > ZIP_MAX_FILES or sum(i.file_size for i in infos) > ZIP_MAX_BYTES:
            raise InputError(f"the zip is larger than a detection package can be ({ZIP_MAX_FILES} files, "
                             f"{ZIP_MAX_BYTES // 1024 // 1024} MB)")  # fmt: skip
        for info in infos:
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p]
            target = path_inside(base, *parts)  # refuses absolute names and '..'
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
    found = sorted(base.rglob(MANIFEST), key=lambda p: len(p.parts))
    if not found:
        raise InputError(f"not a detection package: the zip holds no {MANIFEST}")
    return found[0].parent


def package_zip(store: Store, questionnaires: Any, slug: str, bundle: str | None = None) -> tuple[str, bytes]:
    """(file name, bytes) of the application's detection package as one zip."""
    import io
    import zipfile

    from workshop.services.exports.package import package_files
    from workshop.services.exports.registry import ExportRequest

    files = package_files(ExportRequest(store, questionnaires, slug, bundle))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in sorted(files.items()):
            zf.writestr(name, content)
    return f"{slug}-detections.zip", buf.getvalue()
