"""The libyaml fast path of ``core.yamlsource``: same values and lines as PyYAML, never a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workshop.core import yamlsource

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(
    str(p.relative_to(ROOT))
    for folder in ("questionnaires", "usecases", "attack_data/builtin", "tests/data")
    for p in (ROOT / folder).rglob("*.yaml")
)


def _lines(obj: object) -> list[object]:
    if isinstance(obj, yamlsource.YMap):
        return [obj.line, sorted(obj.key_lines.items(), key=str), *(_lines(v) for v in obj.values())]
    if isinstance(obj, yamlsource.YList):
        return [obj.line, obj.item_lines, *(_lines(v) for v in obj)]
    return []


@pytest.mark.parametrize("path", SHIPPED)
def test_fast_and_pure_python_parsers_build_the_same_values_and_lines(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    fast = yamlsource.load(text, path)
    pure = yamlsource._Builder(path, yamlsource.MAX_NODES).build(yaml.compose(text, Loader=yaml.SafeLoader))
    assert fast == pure
    assert _lines(fast) == _lines(pure)


def test_shipped_files_were_found() -> None:
    assert any(p.startswith("attack_data/builtin/") for p in SHIPPED)
    assert any(p.startswith("questionnaires/") for p in SHIPPED)


def test_nesting_deeper_than_the_c_stack_is_refused_not_a_crash() -> None:
    # libyaml's own composer would recurse in C until the process dies; ours must not.
    code = (
        "from workshop.core import yamlsource\n"
        "from workshop.core.errors import YamlSyntaxError\n"
        "try:\n"
        "    yamlsource.load('a: ' + '[' * 200_000 + ']' * 200_000)\n"
        "except YamlSyntaxError as exc:\n"
        "    print(exc.message)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "nested too deeply" in out.stdout


@pytest.mark.parametrize(
    ("text", "line"),
    [("a:\n\tb: 1\n", 2), ("a: [1, 2\nb: 3\n", 2), ("a: 1\n b: 2\n", 2), ("a: 'x\n", 2)],
)
def test_syntax_errors_keep_pyyaml_words_and_lines(text: str, line: int) -> None:
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.compose(text, Loader=yaml.SafeLoader)
    with pytest.raises(yamlsource.YamlSyntaxError) as ours:
        yamlsource.load(text, "f.yaml")
    assert ours.value.location.line == line
    assert str(pure.value.problem) in ours.value.message
