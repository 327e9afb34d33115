"""The questionnaire format: every problem is reported as FILE:LINE: message, all at once."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.core.errors import LoadError, ValidationErrors, WorkshopError, YamlSyntaxError
from workshop.questionnaire import Questionnaire, discover, load_questionnaire, load_questionnaire_text

PROJECT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini-questionnaire.yaml"

HEADER = """\
id: t
title: T
version: "1"
sections:
  - id: s
    title: S
    questions:
      - id: a.first
        prompt: First
        type: text
"""


def doc(questions: str = "", header: str = HEADER) -> str:
    """The header (one valid question) followed by more questions, indented in place."""
    return header + textwrap.indent(textwrap.dedent(questions), " " * 6)


def marked_line(text: str, marker: str = "# <-") -> int:
    """The 1-based line that carries ``marker`` (a YAML comment, so it does not change the data)."""
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(lines) == 1, f"marker {marker!r} found on lines {lines}"
    return lines[0]


def problems(text: str, filename: str = "q.yaml") -> list[WorkshopError]:
    with pytest.raises((ValidationErrors, YamlSyntaxError)) as err:
        load_questionnaire_text(text, filename)
    if isinstance(err.value, ValidationErrors):
        return list(err.value.errors)
    return [err.value]


def only_problem(text: str, filename: str = "q.yaml") -> WorkshopError:
    found = problems(text, filename)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


def assert_at(err: WorkshopError, line: int, fragment: str, filename: str = "q.yaml") -> None:
    assert err.location is not None
    assert err.location.file == filename
    assert err.location.line == line, str(err)
    assert fragment in err.message, str(err)
    assert str(err).startswith(f"{filename}:{line}: ")


# --- a valid file ----------------------------------------------------------------------


def test_header_alone_is_valid() -> None:
    q = load_questionnaire_text(doc(), "q.yaml")
    assert q.id == "t"
    assert [x.id for x in q.questions] == ["a.first"]
    assert q.questions[0].line == 8


def test_mini_questionnaire_loads_with_every_type() -> None:
    q = load_questionnaire(MINI)
    assert q.id == "test-mini"
    assert q.version == "1"
    assert {x.type for x in q.questions} == {
        "text", "long_text", "integer", "number", "boolean", "single_choice", "multi_choice",
        "time_window", "list", "tags", "date", "scale",
    }  # fmt: skip
    methods = q.question("auth.methods")
    assert [o.value for o in methods.options] == ["sso", "local", "other"]
    assert methods.option("other").label == "Other"
    assert methods.required and methods.help.startswith("FACILITATOR-ONLY-HELP")
    assert q.question("auth.lockout").when.names == frozenset({"auth.methods"})
    assert [c.id for c in q.question("access.roles").columns] == ["name", "count", "privileged"]
    assert q.question("access.roles").columns[0].required is True
    assert q.question("auth.lockout").min == 0
    assert q.question("access.countries").format == "country"


def test_readme_example_is_a_valid_questionnaire() -> None:
    readme = (PROJECT / "questionnaires" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert block, "README has no yaml example"
    q = load_questionnaire_text(block.group(1), "README.md")
    assert q.id == "example-app"
    assert q.question("auth.lockout_threshold").when.source == "'local' in auth.methods"
    assert q.question("access.countries").format == "country"


def test_x_keys_are_ignored() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          x-owner: detection team
        """)
    text = "x-note: mine\n" + text
    q = load_questionnaire_text(text, "q.yaml")
    assert q.has_question("a.second")


def test_to_dict_round_trips_through_the_loader() -> None:
    q = load_questionnaire(MINI)
    from workshop.core import yamlsource

    again = load_questionnaire_text(yamlsource.dump(q.to_dict()), "again.yaml")
    assert again == q
    assert Questionnaire.from_dict(q.to_dict()) == q


# --- every error kind, with its line ------------------------------------------------------


