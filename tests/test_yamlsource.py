"""Safe YAML loading with line numbers, and the things it refuses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workshop.core import yamlsource
from workshop.core.errors import YamlSyntaxError
from workshop.core.yamlsource import YList, YMap, line_of


def test_mappings_and_lists_remember_their_lines() -> None:
    text = "a: 1\nb:\n  - x\n  - y: 2\n    z: 3\nc: {d: 4}\n"
    data = yamlsource.load(text, "f.yaml")
    assert isinstance(data, YMap)
    assert data == {"a": 1, "b": ["x", {"y": 2, "z": 3}], "c": {"d": 4}}
    assert data.line == 1
    assert data.line_of("a") == 1
    assert data.line_of("b") == 2
    assert data.line_of("c") == 6
    assert data.line_of("missing") == 1  # falls back to the mapping's own line
    lst = data["b"]
    assert isinstance(lst, YList)
    assert lst.line == 3
    assert lst.item_lines == [3, 4]
    assert lst.line_of(1) == 4
    assert lst.line_of(99) == 3
    assert data["b"][1].line_of("z") == 5
    assert line_of(data, "c") == 6
    assert line_of(data["c"]) == 6
    assert line_of("plain") is None


def test_scalars_are_typed_like_safe_load() -> None:
    data = yamlsource.load("i: 3\nf: 1.5\nb: yes\nn: ~\nd: 2026-03-31\ns: '08:00'\nt: 8:00\n")
    assert data == {"i": 3, "f": 1.5, "b": True, "n": None, "d": dt.date(2026, 3, 31), "s": "08:00", "t": 480}


def test_empty_document_is_none() -> None:
    assert yamlsource.load("", "f.yaml") is None
    assert yamlsource.load("# only a comment\n", "f.yaml") is None


def _err(text: str, filename: str = "f.yaml") -> YamlSyntaxError:
    with pytest.raises(YamlSyntaxError) as err:
        yamlsource.load(text, filename)
    return err.value


def test_syntax_error_has_file_and_line() -> None:
    e = _err("id: x\ntitle: [unclosed\nversion: 1\n")
    assert e.location.file == "f.yaml"
    assert e.location.line == 3
    assert str(e).startswith("f.yaml:3: YAML syntax error")


def test_bad_indentation_reports_its_line() -> None:
    e = _err("a:\n  b: 1\n c: 2\n")
    assert e.location.line == 3


def test_tab_indentation_reports_its_line() -> None:
    e = _err("a:\n\tb: 1\n")
    assert e.location.line == 2


def test_duplicate_key_names_both_lines() -> None:
    e = _err("id: x\ntitle: y\nsections:\n  - id: a\n    id: b\n")
    assert e.location.line == 5
    assert "duplicate key 'id' (first at line 4)" in e.message


def test_duplicate_top_level_key() -> None:
    e = _err("id: x\ntitle: y\nid: z\n")
    assert str(e) == "f.yaml:3: duplicate key 'id' (first at line 1)"


def test_non_scalar_keys_are_refused() -> None:
    e = _err("? [a, b]\n: 1\n")
    assert "mapping key must be a plain value" in e.message
    assert e.location.line == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: !!python/object/apply:os.system ['echo pwned']\n", "is not allowed"),
        ("a: !!python/tuple [1, 2]\n", "is not allowed"),
        ("a: !!python/object:os.system {x: 1}\n", "is not allowed"),
        ("a: !custom {x: 1}\n", "is not allowed"),
        ("a: !!python/object:os.system x\n", "could not determine a constructor"),
        ("a: !!python/name:os.system\n", "could not determine a constructor"),
        ("a: !custom 1\n", "could not determine a constructor"),
    ],
)
def test_python_and_unknown_tags_are_refused(text: str, fragment: str) -> None:
    e = _err(text)
    assert e.location.line == 1
    assert fragment in e.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("b: 1\na: 2026-02-30\n", "cannot read '2026-02-30' as timestamp"),
        ("b: 1\na: !!int x\n", "cannot read 'x' as int"),
        ("b: 1\na: !!float x\n", "cannot read 'x' as float"),
        ("b: 1\na: !!bool maybe\n", "cannot read 'maybe' as bool"),
    ],
)
def test_scalars_that_cannot_be_built_are_errors_with_a_line(text: str, fragment: str) -> None:
    e = _err(text)
    assert e.location.line == 2
    assert fragment in e.message


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghijklmnop"[:levels]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_after_a_bounded_amount_of_work(monkeypatch) -> None:
    """Expansion stops at the node budget: about 200,000 values built, not 9**10."""
    spent = 0
    spend = yamlsource._Builder._spend

    def counting(self, node) -> None:
        nonlocal spent
        spent += 1
        spend(self, node)

    monkeypatch.setattr(yamlsource._Builder, "_spend", counting)
    e = _err(_billion_laughs())
    assert spent == yamlsource.MAX_NODES + 1
    assert "too many values" in e.message
    assert "refusing to load it" in e.message
    assert e.location.file == "f.yaml"
    assert e.location.line is not None


def test_small_alias_use_is_fine() -> None:
    data = yamlsource.load("base: &b {x: 1}\nother: *b\n")
    assert data["other"] == {"x": 1}


def test_node_budget_is_configurable() -> None:
    with pytest.raises(YamlSyntaxError, match="too many values"):
        yamlsource.load("[1, 2, 3, 4, 5]", "f.yaml", max_nodes=3)
    assert yamlsource.load("[1, 2]", "f.yaml", max_nodes=3) == [1, 2]


@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: *x}\n", "a: 1\nb:\n  - &y [1, *y]\n"])
def test_self_referencing_alias_is_refused(text: str) -> None:
    e = _err(text)
    assert "refusing to load it" in e.message
    assert e.location.file == "f.yaml"


@pytest.mark.parametrize("depth", [150, 700])
def test_very_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    e = _err("a: " + "[" * depth + "]" * depth + "\n")
    assert "nested" in e.message
    assert e.location.file == "f.yaml"


def test_ordinary_nesting_is_fine() -> None:
    assert yamlsource.load("a: " + "[" * 50 + "1" + "]" * 50) is not None


def test_multiple_documents_are_refused_with_a_line() -> None:
    e = _err("a: 1\n---\nb: 2\n")
    assert e.location.line == 2


# --- reading files ------------------------------------------------------------------


def test_read_text_strips_a_bom(tmp_path: Path) -> None:
    f = tmp_path / "bom.yaml"
    f.write_bytes("\ufeffa: café\n".encode())
    assert yamlsource.load_file(f) == {"a": "café"}


def test_non_utf8_file_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("id: x\ntitle: ok\ndescription: caf\xe9\n".encode("latin-1"))
    with pytest.raises(YamlSyntaxError) as err:
        yamlsource.load_file(f)
    assert err.value.location == err.value.location.__class__(str(f), 3)
    assert "not UTF-8" in err.value.message
    assert "0xe9" in err.value.message


def test_binary_file_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "image.yaml"
    f.write_bytes(b"id: x\ntitle: y\n\x89PNG\x00\x00\x01")
    with pytest.raises(YamlSyntaxError) as err:
        yamlsource.load_file(f)
    assert str(err.value) == f"{f}:3: file is binary (contains NUL bytes), not YAML text"


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "nope.yaml"
    with pytest.raises(YamlSyntaxError) as err:
        yamlsource.load_file(f)
    assert str(err.value).startswith(f"{f}: cannot read file")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(YamlSyntaxError, match="over the limit of 100 bytes"):
        yamlsource.read_text(f, max_bytes=100)


# --- dumping ---------------------------------------------------------------------------

ADVERSARIAL = [
    "plain",
    "quotes \"double\" and 'single'",
    "key: value",
    "ends with colon:",
    "# not a comment",
    "- not a list item",
    "{a: 1}",
    "[1, 2]",
    "!!python/object:os.system",
    "&anchor *alias",
    "yes",
    "no",
    "null",
    "~",
    "08:00",
    "8:00",
    "1e3",
    "0x1F",
    "2026-03-31",
    "  leading and trailing spaces  ",
    "line one\nline two\n\nline four",
    "trailing newline\n",
    "tab\tinside",
    "日本語のテキスト",
    "Ελληνικά και العربية",
    "emoji 🎉🔥",
    "%directive",
    "@at",
    "`backtick`",
    "",
    "---",
    "...",
    "a\\b",
    "\u2028line separator",
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_dump_then_load_round_trips_text(text: str) -> None:
    doc = {"answers": {"q.text": {"value": text}}, "list": [text]}
    again = yamlsource.load(yamlsource.dump(doc), "dump.yaml")
    assert again == doc


def test_dump_keeps_key_order_and_unicode() -> None:
    out = yamlsource.dump({"z": 1, "a": ("x", "y"), "m": "café"})
    assert out.index("z:") < out.index("a:") < out.index("m:")
    assert "café" in out
    assert yamlsource.load(out) == {"z": 1, "a": ["x", "y"], "m": "café"}
