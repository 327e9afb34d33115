"""Building the Sigma rules of a use case (specification 2.1) from the use case and its context.

Values taken from answers are escaped for Sigma (``*``, ``?`` and ``\\`` are literal
characters in an account name, not wildcards). Nothing in an allowlist or a
threshold is ever dropped silently: what cannot be expressed is written into the
rule set's ``notes`` and the rule's ``x_workshop`` attribute (the specification
allows arbitrary custom attributes, and neither JSON schema forbids them).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from workshop.interview.facts import Q
from workshop.questionnaire.values import network_of
from workshop.rules.logic import handler, logic_handler
from workshop.rules.model import (
    CONTROL_CHARS,
    LEVELS,
    TOOLKIT,
    Aggregation,
    Placeholder,
    RuleContext,
    RuleSet,
    SigmaDoc,
    bounded,
    clean_value,
    clean_values,
    identifier,
    logsource_value,
    one_line,
    rule_filename,
    rule_uuid,
    sigma_literal,
)
from workshop.usecases.events import EVENTS, LogVocabulary, assumed_from, vocabulary
from workshop.usecases.model import ENRICH_LOOKUPS, PARAMETER_LISTS, UseCase
from workshop.usecases.readiness import batch_host_addresses, is_address
from workshop.vocab import TimeWindow, is_duration

#: Sigma detection items pySigma's stock Kusto and Lucene backends refuse (sigma-cli 3.1):
#: the rule file says so, and the toolkit's own queries say what they do instead.
FIELDREF_NOTE = (
    "The rule compares two fields of the same event (Sigma '|fieldref': {pairs}). Stock pySigma converts "
    "that for Splunk (| where) and ES|QL (==); its Kusto and Lucene backends refuse it. The toolkit's "
    "Sentinel query compares the columns itself; Lucene cannot compare two fields at all, so its query "
    "returns every selected event and says so: use the ES|QL version in Elastic."
)
#: The block of OR-ed pattern selections (``logic.contains_any``): any one of them is enough.
SIGNAL_PREFIX = "selection_signal_"

#: Lookups whose rows count only after a date they hold (parameter -> the lookup's date
#: column): a leaver's account is a finding after the last working day, not during notice.
LOOKUP_AFTER: dict[str, str] = {"leavers_lookup": "last_working_day"}
_PARAM_REF = re.compile(r"^\{params\.([a-z][a-z0-9_]*)\}$")


#: Roles whose values are numeric codes (an HTTP status): written as Sigma numbers, which
#: SigmaHQ's validators require and ES|QL compares with a numeric field.
_CODE_ROLES = frozenset({"http_status"})


def _code(role: str, value: str) -> Any:
    return int(value) if role in _CODE_ROLES and value.isdigit() else sigma_literal(value)


def vocabulary_of(uc: UseCase, ctx: RuleContext) -> LogVocabulary:
    """The use case's vocabulary as generated (what its document shows), else the answers'."""
    if ctx.vocab is not None:
        return ctx.vocab
    vocab = uc.generated.vocabulary
    if not (vocab.fields or vocab.assumed_fields):  # stored without one
        return vocabulary(ctx.values)
    return vocab


# --------------------------------------------------------------------------- the builder


class Builder:
    def __init__(self, uc: UseCase, ctx: RuleContext) -> None:
        self.uc = uc
        self.ctx = ctx
        self.eff = uc.effective()
        self.params = {k: p.to_dict() for k, p in uc.parameters.items()}
        self.vocab = vocabulary_of(uc, ctx)
        self.logic: dict[str, Any] = self.eff.logic.to_dict()
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.placeholders: dict[str, Placeholder] = {}
        self.windows: list[TimeWindow] = []
        self.fields: dict[str, str] = {}
        self.x_notes: list[str] = []
        self.enrich: dict[str, tuple[str, str]] = {}

    # -- fields and values -------------------------------------------------------
    def field(self, role: str) -> str:
        name = self.vocab.field_for(role)
        if "|" in name or CONTROL_CHARS.search(name) or "\n" in name or not name.strip():
            self.problems.append(
                f"the log field for {role} is named {name!r}: Sigma reads '|' as a modifier and a field "
                "name cannot hold line breaks; rename it in the interview (logging.fields)"
            )
            name = re.sub(r"[|\s]+", "_", name).strip("_") or role
        self.fields.setdefault(role, name)
        return name

    def host_field(self) -> tuple[str, bool]:
        """The field batch hosts are matched on: the host field if the log has one, else the source."""
        if "host" in self.vocab.fields:
            return self.field("host"), True
        return self.field("source_ip"), False

    def param_value(self, name: str) -> Any:
        p = self.params.get(name)
        return None if p is None else p.get("value")

    def number_param(self, name: str, what: str) -> int | float | None:
        value = self.param_value(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problems.append(f"the {what} (parameter {name}) is not a number: {value!r}")
            return None
        return int(value) if float(value).is_integer() else value

    def duration_param(self, name: str, what: str) -> str:
        value = str(self.param_value(name) or "")
        if not is_duration(value):
            self.problems.append(f"the {what} (parameter {name}) is not a duration like 10m or 1h: {value!r}")
            return "1h"
        return value

    # -- selections ---------------------------------------------------------------
    def placeholder(
        self, pid: str, field: str, values: Iterable[str], description: str, after: str = ""
    ) -> str:
        pid = re.sub(r"[^A-Za-z0-9_-]+", "_", pid).strip("_") or "list"
        self.placeholders[pid] = Placeholder(pid, field, tuple(values), description, after)
        return f"%{pid}%"

    def selection(self, event_id: str) -> dict[str, Any]:
        name = self.vocab.event(event_id)
        sel: dict[str, Any] = {}
        action_field = self.field("action")
        action = clean_value(name.action)
        if action in ("", "*"):
            sel[f"{action_field}|exists"] = True
        else:
            sel[action_field] = sigma_literal(action)
        if name.outcome:
            sel[self.field("outcome")] = sigma_literal(clean_value(name.outcome))
        if name.assumed and action not in ("", "*"):
            self.x_notes.append(
                f"The action value for '{EVENTS[event_id].label if event_id in EVENTS else event_id}' "
                f"({action}) is assumed from {assumed_from(action)}; confirm it with the application team."
            )
        return sel

    def narrowing(self) -> dict[str, dict[str, Any]]:
        """Extra selections that narrow every event of the rule: logic.match, and the
        parameter lists of :data:`PARAMETER_LISTS` that select."""
        blocks: dict[str, dict[str, Any]] = {}
        for role, raw in (self.logic.get("match") or {}).items():
            field = self.field(str(role))
            m = _PARAM_REF.match(str(raw))
            if m:
                values = clean_values(self.param_value(m.group(1)))
                value: Any = (
                    [_code(str(role), v) for v in values]
                    if values
                    else self.placeholder(m.group(1), field, (), f"values of parameter {m.group(1)}")
                )
                key = f"{field}|expand" if not values else field
            else:
                value, key = sigma_literal(clean_value(str(raw))), field
            blocks.setdefault("selection_match", {})[key] = value
        band = self.logic.get("band") or {}
        if band:
            field = self.field(str(band["role"]))
            for key, op in (("min", "gte"), ("max", "lt")):
                if band.get(key):
                    bound = self.number_param(str(band[key]), f"{key} of the {band['role']} band")
                    if bound is not None:
                        blocks.setdefault("selection_band", {})[f"{field}|{op}"] = bound
        for role, pname in (self.logic.get("contains_any") or {}).items():
            field = self.field(str(role))
            patterns = clean_values(self.param_value(str(pname)))
            if patterns:
                blocks[f"{SIGNAL_PREFIX}{identifier(str(role))}"] = {
                    f"{field}|contains": [sigma_literal(v) for v in patterns]
                }
            else:
                self.problems.append(
                    f"the pattern list {pname} (for the {role}) is empty: the rule selects nothing"
                )
        same = self.same_as()
        if same:
            blocks["selection_same"] = same
        matched_roles = {str(r) for r in (self.logic.get("match") or {})}
        # logic.only (role -> list parameter) selects; the table adds what older templates say in prose
        lists = dict(PARAMETER_LISTS)
        for role, pname in (self.logic.get("only") or {}).items():
            lists.setdefault(str(pname), (str(role), "select"))
        for pname, (role, mode) in lists.items():
            if pname not in self.params or role in matched_roles:
                continue
            if mode == "select":
                field = self.field(role)
                values = clean_values(self.param_value(pname))
                if values:
                    blocks[f"selection_{identifier(pname)}"] = {field: [sigma_literal(v) for v in values]}
                else:
                    pid = self.placeholder(
                        pname, field, (), f"{pname.replace('_', ' ')} (none listed in the use case)"
                    )
                    blocks[f"selection_{identifier(pname)}"] = {f"{field}|expand": pid}
                    self.notes.append(
                        f"No {pname.replace('_', ' ')} are listed (parameter {pname}); the rule selects "
                        f"{field} from the placeholder {pid}, which each SIEM pipeline must fill in."
                    )
            elif mode == "lookup":
                field = self.field(role)
                lookup = str(self.param_value(pname) or pname)
                after = LOOKUP_AFTER.get(pname, "")
                pid = self.placeholder(lookup, field, (), f"SIEM lookup named by parameter {pname}", after)
                blocks[f"selection_{identifier(pname)}"] = {f"{field}|expand": pid}
                self.notes.append(
                    f"The rule selects {field} values held in the SIEM lookup '{lookup}' (Sigma placeholder "
                    f"{pid}); the Splunk and Sentinel pipelines turn it into a lookup or watchlist query. "
                    f"What the lookup itself must hold is in the parameter's description: "
                    f"{(self.params.get(pname) or {}).get('description', '')}"
                )
            elif mode == "placeholder":
                field = self.field(role)
                said = clean_values(self.param_value(pname))
                pid = self.placeholder(pname, field, (), f"{pname.replace('_', ' ')}: to be confirmed")
                blocks[f"selection_{identifier(pname)}"] = {f"{field}|expand": pid}
                quoted = "; ".join(said) if said else "nothing yet"
                self.notes.append(
                    f"The rule keeps only {field} values in the placeholder {pid}: the owners described them "
                    f"as: {quoted}. Write the real values (report names, object ids) into the pipeline "
                    "(value_placeholders) or a SIEM lookup of that name."
                )
        return blocks

    def same_as(self) -> dict[str, Any]:
        """``logic.same_as`` as Sigma field references. A compared role the log lacks but a
        lookup can supply (:data:`ENRICH_LOOKUPS`: a record's owner) is read from that lookup,
        written into the rule (``x_workshop.lookups_added``) for the SIEM conversions; until a
        person confirms the lookup, the use case's readiness blocks the rule."""
        pairs = [(str(a), str(b)) for a, b in (self.logic.get("same_as") or {}).items()]
        if not pairs:
            return {}
        block = {f"{self.field(a)}|fieldref": self.field(b) for a, b in pairs}
        self.x_notes.append(FIELDREF_NOTE.format(pairs=", ".join(f"{self.field(a)} = {self.field(b)}"
                                                                 for a, b in pairs)))  # fmt: skip
        for pname, (key_role, role) in ENRICH_LOOKUPS.items():
            if pname not in self.params or role not in self.vocab.assumed_fields:
                continue
            if not any(role in pair for pair in pairs):
                continue
            lookup = str(self.param_value(pname) or pname).strip() or pname
            key, out = self.field(key_role), self.field(role)
            self.enrich[lookup] = (key, out)
            self.notes.append(
                f"The log does not say whose {key} it is: the SIEM adds {out} from the lookup '{lookup}' "
                f"(keyed on {key}, a column {out} holding the owner's account as the log writes {self.field('user')}) "
                "before the comparison. The Splunk, ES|QL and Sentinel queries do that; elsewhere add the field at ingest."
            )
        return block

    # -- filters ------------------------------------------------------------------
    def filters(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        facts = self.ctx.facts
        for allow in self.logic.get("exclude") or []:
            if allow == "service_accounts":
                names = clean_values([a.name for a in facts.service_accounts])
                self._filter(out, "filter_service_accounts", self.field("user"), names, "service accounts",
                             Q.SERVICE_ACCOUNTS)  # fmt: skip
            elif allow == "breakglass_accounts":
                names = clean_values(facts.breakglass_accounts)
                self._filter(out, "filter_breakglass_accounts", self.field("user"), names, "break-glass accounts",
                             Q.BREAKGLASS_ACCOUNTS)  # fmt: skip
            elif allow == "batch_hosts":
                self._host_filter(out, "filter_batch_hosts", facts.batch_hosts, "batch hosts",
                                  f"{Q.BATCH_HOSTS}, {Q.BATCH_JOBS}", batch_host_addresses(facts))  # fmt: skip
            elif allow == "trusted_networks":
                self._cidr_filter(out, "filter_trusted_networks", facts.networks, Q.NETWORKS)
            elif allow == "change_windows":
                windows = facts.change_windows
                if not windows:
                    self.notes.append(
                        "Change windows are excluded by design, but the interview names none "
                        f"({Q.CHANGE_WINDOWS}): nothing is suppressed."
                    )
                self.windows.extend(w for w in windows if w not in self.windows)
        for pname, (_role, mode) in PARAMETER_LISTS.items():
            if pname not in self.params or mode not in ("exclude", "exclude_cidr", "exclude_user"):
                continue
            if mode == "exclude_user":
                self._filter(out, f"filter_{identifier(pname)}", self.field("user"),
                             clean_values(self.param_value(pname)), pname.replace("_", " "),
                             f"parameter {pname}")  # fmt: skip
            elif mode == "exclude_cidr":
                self._cidr_filter(
                    out, f"filter_{identifier(pname)}", self.param_value(pname), f"parameter {pname}"
                )
            else:
                self._host_filter(out, f"filter_{identifier(pname)}", clean_values(self.param_value(pname)),
                                  pname.replace("_", " "), f"parameter {pname}")  # fmt: skip
        return out

    def _host_filter(self, out: dict[str, dict[str, Any]], name: str, hosts: list[str], what: str, source: str,
                     addresses: list[str] | None = None) -> None:  # fmt: skip
        """Hosts allowed by the rule: by name where the log has a host field; else by the
        addresses they log with (the source field holds addresses, a host name never matches
        it), and names without addresses are left out, saying so (the rule is blocked on them)."""
        hosts = clean_values(hosts)
        field, is_host = self.host_field()
        if is_host:
            self._filter(out, name, field, hosts, what, source)
            return
        addrs = list(dict.fromkeys([*(addresses or []), *(h for h in hosts if is_address(h))]))
        names = [h for h in hosts if not is_address(h)]
        if addrs:
            self._cidr_filter(out, name, addrs, source)
        if names and not addrs:
            self.notes.append(
                f"The log has no host field and {field} holds addresses, so the {what} named "
                f"({', '.join(names)}) cannot be compared with it; nothing is excluded until their addresses "
                f"are given ({Q.BATCH_HOST_ADDRESSES})."
            )
        elif not hosts and not addrs:
            self.notes.append(
                f"The {what} are excluded by design, but none are named ({source}): nothing is excluded."
            )

    def _filter(
        self, out: dict[str, dict[str, Any]], name: str, field: str, values: list[str], what: str, source: str
    ) -> None:
        if not values:
            self.notes.append(
                f"The {what} are excluded by design, but none are named ({source}): nothing is excluded."
            )
            return
        literal = [sigma_literal(x) for x in values]
        if any(b == {field: literal} for b in out.values()):
            return
        out[name] = {field: literal}

    def _cidr_filter(self, out: dict[str, dict[str, Any]], name: str, raw: Any, source: str) -> None:
        field = self.field("source_ip")
        nets, bad = [], []
        for entry in clean_values(raw):
            try:
                nets.append(str(ipaddress.ip_network(network_of(entry), strict=False)))
            except ValueError:
                bad.append(entry)
        if bad:
            self.notes.append(
                f"Not networks, so left out of the network filter ({source}): {', '.join(bad)}. "
                "Write them as CIDR ranges (10.20.0.0/16) to exclude them."
            )
        if not nets:
            if not bad:
                self.notes.append(f"Trusted networks are excluded by design, but none are named ({source}).")
            return
        if any(b == {f"{field}|cidr": nets} for b in out.values()):
            return
        out[name] = {f"{field}|cidr": nets}

    # -- metadata -----------------------------------------------------------------
    def tags(self) -> list[str]:
        tactics: list[str] = []
        techniques: list[str] = []
        for a in self.uc.attack:
            tid = str(a.technique or "").strip().upper()
            if not re.match(r"^T\d{4}(\.\d{3})?$", tid):
                continue
            techniques.append(f"attack.{tid.lower()}")
            # SigmaHQ wants each technique's tactic; a sub-technique newer than the loaded
            # catalogue takes its parent's tactics (MITRE files sub-techniques under them).
            known = self.ctx.tactics(tid) or (self.ctx.tactics(tid.split(".")[0]) if "." in tid else None)
            for tactic in known or []:
                tactics.append(f"attack.{logsource_value(tactic).replace('_', '-')}")
        return list(dict.fromkeys(tactics + techniques))

    def definition(self) -> str:
        facts = self.ctx.facts
        app = self.ctx.app.name
        roles = ", ".join(f"{role}: {name}" for role, name in self.fields.items())
        if (self.eff.service or "") == "webserver":  # the interview's log answers are about the audit log
            return bounded(
                f"The access log of the web server or reverse proxy in front of {app}. "
                f"Collect every request with these fields ({roles}).", 4000
            )
        parts = [f"The audit log of {app}"]
        if facts.log_format:
            parts[0] += f" ({facts.log_format})"
        if facts.log_source_name:
            parts.append(f"collected from {facts.log_source_name}")
        if facts.log_destination:
            parts.append(f"kept in: {facts.log_destination}")
        text = ", ".join(parts) + "."
        if not facts.log_source_name and not facts.log_destination:
            text += f" The interview did not establish where the log is kept ({Q.LOG_DESTINATION})."
        text += f" Collect every audit event with these fields ({roles})"
        if facts.log_timezone:
            text += f"; timestamps are written in {facts.log_timezone}"
        return bounded(text + ".", 4000)

    def base_meta(self) -> dict[str, Any]:
        created = self.uc.created_at.date().isoformat() if self.uc.created_at else dt.date.today().isoformat()
        modified = self.uc.updated_at.date().isoformat() if self.uc.updated_at else created
        author = f"{TOOLKIT}, from the {self.ctx.app.name} workshop"
        if self.ctx.held_on:
            author += f" of {self.ctx.held_on}"
        meta: dict[str, Any] = {"status": "experimental"}
        meta["description"] = ""
        refs = [str(r) for r in self.eff.references if str(r).strip()]
        if refs:
            meta["references"] = list(dict.fromkeys(refs))
        meta["author"] = author
        meta["date"] = created
        meta["modified"] = max(created, modified)
        tags = self.tags()
        if tags:
            meta["tags"] = tags
        return meta

    def logsource(self) -> dict[str, Any]:
        return {
            "category": "application",
            "product": logsource_value(self.ctx.slug),
            "service": logsource_value(self.eff.service or "audit"),
            "definition": "",  # filled at the end, when every field used is known
        }

    def description(self, extra: Iterable[str] = ()) -> str:
        parts = [str(self.eff.objective or self.uc.title).strip()]
        strategy = str(self.eff.strategy_abstract or "").strip()
        if strategy:
            parts.append("Strategy: " + strategy)
        parts.extend(extra)
        return bounded("\n\n".join(p for p in parts if p))

    # -- building -----------------------------------------------------------------
    def build(self) -> RuleSet:
        uc, ctx = self.uc, self.ctx
        slug, tid = ctx.slug, uc.template_id
        ltype = str(self.logic.get("type") or "single")
        events = list(self.logic.get("events") or ([self.logic["event"]] if self.logic.get("event") else []))
        if not events:
            self.problems.append("the use case's logic names no event")
            events = ["any_event"]
        group_by = [self.field(str(r)) for r in self.logic.get("group_by") or []]
        narrowing = self.narrowing()
        filters = self.filters()
        title = one_line(uc.title, 256)
        level = LEVELS.get(uc.priority, "medium")
        fps = list(
            dict.fromkeys(one_line(x, 2000) for x in self.eff.false_positives if len(str(x).strip()) >= 2)
        )
        meta = self.base_meta()
        logsource = self.logsource()
        x_workshop: dict[str, Any] = {"use_case": tid, "application": slug, "logic": ltype}

        only_on = {f"filter_{k}": list(v) for k, v in (self.logic.get("exclude_on") or {}).items()}

        def detection(event_id: str) -> dict[str, Any]:
            det: dict[str, Any] = {"selection": self.selection(event_id)}
            det.update(narrowing)
            applies = {k: v for k, v in filters.items() if k not in only_on or event_id in only_on[k]}
            det.update(applies)
            plain = [k for k in narrowing if not k.startswith(SIGNAL_PREFIX)]
            signals = [f"1 of {SIGNAL_PREFIX}*"] if len(plain) < len(narrowing) else []
            cond = " and ".join(["selection", *plain, *signals])
            cond += "".join(f" and not {f}" for f in applies)
            det["condition"] = cond
            return det

        extra_desc: list[str] = []
        docs: list[SigmaDoc] = []
        agg: Aggregation
        counted_role = str(self.logic.get("field") or "")
        counted = self.field(counted_role) if counted_role else ""

        if handler(ltype) is None:
            self.problems.append(f"unknown logic type {ltype!r}")
        logic = logic_handler(ltype)
        logic.prepare(self)
        for w in self.windows:
            extra_desc.append(
                f"Events inside the {w.label} ({w.text()}) are not alerts. Sigma's detection cannot express a "
                "weekly window in a time zone: each SIEM conversion applies it where it can (see x_workshop)."
            )
        if self.windows:
            # label first, as the rule files have always had it
            x_workshop["time_windows"] = [
                {"label": w.label} | w.to_dict() | {"events_inside": "not alerts"} for w in self.windows
            ]

        if logic.standalone:
            event_id = events[0]
            rid = rule_uuid(slug, tid, "rule")
            agg = logic.standalone_aggregation(self, group_by, counted, extra_desc, x_workshop)
            data: dict[str, Any] = {"title": title, "id": rid}
            data.update(meta)
            data["description"] = self.description(extra_desc)
            data["logsource"] = logsource
            data["detection"] = detection(event_id)
            if fps:
                data["falsepositives"] = fps
            data["level"] = level
            data["x_workshop"] = x_workshop
            docs.append(SigmaDoc(rid, title, "detection", "alert", data, event_id))
        else:
            selections: list[SigmaDoc] = []
            for i, event_id in enumerate(events):
                part = f"event:{event_id}" if events.count(event_id) == 1 else f"event:{i}:{event_id}"
                rid = rule_uuid(slug, tid, part)
                label = EVENTS[event_id].label if event_id in EVENTS else event_id
                name = identifier(
                    f"{slug}_{tid}_{event_id}" + (f"_{i}" if events.count(event_id) > 1 else "")
                )
                step = f" (step {i + 1})" if events.count(event_id) > 1 else ""
                stitle = one_line(f"{title}: {label}{step}", 256)
                data = {
                    "title": stitle,
                    "id": rid,
                    "name": name,
                    "description": bounded(
                        f"The '{label}' events of the use case '{title}'. Used by the correlation rule "
                        f"{rule_uuid(slug, tid, 'correlation')}; not an alert on its own."
                    ),
                    "author": meta["author"],
                    "logsource": dict(logsource),
                    "detection": detection(event_id),
                }
                selections.append(SigmaDoc(rid, stitle, "detection", "selection", data, event_id))
            window = self.duration_param(str(self.logic.get("window")), "time window")
            made = logic.correlation(
                self, selections, group_by, window, counted, extra_desc, title, meta["author"]
            )
            corr, agg, steps_docs = made.rule, made.aggregation, made.steps
            if agg.peaks:
                x_workshop["known_peaks"] = agg.peak_thresholds()
            rid = rule_uuid(slug, tid, "correlation")
            data = {"title": title, "id": rid}
            data.update(meta)
            data["description"] = self.description(extra_desc)
            data["correlation"] = corr
            if fps:
                data["falsepositives"] = fps
            data["level"] = level
            # The referenced rules are not queries of their own (the default; said explicitly,
            # at the top level where the specification and its JSON schema put it).
            data["generate"] = False
            data["x_workshop"] = x_workshop
            docs = [SigmaDoc(rid, title, "correlation", "alert", data, ""), *steps_docs, *selections]

        # The fields an analyst reads (not written as the deprecated Sigma 'fields' key: they
        # are known to the rule set, its tests and the log-source definition), the definition
        # of the log source and the notes: now that all fields are known.
        shown = ["timestamp", "user", "source_ip", "action", "outcome", *(self.logic.get("group_by") or [])]
        for role in [*shown, counted_role] if counted_role else shown:
            self.field(role)
        definition = self.definition()
        for d in docs:
            if d.kind == "detection":
                d.data.pop("fields", None)
                d.data["logsource"]["definition"] = definition
        sigmahq_style(docs, meta)
        notes = list(dict.fromkeys(self.notes + self.x_notes))
        if notes:
            x_workshop["notes"] = notes
        if self.enrich:
            x_workshop["lookups_added"] = {
                k: {"key": key, "adds": out} for k, (key, out) in self.enrich.items()
            }
        if self.placeholders:
            x_workshop["placeholders"] = {k: p.to_dict() for k, p in self.placeholders.items()}
        return RuleSet(
            application=slug,
            use_case=tid,
            title=title,
            status=uc.status,
            priority=uc.priority,
            logic=ltype,
            docs=docs,
            aggregation=agg,
            fields=dict(self.fields),
            windows=list(self.windows),
            placeholders=dict(self.placeholders),
            notes=notes,
            problems=list(dict.fromkeys(self.problems)),
            attack=[str(a.technique) for a in uc.attack],
            filename=rule_filename(slug, tid, docs[0].kind == "correlation"),
            enrich=dict(self.enrich),
        )


#: Words SigmaHQ's title-case check leaves in lower case.
_SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "new", "of", "on", "or",
                          "over", "the", "through", "to", "via", "with", "without"})  # fmt: skip
