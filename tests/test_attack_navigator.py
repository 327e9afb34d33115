"""Navigator layers (format 4.5): what build_layer makes and what validate_layer rejects."""

from __future__ import annotations

import copy
import json

import pytest

from workshop.attack import LayerEntry, build_layer, validate_layer
from workshop.attack.navigator import STATUS_COLORS, status_color
from workshop.core.errors import InputError

ENTRIES = [
    LayerEntry("T1110", "credential-access", ["Brute force on the portal login"], ["live"]),
    (
        "T1110.003",
        None,
        ["Password spraying across accounts", "Spraying from one network"],
        ["draft", "tested"],
    ),
    {"technique_id": "t1567", "use_cases": ["Bulk export before leaving"], "statuses": ["proposed"]},
    ("T1110", "credential-access", ["Brute force on the API"], ["accepted"]),  # merged with the first
]


@pytest.fixture
def layer() -> dict:
    return build_layer(
        "Customer portal: use-case coverage",
        ENTRIES,
        version="18.1",
        domain="enterprise-attack",
        description="Use cases from the workshop of 2025-03-01",
        metadata={"application": "customer-portal"},
    )


def test_layer_has_every_required_field_of_format_4_5(layer: dict) -> None:
    assert validate_layer(layer) == []
    assert layer["name"] == "Customer portal: use-case coverage"
    assert layer["domain"] == "enterprise-attack"
    assert layer["versions"] == {"layer": "4.5", "navigator": "5.1.0", "attack": "18.1"}
    assert layer["description"].startswith("Use cases")
    assert layer["gradient"]["minValue"] == 0 and layer["gradient"]["maxValue"] == 2
    assert len(layer["gradient"]["colors"]) >= 2
    assert {"name": "application", "value": "customer-portal"} in layer["metadata"]
    json.dumps(layer)  # plain JSON data


def test_techniques_score_comment_metadata_and_colour(layer: dict) -> None:
    techs = {(t["techniqueID"], t.get("tactic")): t for t in layer["techniques"]}
    assert set(techs) == {("T1110", "credential-access"), ("T1110.003", None), ("T1567", None)}
    brute = techs[("T1110", "credential-access")]
    assert brute["score"] == 2
    assert brute["comment"] == "Brute force on the portal login; Brute force on the API"
    assert brute["metadata"] == [
        {"name": "Brute force on the portal login", "value": "live"},
        {"name": "Brute force on the API", "value": "accepted"},
    ]
    assert brute["color"] == STATUS_COLORS["live"]  # the most advanced status wins
    assert techs[("T1110.003", None)]["color"] == STATUS_COLORS["tested"]
    assert (
        techs[("T1567", None)]["score"] == 1 and techs[("T1567", None)]["color"] == STATUS_COLORS["proposed"]
    )
    labels = " / ".join(item["label"] for item in layer["legendItems"])
    for status in ("live", "accepted", "tested", "draft", "proposed"):
        assert status in labels
    assert all(item["color"].startswith("#") for item in layer["legendItems"])


def test_colour_by_score_leaves_colours_to_the_gradient() -> None:
    layer = build_layer("x", ENTRIES, version="18.1", color_by="score")
    assert validate_layer(layer) == []
    assert all("color" not in t for t in layer["techniques"])
    assert layer["legendItems"] == []


def test_unknown_version_is_left_out_so_the_navigator_uses_its_current_one() -> None:
    layer = build_layer("x", [("T1078", None, ["a"], ["draft"])], version="unknown")
    assert "attack" not in layer["versions"]
    assert validate_layer(layer) == []


def test_ics_domain_and_platform_filter() -> None:
    layer = build_layer(
        "ics", [("T0836", None, ["a"], [])], version="18.1", domain="ics-attack", platforms=["Windows"]
    )
    assert layer["domain"] == "ics-attack" and layer["filters"] == {"platforms": ["Windows"]}
    assert validate_layer(layer) == []
    assert layer["techniques"][0]["metadata"] == [{"name": "a", "value": "unknown"}]
    assert "color" not in layer["techniques"][0]


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="not ATT&CK technique IDs: 'TA0006', 'brute'"):
        build_layer("x", [("TA0006", None, ["a"], []), ("brute", None, [], [])])
    with pytest.raises(InputError, match="unknown ATT&CK domain"):
        build_layer("x", [], domain="enterprise")
    with pytest.raises(InputError, match="color_by"):
        build_layer("x", [], color_by="rainbow")