def test_yaml_syntax_error() -> None:
    text = doc("""\
        - id: a.second
          prompt: [unclosed
          type: text   # <-
        """)
    assert_at(only_problem(text), marked_line(text), "YAML syntax error")


def test_duplicate_yaml_key() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          prompt: Again   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), "duplicate key 'prompt' (first at line 12)")


def test_duplicate_question_id() -> None:
    text = doc("""\
        - id: a.first   # <-
          prompt: Again
          type: text
        """)
    assert_at(only_problem(text), marked_line(text), "duplicate question id 'a.first' (first at line 8)")


def test_duplicate_section_id() -> None:
    text = HEADER + textwrap.indent(
        textwrap.dedent("""\
          - id: s   # <-
            title: Again
            questions:
              - id: b.x
                prompt: X
                type: text
        """),
        "  ",
    )
    assert_at(only_problem(text), marked_line(text), "duplicate section id 's' (first at line 5)")


def test_unknown_type_with_did_you_mean() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: txt   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), "question 'a.second': unknown type 'txt' (did you mean 'text'?)")
    assert "known: text, long_text" in err.message


def test_choice_without_options() -> None:
    text = doc("""\
        - id: a.second   # <-
          prompt: Second
          type: single_choice
        """)
    assert_at(only_problem(text), marked_line(text), "a single_choice question needs 'options'")


@pytest.mark.parametrize("options", ["[]", "none", "{a: 1}"])
def test_choice_with_empty_or_malformed_options(options: str) -> None:
    text = doc(f"""\
        - id: a.second
          prompt: Second
          type: multi_choice
          options: {options}   # <-
        """)
    assert_at(only_problem(text), marked_line(text), "'options' must be a non-empty list")


def test_option_problems() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: single_choice
          options:
            - value: one
            - one   # <- dup
            - {label: No value}   # <- novalue
            - [nested]   # <- nested
            - value: two
              lable: Two   # <- key
        """)
    found = problems(text)
    assert [e.location.line for e in found] == [
        marked_line(text, "# <- dup"),
        marked_line(text, "# <- novalue"),
        marked_line(text, "# <- nested"),
        marked_line(text, "# <- key"),
    ]
    assert "duplicate option 'one'" in found[0].message
    assert "an option needs a 'value'" in found[1].message
    assert "an option must be text or a mapping" in found[2].message
    assert "unknown key 'lable' (did you mean 'label'?)" in found[3].message


def test_options_on_a_non_choice_type() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          options: [a, b]   # <-
        """)
    assert_at(
        only_problem(text), marked_line(text), "'options' only applies to single_choice and multi_choice"
    )


def test_list_without_columns() -> None:
    text = doc("""\
        - id: a.second   # <-
          prompt: Second
          type: list
        """)
    assert_at(only_problem(text), marked_line(text), "a list question needs 'columns'")


def test_columns_on_a_non_list_type() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: tags
          columns: [{id: x}]   # <-
        """)
    assert_at(only_problem(text), marked_line(text), "'columns' only applies to list questions")


def test_bad_column_type() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: list
          columns:
            - id: when
              type: date   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), "column 'when' has unknown type 'date'")
    assert "known: boolean, choice, integer, number, text" in err.message


def test_column_problems() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: list
          columns:
            - id: Name   # <- badid
            - id: x
            - id: x   # <- dup
            - id: y   # <- nooptions
              type: choice
            - id: z
              type: text
              options: [a]   # <- options
            - just text   # <- notmap
            - label: no id   # <- noid
        """)
    found = problems(text)
    got = [(e.location.line, e.message) for e in found]
    expected = [
        (marked_line(text, "# <- badid"), "column id 'Name' must be lower-case"),
        (marked_line(text, "# <- dup"), "duplicate column 'x'"),
        # no 'options' key to point at: the column itself
        (marked_line(text, "# <- nooptions"), "'options' must be a non-empty list"),
        (marked_line(text, "# <- options"), "'options' only applies to choice columns"),
        (marked_line(text, "# <- notmap"), "a column must be a mapping"),
        (marked_line(text, "# <- noid"), "'id' is required"),
    ]
    assert len(got) == len(expected), got
    for (line, msg), (want_line, want) in zip(got, expected, strict=True):
        assert want in msg
        assert line == want_line, (line, msg)