#: Keys of a helper rule (a selection or a step of a correlation), in the order of the specification.
_HELPER_ORDER = ("title", "id", "name", "status", "description", "references", "author", "date",
                 "modified", "tags", "logsource", "detection", "correlation", "falsepositives", "level")  # fmt: skip


def title_case(text: str) -> str:
    """A rule title as SigmaHQ writes them: each word capitalised except short connecting
    words; words with a dot, slash, underscore or a leading digit (names, versions) as they are."""
    out = []
    for i, word in enumerate(text.split(" ")):
        if (
            word.islower()
            and (i == 0 or word not in _SMALL_WORDS)
            and not any(c in word for c in "._/")
            and not word[0].isdigit()
        ):
            k = next(j for j, c in enumerate(word) if c.isalpha())
            word = word[:k] + word[k].upper() + word[k + 1 :]
        out.append(word)
    return " ".join(out)


def sigmahq_style(docs: list[SigmaDoc], meta: dict[str, Any]) -> None:
    """The conventions SigmaHQ's validators check, on every rule of a use case: titles in
    title case; ``modified`` only when it differs from ``date``; no ATT&CK links in the
    references (the ``attack.*`` tags say it); helper rules (the selections and steps a
    correlation uses) with their own status, date and the non-alerting level
    ``informational``, since a SIEM that imports them on their own must not alert on them."""
    for d in docs:
        data = d.data
        data["title"] = d.title = title_case(str(data.get("title") or ""))
        if data.get("modified") == data.get("date"):
            data.pop("modified", None)
        refs = [r for r in data.get("references") or [] if "attack.mitre.org" not in str(r)]
        if refs:
            data["references"] = refs
        else:
            data.pop("references", None)
        if d.role != "alert":
            data.setdefault("status", meta.get("status", "experimental"))
            data.setdefault("date", meta.get("date"))
            data["level"] = "informational"
            before = dict(data)
            data.clear()
            data.update({k: before[k] for k in _HELPER_ORDER if k in before})
            data.update({k: v for k, v in before.items() if k not in data})


def build_rule_set(uc: UseCase, ctx: RuleContext) -> RuleSet:
    """The Sigma rules of one use case (pure: same use case and context, same rules), with
    its readiness (:mod:`workshop.usecases.readiness`) for the files, tests and documents."""
    from workshop.usecases.readiness import readiness

    rs = Builder(uc, ctx).build()
    rs.readiness = readiness(uc, ctx.facts)
    return rs