def test_status_colours() -> None:
    assert status_color([]) is None
    assert status_color(["Draft", "LIVE"]) == STATUS_COLORS["live"]
    assert status_color(["in review"]) == STATUS_COLORS["in_review"]
    assert status_color(["something new"]) not in (None, *STATUS_COLORS.values())


def test_every_status_of_the_app_has_its_colour_in_order() -> None:
    """Implemented use cases were coloured like unknown words (and ranked below proposed)."""
    from workshop.vocab import STATUSES

    assert set(STATUSES) <= set(STATUS_COLORS)
    assert status_color(["accepted", "implemented"]) == STATUS_COLORS["implemented"] != STATUS_COLORS["accepted"]
    assert status_color(["proposed", "implemented"]) == STATUS_COLORS["implemented"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda lay: lay.pop("name"), "'name' is required"),
        (lambda lay: lay.pop("domain"), "'domain' is required"),
        (lambda lay: lay.update(domain="enterprise"), "domain 'enterprise' is not one of"),
        (lambda lay: lay.pop("versions"), "'versions' is missing"),
        (lambda lay: lay["versions"].update(layer="4.4"), 'versions.layer must be "4.5"'),
        (lambda lay: lay["versions"].update(navigator="4.8.2"), "versions.navigator must be"),
        (lambda lay: lay["versions"].pop("navigator"), "versions.navigator must be"),
        (lambda lay: lay["versions"].update(attack="latest"), "versions.attack must be"),
        (lambda lay: lay["techniques"][0].pop("techniqueID"), "'techniqueID' is required"),
        (lambda lay: lay["techniques"][0].update(techniqueID="1110"), "techniqueID '1110' is not like"),
        (lambda lay: lay["techniques"][0].update(score="2"), "score must be a number"),
        (
            lambda lay: lay["techniques"][0].update(tactic="Credential Access"),
            "tactic must be a tactic shortname",
        ),
        (lambda lay: lay["techniques"][0].update(color="green"), "color must be a hex colour"),
        (lambda lay: lay["techniques"][0]["metadata"].append({"name": "x"}), "'value' is required"),
        (
            lambda lay: lay["techniques"][0].update(links=[{"label": "x", "url": "example.org"}]),
            "url must start with",
        ),
        (lambda lay: lay["gradient"].update(maxValue=0), "maxValue must be greater"),
        (lambda lay: lay["gradient"].update(colors=["#fff"]), "at least two colours"),
        (lambda lay: lay["legendItems"].append({"label": "x"}), "'color' is required"),
        (lambda lay: lay.update(sorting=7), "sorting must be 0, 1, 2 or 3"),
        (lambda lay: lay["layout"].update(layout="grid"), "layout.layout must be one of"),
        (lambda lay: lay.update(hideDisabled="no"), "'hideDisabled' must be a bool"),
        (lambda lay: lay.update(techniques={}), "'techniques' must be a list"),
    ],
)
def test_validator_catches_each_violation(layer: dict, mutate, message: str) -> None:
    broken = copy.deepcopy(layer)
    mutate(broken)
    errors = validate_layer(broken)
    assert any(message in e for e in errors), errors


def test_validator_accepts_the_example_from_the_format_definition() -> None:
    example = {
        "name": "example layer",
        "versions": {"attack": "13", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": "hello, world",
        "filters": {"platforms": ["Windows", "macOS"]},
        "sorting": 2,
        "layout": {"layout": "side", "showName": True, "showID": False, "aggregateFunction": "average"},
        "hideDisabled": False,
        "techniques": [
            {
                "techniqueID": "T1110",
                "score": 0,
                "color": "#fd8d3c",
                "comment": "c",
                "showSubtechniques": True,
            },
            {
                "techniqueID": "T1053",
                "tactic": "privilege-escalation",
                "metadata": [{"name": "a", "value": "b"}, {"divider": True}],
            },
            {
                "techniqueID": "T1098",
                "tactic": "persistence",
                "score": 80,
                "links": [{"label": "GitHub", "url": "https://github.com"}],
            },
        ],
        "gradient": {"colors": ["#ff6666ff", "#ffe766ff", "#8ec843ff"], "minValue": 0, "maxValue": 100},
        "legendItems": [{"label": "Legend Item Label", "color": "#FF00FF"}],
        "metadata": [{"name": "layer metadata 1", "value": "v"}, {"divider": True}],
    }
    assert validate_layer(example) == []
    assert validate_layer([example]) == ["a layer must be a JSON object"]