def test_bad_condition_syntax() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          when: "a.first =="   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), "bad condition 'a.first ==': expected a value or answer id")
    assert "at column 11" in err.message


def test_condition_with_unknown_function() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          when: "__import__('os')"   # <-
        """)
    assert_at(only_problem(text), marked_line(text), "unknown function '__import__'")


def test_condition_naming_an_unknown_question() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          when: "a.frist == 'x'"   # <-
        """)
    assert_at(
        only_problem(text),
        marked_line(text),
        "condition uses 'a.frist', which is not a question in this file (did you mean 'a.first'?)",
    )


def test_condition_naming_a_later_question() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          when: "answered(a.third)"   # <- when
        - id: a.third   # <- third
          prompt: Third
          type: text
        """)
    third = marked_line(text, "# <- third")
    assert_at(
        only_problem(text),
        marked_line(text, "# <- when"),
        f"condition uses 'a.third', which comes later (line {third}); a condition may only use answers to earlier",
    )


def test_section_condition_may_not_use_its_own_questions() -> None:
    text = HEADER + textwrap.indent(
        textwrap.dedent("""\
          - id: s2
            title: S2
            when: "answered(b.x)"   # <-
            questions:
              - id: b.x
                prompt: X
                type: text
        """),
        "  ",
    )
    assert_at(only_problem(text), marked_line(text), "section 's2': condition uses 'b.x', which comes later")


def test_section_condition_on_an_earlier_section_is_fine() -> None:
    text = HEADER + textwrap.indent(
        textwrap.dedent("""\
          - id: s2
            title: S2
            when: "answered(a.first)"
            questions:
              - id: b.x
                prompt: X
                type: text
        """),
        "  ",
    )
    q = load_questionnaire_text(text, "q.yaml")
    assert q.section("s2").when.names == frozenset({"a.first"})


def test_condition_self_reference() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: integer
          when: "a.second > 1"   # <-
        """)
    assert_at(only_problem(text), marked_line(text), "condition refers to the question itself ('a.second')")


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("promt", "prompt"), ("requred", "required"), ("optins", "options"), ("exmaple", "example")],
)
def test_unknown_question_key_with_did_you_mean(key: str, suggestion: str) -> None:
    text = doc(f"""\
        - id: a.second
          prompt: Second
          type: text
          {key}: x   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), f"unknown key '{key}' (did you mean '{suggestion}'?)")


def test_unknown_key_without_a_close_match_has_no_hint() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          colour: red   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), "unknown key 'colour'")
    assert "did you mean" not in err.message


def test_unknown_top_level_and_section_keys() -> None:
    text = "titel: X   # <- top\n" + HEADER.replace(
        "    title: S\n", "    title: S\n    intor: hi   # <- sec\n"
    )
    found = problems(text)
    assert [(e.location.line, e.message) for e in found] == [
        (1, "questionnaire: unknown key 'titel' (did you mean 'title'?)"),
        (marked_line(text, "# <- sec"), "section: unknown key 'intor' (did you mean 'intro'?)"),
    ]


def test_missing_required_keys() -> None:
    text = doc("""\
        - id: a.second   # <-
        """)
    found = problems(text)
    line = marked_line(text)
    assert [(e.location.line, e.message) for e in found] == [
        (line, "question 'a.second': 'prompt' is required"),
        (line, "question 'a.second': 'type' is required"),
    ]


def test_missing_top_level_keys() -> None:
    text = "id: t\nsections:\n  - id: s\n    questions:\n      - id: a.x\n        prompt: X\n        type: text\n"
    found = problems(text)
    assert [(e.location.line, e.message) for e in found] == [
        (1, "questionnaire: 'title' is required"),
        (1, "questionnaire: 'version' is required"),
        (3, "section 's': 'title' is required"),
    ]


def test_missing_sections_and_questions() -> None:
    assert_at(only_problem("id: t\ntitle: T\nversion: '1'\n"), 1, "'sections' must be a non-empty list")
    text = "id: t\ntitle: T\nversion: '1'\nsections:\n  - id: s\n    title: S\n    questions: []\n"
    found = problems(text)
    assert [(e.location.line, e.message) for e in found] == [
        (1, "questionnaire has no questions"),
        (7, "section 's': 'questions' must be a non-empty list"),
    ]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    assert_at(only_problem(text), 1, "a questionnaire must be a mapping")


@pytest.mark.parametrize(
    ("bad_id", "fragment"),
    [
        ("Auth.Methods", "id must be dotted lower-case words"),
        ("auth-methods", "id must be dotted lower-case words"),
        ("auth..methods", "id must be dotted lower-case words"),
        ("1auth", "id must be dotted lower-case words"),
        ("auth.", "id must be dotted lower-case words"),
    ],
)
def test_bad_question_id_format(bad_id: str, fragment: str) -> None:
    text = doc(f"""\
        - id: "{bad_id}"   # <-
          prompt: Second
          type: text
        """)
    assert_at(only_problem(text), marked_line(text), fragment)


def test_bad_section_and_questionnaire_id_format() -> None:
    text = HEADER.replace("id: t\n", "id: Not A Slug   # <- q\n").replace(
        "  - id: s\n", "  - id: Sec-1   # <- s\n"
    )
    found = problems(text)
    assert [(e.location.line, e.message) for e in found] == [
        (1, "questionnaire id 'Not A Slug' must be lower-case letters, digits, '-' or '_'"),
        (marked_line(text, "# <- s"), "section 'Sec-1': id must be lower-case letters, digits and '_'"),
    ]


def test_min_greater_than_max() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: integer
          min: 10   # <-
          max: 1
        """)
    assert_at(only_problem(text), marked_line(text), "min is greater than max")


