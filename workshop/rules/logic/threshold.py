"""``threshold``: at least N events per group within a window (Sigma event_count)."""

from __future__ import annotations

from workshop.rules.logic import register
from workshop.rules.logic.counting import Counting
from workshop.vocab import LogicType


@register
class Threshold(Counting):
    type = LogicType.THRESHOLD
