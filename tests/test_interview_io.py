"""Interview files: export -> import without loss, and imports that check everything first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from workshop.core import yamlsource
from workshop.core.errors import InputError, LoadError, ValidationErrors, YamlSyntaxError
from workshop.interview.io import interview_document, parse_interview
from workshop.interview.model import Application
from workshop.questionnaire import Catalogue, load_questionnaire
from workshop.questionnaire.forms import blank_yaml
from workshop.services.interview import answer_question
from workshop.services.interview_io import export_interview, import_interview
from workshop.store import Store

DATA = Path(__file__).resolve().parent / "data"


def _document(store: Store, iid: int, q) -> dict:
    interview = store.get_interview(iid)
    return interview_document(store.get_application(interview.application), interview, store.answers(iid), q)

ADVERSARIAL = [
    'He said "yes": it\'s fine',
    "key: value",
    "# not a comment",
    "- not a list item",
    "{a: 1}",
    "[1, 2]",
    "!!python/object:os.system",
    "!!python/object/apply:os.system ['id']",
    "&anchor *alias",
    "yes",
    "null",
    "~",
    "08:00",
    "1e3",
    "2026-03-31",
    "---",
    "...",
    "%YAML 1.2",
    "Zürich, 東京, Москва, القاهرة",
    "emoji 🎉🔐👩‍💻",
    "tab\there",
    "back\\slash",
    "'single' and \"double\"",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil")',
]
LONG_TEXTS = [
    "  leading and trailing spaces  ",
    "line one\nline two\n\n  indented four\n- dash item\n# hash\n",
    "\n\nstarts with blank lines",
    "ends with spaces and newline   \n",
    "mixed: {a: 1}\n!!python/object\n---\nend",
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    q = load_questionnaire(DATA / "mini-questionnaire.yaml")
    return Catalogue(questionnaires={q.id: q})


@pytest.fixture
def store(workspace: Path) -> Iterator[Store]:
    s = Store.open()
    yield s
    s.close()


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "empty-workspace")
    yield s
    s.close()


def _fill(store: Store, catalogue: Catalogue) -> int:
    q = catalogue.get("test-mini")
    store.create_application(
        Application(
            "pay-portal",
            'Pay "Portal": #1 🎉',
            owner="Zoë O'Brien",
            criticality="critical",
            description="Multi-line\n  description: {a: 1}\n- not a list\n",
            platforms=("SaaS", "Identity Provider"),
        )
    )
    iid = store.create_interview("pay-portal", q.id, q.version, held_on="2026-03-31", facilitator="Fay: lead",
                                 participants=["Ann #1", "Bob - admin", "李雷"]).id  # fmt: skip

    def ans(qid, value, **kw):
        answer_question(store, q, iid, qid, value, **kw)

    ans("auth.methods", ["sso", "local"])
    ans("auth.lockout", 0)
    ans(
        "auth.mfa",
        None,
        unknown=True,
        follow_up=True,
        follow_up_owner="IT: Ann",
        follow_up_note=ADVERSARIAL[0],
    )
    ans("access.hours", {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00",
                         "timezone": "Europe/London"})  # fmt: skip
    ans("access.countries", ["GB", "IE"])
    ans("access.roles", [{"name": text[:100], "count": n, "privileged": n % 2 == 0}
                         for n, text in enumerate(ADVERSARIAL)])  # fmt: skip
    ans("access.admin_review", ADVERSARIAL[1])
    ans("misc.internet", False, follow_up=True, follow_up_owner="Bob", follow_up_note="line 1\nline 2: {x}")
    ans("misc.notes", "\n".join(ADVERSARIAL) + "\n" + LONG_TEXTS[0])
    ans("misc.users", 1234.5)
    ans("misc.launched", "2019-07-01")
    ans("misc.confidence", 4, follow_up=True, follow_up_owner="closed", follow_up_note="done")
    answer_question(store, q, iid, "misc.confidence", follow_up=False)  # closed follow-up keeps owner/note
    ans("misc.networks", ["10.0.0.0/8", "2001:db8::/32"])
    return iid


def _states(store: Store, iid: int) -> dict:
    return {k: a.state() for k, a in store.answers(iid).items()}


def test_export_import_round_trip_into_an_empty_workspace(
    store: Store, other_store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    iid = _fill(store, catalogue)
    text = export_interview(store, "pay-portal", catalogue=catalogue)
    f = tmp_path / "export.yaml"
    f.write_text(text, encoding="utf-8")

    assert other_store.list_applications() == []
    imported = import_interview(other_store, catalogue, f)
    assert imported.application == "pay-portal"  # same slug, recreated from the profile
    assert (
        other_store.get_application("pay-portal").profile_dict()
        == store.get_application("pay-portal").profile_dict()
    )
    original = store.get_interview(iid)
    for key in ("questionnaire_id", "questionnaire_version", "held_on", "facilitator", "participants"):
        assert getattr(imported, key) == getattr(original, key), key
    assert _states(other_store, imported.id) == _states(store, iid)
    assert other_store.answers(imported.id)["misc.confidence"].follow_up_owner == "closed"
    assert other_store.answers(imported.id)["misc.confidence"].follow_up is False
    # exporting the copy gives the same file
    assert export_interview(other_store, "pay-portal", catalogue=catalogue) == text


def test_export_is_in_questionnaire_order_and_plain_yaml(store: Store, catalogue: Catalogue) -> None:
    iid = _fill(store, catalogue)
    text = export_interview(store, "pay-portal", iid, catalogue)
    doc = yamlsource.load(text)
    assert doc["format"] == "use-case-workshop/interview"
    assert doc["format_version"] == 1
    assert list(doc["answers"]) == [
        "auth.methods", "auth.lockout", "auth.mfa", "access.hours", "access.countries", "access.roles",
        "access.admin_review", "misc.internet", "misc.notes", "misc.users", "misc.launched",
        "misc.confidence", "misc.networks",
    ]  # fmt: skip
    assert doc["answers"]["auth.mfa"] == {
        "unknown": True,
        "follow_up": {"owner": "IT: Ann", "note": ADVERSARIAL[0]},
    }
    assert doc["answers"]["misc.confidence"]["follow_up"] == {
        "owner": "closed",
        "note": "done",
        "open": False,
    }
    # only plain YAML types: the adversarial texts are quoted, never emitted as tags
    plain = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}
    stack = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while stack:
        node = stack.pop()
        assert node.tag in plain, node.tag
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_text_survives(text: str, store: Store, catalogue: Catalogue, tmp_path: Path) -> None:
    q = catalogue.get("test-mini")
    store.create_application(Application("app", "App"))
    iid = store.create_interview("app", q.id, q.version).id
    owner = text.replace("\t", " ")[:150]  # one-line fields refuse control characters
    answer_question(store, q, iid, "access.admin_review", text, follow_up=True, follow_up_owner=owner,
                    follow_up_note=text)  # fmt: skip
    answer_question(store, q, iid, "misc.notes", f"  {text}\n{text}  ")
    answer_question(store, q, iid, "access.roles", [{"name": text}])
    doc = yamlsource.dump(_document(store, iid, q))
    parsed = parse_interview(doc, "x.yaml", catalogue)
    assert parsed.states["access.admin_review"]["value"] == text
    assert parsed.states["access.admin_review"]["follow_up_owner"] == owner
    assert parsed.states["access.admin_review"]["follow_up_note"] == text
    assert parsed.states["misc.notes"]["value"] == f"  {text}\n{text}  "
    assert parsed.states["access.roles"]["value"][0]["name"] == text


@pytest.mark.parametrize("text", LONG_TEXTS)
def test_long_text_is_kept_exactly(text: str, store: Store, catalogue: Catalogue) -> None:
    q = catalogue.get("test-mini")
    store.create_application(Application("app", "App"))
    iid = store.create_interview("app", q.id, q.version).id
    answer_question(store, q, iid, "misc.notes", text)
    doc = yamlsource.dump(_document(store, iid, q))
    assert parse_interview(doc, "x.yaml", catalogue).states["misc.notes"]["value"] == text


# --- imports that must write nothing ------------------------------------------------------------


def _exported(store: Store, catalogue: Catalogue, tmp_path: Path) -> Path:
    _fill(store, catalogue)
    f = tmp_path / "exported.yaml"
    f.write_text(export_interview(store, "pay-portal", catalogue=catalogue), encoding="utf-8")
    return f


def _line_of(text: str, needle: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_unknown_ids_and_version_mismatch_are_all_reported_with_lines(
    store: Store, other_store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    src = _exported(store, catalogue, tmp_path).read_text(encoding="utf-8")
    bad = src.replace("questionnaire_version: '1'", "questionnaire_version: '0.9'")
    bad = bad.replace("  auth.lockout:", "  auth.lockot:").replace("  misc.users:", "  misc.userz:")
    bad = bad.replace("  - GB\n", "  - GBR\n")
    f = tmp_path / "bad.yaml"
    f.write_text(bad, encoding="utf-8")
    with pytest.raises(ValidationErrors) as err:
        import_interview(other_store, catalogue, f)
    got = [(e.location.file, e.location.line, e.message) for e in err.value.errors]
    assert got == [
        (str(f), _line_of(bad, "questionnaire_version:"),
         "file was written for test-mini version 0.9, but this workspace has version 1; check the answers "
         "still mean the same and import with --force-version (unknown question ids are still refused)"),
        (str(f), _line_of(bad, "auth.lockot:"), "'auth.lockot' is not a question of test-mini 1"),
        (str(f), _line_of(bad, "access.countries:"),
         "access.countries: 'GBR' is not a two-letter country code (ISO 3166, e.g. GB)"),
        (str(f), _line_of(bad, "misc.userz:"), "'misc.userz' is not a question of test-mini 1"),
    ]  # fmt: skip
    assert other_store.list_applications() == []
    assert other_store.list_interviews() == []


def test_force_version_allows_the_mismatch_but_not_unknown_ids(
    store: Store, other_store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    src = _exported(store, catalogue, tmp_path).read_text(encoding="utf-8")
    f = tmp_path / "old.yaml"
    f.write_text(src.replace("questionnaire_version: '1'", "questionnaire_version: '0.9'"), encoding="utf-8")
    with pytest.raises(ValidationErrors, match="--force-version"):
        import_interview(other_store, catalogue, f)
    assert other_store.list_applications() == []
    imported = import_interview(other_store, catalogue, f, force_version=True)
    assert imported.questionnaire_version == "1"  # the version the answers now belong to
    assert len(other_store.answers(imported.id)) == 13

    g = tmp_path / "old-and-unknown.yaml"
    g.write_text(f.read_text().replace("  auth.lockout:", "  auth.gone:"), encoding="utf-8")
    with pytest.raises(ValidationErrors) as err:
        import_interview(other_store, catalogue, g, app="second", force_version=True)
    assert [e.message for e in err.value.errors] == ["'auth.gone' is not a question of test-mini 1"]
    assert [a.slug for a in other_store.list_applications()] == ["pay-portal"]


@pytest.mark.parametrize(
    ("change", "fragment", "needle"),
    [
        (("format: use-case-workshop/interview", "format: something-else"),
         "'format' must be 'use-case-workshop/interview'", "format: something-else"),
        (("format_version: 1", "format_version: 2"), "format_version 2 is not supported", "format_version"),
        (("questionnaire: test-mini", "questionnaire: nope"),
         "unknown questionnaire 'nope' (available: test-mini)", "questionnaire: nope"),
        (("  slug: pay-portal", "  slug: ../evil"), "application: invalid application slug '../evil'", "  slug: "),
        (("  criticality: critical", "  criticality: extreme"), "application: criticality must be one of",
         "  slug: "),
        (("  participants:\n", "  participants: Ann\n  x-old:\n"), "'participants' must be a list of names",
         "participants: Ann"),
    ],
)  # fmt: skip
def test_bad_headers_are_reported_with_lines(
    change: tuple[str, str], fragment: str, needle: str, store: Store, other_store: Store,
    catalogue: Catalogue, tmp_path: Path,
) -> None:  # fmt: skip
    src = _exported(store, catalogue, tmp_path).read_text(encoding="utf-8")
    assert change[0] in src
    bad = src.replace(change[0], change[1], 1)
    f = tmp_path / "bad.yaml"
    f.write_text(bad, encoding="utf-8")
    with pytest.raises(ValidationErrors) as err:
        import_interview(other_store, catalogue, f)
    first = err.value.errors[0]
    assert fragment in first.message
    assert first.location.line == _line_of(bad, needle)
    assert other_store.list_applications() == []


@pytest.mark.parametrize(
    ("answers", "fragments"),
    [
        ("  misc.users: lots\n", ["misc.users: expected a number, got 'lots'"]),
        ("  misc.internet:\n    value: true\n    unknown: maybe\n", ["misc.internet: 'unknown' must be true or false"]),
        ("  misc.internet:\n    value: true\n    follow_up: soon\n", ["'follow_up' must be true or a mapping"]),
        ("  misc.internet:\n    value: true\n    follow_up: {owner: a, due: b}\n", ["unknown follow-up key(s) due"]),
        ("  auth.mfa: [all, none]\n  misc.launched: 31/12/2020\n",
         ["auth.mfa: expected one option", "misc.launched: expected a date like 2026-03-31"]),
    ],
)  # fmt: skip
def test_bad_answers_are_all_reported(
    answers: str, fragments: list[str], store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    text = (
        "format: use-case-workshop/interview\nformat_version: 1\n"
        "application: {slug: app, name: App}\n"
        "interview: {questionnaire: test-mini, questionnaire_version: '1'}\n"
        "answers:\n" + answers
    )
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationErrors) as err:
        import_interview(store, catalogue, f)
    assert len(err.value.errors) == len(fragments)
    for e, fragment in zip(err.value.errors, fragments, strict=True):
        assert fragment in e.message
        assert e.location.line >= 6
    assert store.list_applications() == []


def test_not_an_interview_file(store: Store, catalogue: Catalogue, tmp_path: Path) -> None:
    f = tmp_path / "list.yaml"
    f.write_text("- a\n- b\n")
    with pytest.raises(LoadError, match="must be a mapping") as err:
        import_interview(store, catalogue, f)
    assert err.value.location.line == 1
    g = tmp_path / "syntax.yaml"
    g.write_text("format: use-case-workshop/interview\nanswers: {a: [\n")
    with pytest.raises(YamlSyntaxError) as err2:
        import_interview(store, catalogue, g)
    assert err2.value.location.file == str(g)
    assert store.list_applications() == []


# --- short forms and application choice -------------------------------------------------------------


def test_bare_values_and_shorthand_flags(store: Store, catalogue: Catalogue, tmp_path: Path) -> None:
    f = tmp_path / "short.yaml"
    f.write_text(
        "format: use-case-workshop/interview\n"
        "application: {name: Short Form App}\n"
        "interview: {questionnaire: test-mini, held_on: 2026-01-15, participants: [Ann]}\n"
        "answers:\n"
        "  auth.mfa: admins\n"
        "  auth.methods: [Single sign-on]\n"
        "  misc.internet: {value: no, follow_up: true}\n"
        "  misc.users: {unknown: true}\n"
        "  misc.notes:\n    value: ''\n"  # empty: skipped
        "  access.hours: {value: {days: 'mon, fri', start: 8:00, end: 17:30}}\n",
        encoding="utf-8",
    )
    i = import_interview(store, catalogue, f)
    assert i.application == "short-form-app"  # slug made from the name
    assert i.held_on == "2026-01-15"
    assert i.participants == ("Ann",)
    answers = store.answers(i.id)
    assert set(answers) == {"auth.mfa", "auth.methods", "misc.internet", "misc.users", "access.hours"}
    assert answers["auth.methods"].value == ["sso"]
    assert answers["misc.internet"].value is False and answers["misc.internet"].follow_up is True
    assert answers["misc.users"].unknown is True and answers["misc.users"].value is None
    assert answers["access.hours"].value == {"days": ["mon", "fri"], "start": "08:00", "end": "17:30",
                                             "timezone": "UTC"}  # fmt: skip
    assert {h.who for h in store.history(i.id)} == {"import:short.yaml"}


def test_import_into_an_existing_application_with_app(
    store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    f = _exported(store, catalogue, tmp_path)
    store.create_application(Application("target", "Target"))
    i = import_interview(store, catalogue, f, app="target")
    assert i.application == "target"
    assert store.get_application("target").name == "Target"  # profile not overwritten
    assert len(store.list_interviews("pay-portal")) == 1
    # a second import of the same file makes a second interview
    again = import_interview(store, catalogue, f, app="target")
    assert again.id != i.id and len(store.list_interviews("target")) == 2


def test_import_with_app_creates_it_from_the_profile(store: Store, other_store: Store, catalogue: Catalogue,
                                                      tmp_path: Path) -> None:  # fmt: skip
    f = _exported(store, catalogue, tmp_path)
    i = import_interview(other_store, catalogue, f, app="copy")
    app = other_store.get_application("copy")
    assert i.application == "copy"
    assert app.name == 'Pay "Portal": #1 🎉' and app.criticality == "critical"


def test_import_refuses_bad_app_and_missing_profile(
    store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    f = tmp_path / "anon.yaml"
    f.write_text("format: use-case-workshop/interview\ninterview: {questionnaire: test-mini}\n"
                 "answers: {auth.mfa: all}\n")  # fmt: skip
    with pytest.raises(InputError, match="names no application; pass --app"):
        import_interview(store, catalogue, f)
    with pytest.raises(
        InputError, match="no application 'ghost' in this workspace and the file carries no profile"
    ):
        import_interview(store, catalogue, f, app="ghost")
    with pytest.raises(InputError, match="invalid application slug"):
        import_interview(store, catalogue, f, app="../etc")
    assert store.list_applications() == []


def test_export_errors(store: Store, catalogue: Catalogue) -> None:
    store.create_application(Application("a", "A"))
    store.create_application(Application("b", "B"))
    with pytest.raises(InputError, match="application 'a' has no interview yet"):
        export_interview(store, "a")
    ib = store.create_interview("b", "test-mini", "1").id
    with pytest.raises(InputError, match=f"interview {ib} belongs to 'b', not 'a'"):
        export_interview(store, "a", ib)


# --- the blank form can be filled in and imported ------------------------------------------------------


def test_filled_blank_form_imports(store: Store, catalogue: Catalogue, tmp_path: Path) -> None:
    q = catalogue.get("test-mini")
    form = blank_yaml(q)
    assert yamlsource.load(form)["answers"]["auth.methods"] == {"value": None}
    filled = (
        form.replace("  auth.methods:\n    value: null", "  auth.methods:\n    value: [sso, Local accounts]")
        .replace("  auth.mfa:\n    value: null", "  auth.mfa:\n    value: null\n    unknown: true\n"
                 "    follow_up: {owner: Security team, note: 'ask about admins: all of them?'}")
        .replace("  access.roles:\n    value: null",
                 "  access.roles:\n    value:\n      - {name: admin, count: 3, privileged: yes}\n"
                 "      - {name: clerk, count: '1,200'}")
        .replace("  misc.notes:\n    value: null", "  misc.notes:\n    value: |\n      Two lines:\n      # of notes\n")
        .replace("held_on: ''", "held_on: '2026-02-01'")
    )  # fmt: skip
    assert filled.count("value: null") == len(q.questions) - 3
    f = tmp_path / "filled.yaml"
    f.write_text(filled, encoding="utf-8")
    store.create_application(Application("owners-app", "Owners' app"))
    i = import_interview(store, catalogue, f, app="owners-app")
    answers = store.answers(i.id)
    assert set(answers) == {"auth.methods", "auth.mfa", "access.roles", "misc.notes"}
    assert answers["auth.methods"].value == ["sso", "local"]
    assert answers["auth.mfa"].unknown and answers["auth.mfa"].follow_up_owner == "Security team"
    assert answers["auth.mfa"].follow_up_note == "ask about admins: all of them?"
    assert answers["access.roles"].value[1] == {"name": "clerk", "count": 1200, "privileged": None}
    assert answers["misc.notes"].value == "Two lines:\n# of notes\n"
    assert i.held_on == "2026-02-01"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("platforms: 5", "application: platforms must be a list of platform names"),
        ("platforms: [SaaS]\n  created_at: yesterday", None),  # timestamps in a file are not imported
        ("updated_at: [1]", None),
    ],
)
def test_application_fields_of_the_wrong_shape(
    extra: str, fragment: str | None, store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    f = tmp_path / "app.yaml"
    f.write_text(
        "format: use-case-workshop/interview\n"
        f"application:\n  slug: app\n  name: App\n  {extra}\n"
        "interview: {questionnaire: test-mini}\nanswers: {auth.mfa: all}\n",
        encoding="utf-8",
    )
    if fragment is None:
        i = import_interview(store, catalogue, f)
        assert store.get_application(i.application).created_at is not None
        return
    with pytest.raises(ValidationErrors) as err:
        import_interview(store, catalogue, f)
    assert [(e.location.line, e.message) for e in err.value.errors] == [(3, fragment)]
    assert store.list_applications() == []


def test_a_date_that_does_not_exist_is_an_error_with_its_line(
    store: Store, catalogue: Catalogue, tmp_path: Path
) -> None:
    f = tmp_path / "date.yaml"
    f.write_text(
        "format: use-case-workshop/interview\napplication: {slug: app, name: App}\n"
        "interview: {questionnaire: test-mini}\nanswers:\n  misc.launched: 2026-02-30\n",
        encoding="utf-8",
    )
    with pytest.raises(YamlSyntaxError) as err:
        import_interview(store, catalogue, f)
    assert err.value.location.line == 5
    assert "2026-02-30" in err.value.message
    assert store.list_applications() == []