@pytest.mark.parametrize(
    ("qtype", "bound", "fragment"),
    [
        ("text", "min: 1", "'min' only applies to integer, number and scale"),
        ("integer", "max: lots", "'max' must be a number"),
        ("scale", "max: true", "'max' must be a number"),
    ],
)
def test_bad_bounds(qtype: str, bound: str, fragment: str) -> None:
    text = doc(f"""\
        - id: a.second
          prompt: Second
          type: {qtype}
          {bound}   # <-
        """)
    assert_at(only_problem(text), marked_line(text), fragment)


@pytest.mark.parametrize(
    ("qtype", "fmt"),
    [("tags", "phone"), ("integer", "country"), ("long_text", "email")],
)
def test_bad_format_value(qtype: str, fmt: str) -> None:
    text = doc(f"""\
        - id: a.second
          prompt: Second
          type: {qtype}
          format: {fmt}   # <-
        """)
    err = only_problem(text)
    assert_at(err, marked_line(text), f"format '{fmt}' is not allowed here")
    assert "cidr, country, email, hostname, ip" in err.message


def test_required_must_be_a_boolean_and_probes_a_list() -> None:
    text = doc("""\
        - id: a.second
          prompt: Second
          type: text
          required: sometimes   # <- req
          probes: {a: b}   # <- probes
        """)
    found = problems(text)
    assert [(e.location.line, e.message) for e in found] == [
        (marked_line(text, "# <- req"), "question 'a.second': 'required' must be true or false"),
        (
            marked_line(text, "# <- probes"),
            "question 'a.second': 'probes' must be a list of follow-up prompts",
        ),
    ]


