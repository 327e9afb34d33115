"""``single``: every matching event is an alert (one detection rule)."""

from __future__ import annotations

from workshop.rules.logic import LogicHandler, register
from workshop.vocab import LogicType


@register
class Single(LogicHandler):
    type = LogicType.SINGLE
