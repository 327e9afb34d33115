"""ATT&CK Navigator layers of the use cases (one application, or the portfolio)."""

from __future__ import annotations

import json

from workshop.services.exports.context import attack_index, bundle_setting
from workshop.services.exports.registry import ExportRequest, Files, exporter
from workshop.usecases.coverage import navigator_layer


@exporter("navigator")
def navigator_files(req: ExportRequest) -> Files:
    index = attack_index(req.attack_bundle or bundle_setting(req.store))
    if req.slug is not None:
        app = req.store.get_application(req.slug)
        layer = navigator_layer(index, req.store.list_use_cases(req.slug), f"{app.name} use cases",
                                f"Use cases of {app.name} mapped to ATT&CK (a guide, not a score).",
                                platforms=app.platforms)  # fmt: skip
        name = f"{req.slug}-navigator.json"
    else:
        layer = navigator_layer(index, req.store.list_use_cases(), "Portfolio use cases",
                                "Use cases of every in-house application mapped to ATT&CK.", with_app=True)  # fmt: skip
        name = "portfolio-navigator.json"
    return {name: json.dumps(layer, indent=2, ensure_ascii=False) + "\n"}