def test_text_keys_must_be_text() -> None:
    text = doc("""\
        - id: a.second
          prompt: [a, list]   # <-
          type: text
        """)
    assert_at(only_problem(text), marked_line(text), "'prompt' must be text")


# --- file-level problems -------------------------------------------------------------


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(_bomb())
    with pytest.raises(YamlSyntaxError) as err:
        load_questionnaire(f)
    assert err.value.location.file == str(f)
    assert err.value.location.line == 1
    assert "expands to too many values" in err.value.message


def test_non_utf8_file(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes((HEADER + "        help: caf\xe9\n").encode("latin-1"))
    with pytest.raises(YamlSyntaxError) as err:
        load_questionnaire(f)
    assert str(err.value).startswith(f"{f}:11: not UTF-8 text")


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "binary.yaml"
    f.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    with pytest.raises(YamlSyntaxError) as err:
        load_questionnaire(f)
    assert str(err.value) == f"{f}:1: file is binary (contains NUL bytes), not YAML text"


# --- all problems in one run ----------------------------------------------------------------

EVERYTHING_WRONG = """\
id: Bad Id   # <- qid
title: Bad
version: "1"
colour: red   # <- topkey
sections:
  - id: s1
    title: S1
    questions:
      - id: a.one
        prompt: One
        type: txt   # <- type
      - id: a.one   # <- dupq
        prompt: Dup
        type: text
      - id: a.choice   # <- noopts
        prompt: C
        type: single_choice
      - id: a.int
        prompt: I
        type: integer
        options: [x]   # <- opts
        min: 5   # <- minmax
        max: 1
      - id: a.list   # <- nocols
        prompt: L
        type: list
      - id: a.list2
        prompt: L2
        type: list
        columns:
          - id: c
            type: date   # <- coltype
      - id: a.cond
        prompt: Cond
        type: text
        when: "a.one =="   # <- syntax
      - id: a.cond2
        prompt: Cond2
        type: text
        when: "a.nope == 1"   # <- unknownq
      - id: a.cond3
        prompt: Cond3
        type: text
        when: "a.later == 1"   # <- laterq
      - id: a.self
        prompt: Self
        type: text
        when: "answered(a.self)"   # <- selfref
      - id: a.later   # <- laterid
        prompt: Later
        type: text
        promt: x   # <- qkey
      - id: A-B   # <- badqid
        prompt: bad
        type: text
      - id: a.fmt
        prompt: F
        type: tags
        format: phone   # <- fmt
      - id: a.missing   # <- missing
  - id: s1   # <- dupsec
    title: Again
    questions:
      - id: b.x
        prompt: X
        type: text
"""

EXPECTED = [
    ("qid", "questionnaire id 'Bad Id' must be lower-case"),
    ("topkey", "questionnaire: unknown key 'colour'"),
    ("type", "unknown type 'txt' (did you mean 'text'?)"),
    ("dupq", "duplicate question id 'a.one' (first at line 9)"),
    ("noopts", "a single_choice question needs 'options'"),
    ("opts", "'options' only applies to single_choice and multi_choice"),
    ("minmax", "min is greater than max"),
    ("nocols", "a list question needs 'columns'"),
    ("coltype", "column 'c' has unknown type 'date'"),
    ("syntax", "bad condition 'a.one =='"),
    ("unknownq", "condition uses 'a.nope', which is not a question in this file"),
    ("laterq", "condition uses 'a.later', which comes later (line 49)"),
    ("selfref", "condition refers to the question itself ('a.self')"),
    ("qkey", "unknown key 'promt' (did you mean 'prompt'?)"),
    ("badqid", "question 'A-B': id must be dotted lower-case words"),
    ("fmt", "format 'phone' is not allowed here"),
    ("missing", "question 'a.missing': 'prompt' is required"),
    ("missing", "question 'a.missing': 'type' is required"),
    ("dupsec", "duplicate section id 's1' (first at line 6)"),
]


def test_all_problems_are_collected_in_one_run() -> None:
    found = problems(EVERYTHING_WRONG, "bad.yaml")
    got = [(e.location.line, e.message) for e in found]
    assert len(got) == len(EXPECTED), "\n".join(map(str, found))
    for (line, message), (marker, fragment) in zip(got, EXPECTED, strict=True):
        assert line == marked_line(EVERYTHING_WRONG, f"# <- {marker}"), (marker, line, message)
        assert fragment in message, (marker, message)
    assert all(e.location.file == "bad.yaml" for e in found)
    assert marked_line(EVERYTHING_WRONG, "# <- laterid") == 49


def test_validation_errors_message_lists_every_problem() -> None:
    with pytest.raises(ValidationErrors) as err:
        load_questionnaire_text(EVERYTHING_WRONG, "bad.yaml")
    lines = str(err.value).splitlines()
    assert len(lines) == len(EXPECTED) == len(err.value)
    assert all(re.match(r"^bad\.yaml:\d+: ", line) for line in lines)
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers)


