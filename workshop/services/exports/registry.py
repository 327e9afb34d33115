"""The export registry: what a format is given and how it registers itself.

Apart from the package's ``__init__`` so that each format module imports this small
module, not the package that imports the formats: no import cycle between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workshop.questionnaire import Catalogue
from workshop.store import Store


@dataclass
class ExportRequest:
    store: Store
    questionnaires: Catalogue
    slug: str | None  # None: the whole portfolio
    attack_bundle: str | None = None


Files = dict[str, str | bytes]
EXPORTERS: dict[str, Callable[[ExportRequest], Files]] = {}


def exporter(name: str) -> Callable[[Callable[[ExportRequest], Files]], Callable[[ExportRequest], Files]]:
    def deco(fn: Callable[[ExportRequest], Files]) -> Callable[[ExportRequest], Files]:
        EXPORTERS[name] = fn
        return fn

    return deco


def request_slugs(req: ExportRequest) -> list[str]:
    if req.slug is not None:
        req.store.get_application(req.slug)
        return [req.slug]
    return [a.slug for a in req.store.list_applications()]
