"""What a logic type's handler writes synthetic events from: the plan of one case, and
the small helpers every handler shares (:mod:`workshop.rules.synthetic` prepares the
plan and calls the handler; the handlers import only this module, so the registry and
the generator do not import each other)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.synthetic import _Ctx


class Skip(Exception):
    """This case cannot be generated for this rule (the reason is reported as not tested)."""


@dataclass
class SyntheticPlan:
    """What a logic type's handler needs to write the events of one case."""

    c: _Ctx
    kind: str  # "true_positive", "split_below_threshold" or "slow_spread"
    t0: dt.datetime  # a moment outside every time window
    window: dt.timedelta
    count: int  # the threshold, rounded up
    group_roles: list[str]
    counted_role: str
    first_event: str
    grouped: Callable[[int], dict[str, Any]]  # role values of group number i (0: the attacker's)


def spread(start: dt.datetime, total: dt.timedelta, n: int) -> list[dt.datetime]:
    if n <= 1:
        return [start]
    step = total / (n - 1)
    return [start + step * i for i in range(n)]


def sequence_roles(c: _Ctx, group_roles: list[str]) -> dict[str, Any]:
    """The value that ties the steps together (the same user, the same object...)."""
    return {r: (c.attack_user() if r == "user" else c.distinct(r, 7)) for r in group_roles}


def counted_events(
    c: _Ctx,
    event_id: str,
    agg_type: str,
    counted_role: str,
    times: list[dt.datetime],
    count: int,
    group: dict[str, Any],
    offset: int = 0,
) -> list[dict[str, Any]]:
    out = []
    for i, t in enumerate(times):
        roles = dict(group)
        if agg_type == "value_count" and counted_role:
            roles[counted_role] = c.distinct(counted_role, offset + i)
        if agg_type == "value_sum" and counted_role:
            roles[counted_role] = math.ceil(count / len(times)) if len(times) > 1 else count
        out.append(c.event(event_id, t, **roles))
    return out