# --- the command: workshop questionnaire validate -----------------------------------------------


def test_validate_command_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questionnaire", "validate", str(MINI)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "ok (test-mini 1, 3 sections, 13 questions)" in err


def test_validate_command_prints_every_problem_of_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EVERYTHING_WRONG)
    dup = tmp_path / "dup.yaml"
    dup.write_text("id: x\ntitle: y\nid: z\n")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"id: x\n\x00")
    missing = tmp_path / "missing.yaml"
    code = main(["questionnaire", "validate", str(bad), str(MINI), str(dup), str(binary), str(missing)])
    assert code == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(EXPECTED) + 3
    for line in lines:
        assert re.match(r"^.+\.yaml:\d+: \S", line) or line.startswith(f"{missing}: "), line
    assert f"{dup}:3: duplicate key 'id' (first at line 1)" in lines
    assert f"{binary}:2: file is binary (contains NUL bytes), not YAML text" in lines
    assert any(line.startswith(f"{missing}: cannot read file") for line in lines)
    assert f"{bad}:11: question 'a.one': unknown type 'txt'" in out
    assert "test-mini" in err  # the good file is reported ok


def test_validate_command_exit_zero_for_many_valid_files(tmp_path: Path) -> None:
    second = tmp_path / "second.yaml"
    second.write_text(doc())
    assert main(["questionnaire", "validate", str(MINI), str(second)]) == 0


def test_shipped_questionnaires_are_valid() -> None:
    files = sorted((PROJECT / "questionnaires").glob("*.yaml"))
    if not files:
        pytest.skip("no questionnaires shipped yet")
    ids = set()
    for f in files:
        q = load_questionnaire(f)
        assert q.id not in ids
        ids.add(q.id)
        assert q.questions


# --- discovery --------------------------------------------------------------------------


def test_discover_keeps_good_files_and_reports_bad_ones(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINI.read_text(encoding="utf-8"))
    (tmp_path / "b.yaml").write_text(EVERYTHING_WRONG)
    (tmp_path / "c.yaml").write_text("id: [\n")
    (tmp_path / "d.yaml").write_text(MINI.read_text(encoding="utf-8"))  # same id again
    (tmp_path / "notes.txt").write_text("not a questionnaire")
    cat = discover([tmp_path, tmp_path / "missing"])
    assert list(cat.questionnaires) == ["test-mini"]
    assert set(cat.errors) == {str(tmp_path / n) for n in ("b.yaml", "c.yaml", "d.yaml")}
    assert len(cat.errors[str(tmp_path / "b.yaml")]) == len(EXPECTED)
    assert "already used by" in str(cat.errors[str(tmp_path / "d.yaml")][0])
    assert cat.get("test-mini").id == "test-mini"
    with pytest.raises(LoadError, match=r"no questionnaire with id 'nope' \(available: test-mini\)"):
        cat.get("nope")
