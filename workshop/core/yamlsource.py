"""Safe YAML loading that remembers where every value came from.

PyYAML's safe loader forgets line numbers once it has built Python objects, and an
author fixing a questionnaire needs ``file:line`` for every problem. So we let
``yaml.compose`` (with ``SafeLoader``: no Python tags, no code) build the node tree
and construct the objects ourselves, keeping the lines in :class:`YMap` and
:class:`YList`. Walking the tree ourselves also lets us refuse what the stock loader
accepts silently: duplicate keys, and alias bombs that expand to millions of nodes.

Speed: where PyYAML has libyaml, libyaml's C parser reads the events and PyYAML's own
composer (Python) builds the nodes: ten times faster than the pure-Python parser
(the built-in ATT&CK catalogue is read on every ``workshop attack info``), with the
same node tree and lines. Not libyaml's C composer: it recurses in C without a limit,
so a deeply nested document would crash the process instead of raising
RecursionError. A document that libyaml refuses is parsed again by the pure-Python
parser, so syntax errors keep their words and lines. The two parsers differ at the
edges: libyaml also accepts tabs as separators (PyYAML refuses them, and authors rely
on that error), so a text with a tab goes to PyYAML directly; and libyaml accepts a few
odd flow scalars PyYAML refuses (``[a?b]``), read as YAML 1.1 reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workshop.core.errors import Location, YamlSyntaxError

#: A document that expands to more nodes than this is refused (billion-laughs guard).
MAX_NODES = 200_000
#: Files larger than this are refused before parsing.
MAX_BYTES = 10 * 1024 * 1024
#: Deeper nesting than this is refused (and stops an alias that contains itself).
MAX_DEPTH = 100


class YMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int | None = None
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int | None = None
    item_lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []

    def line_of(self, index: int) -> int | None:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


def line_of(obj: Any, key: Any = None) -> int | None:
    """The line of ``obj`` (or of ``obj[key]``) where it is known."""
    line: int | None = (
        obj.line_of(key) if key is not None and hasattr(obj, "line_of") else getattr(obj, "line", None)
    )
    return line


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a text file a person gave us, with errors that name the file."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise YamlSyntaxError(f"cannot read file: {exc.strerror or exc}", Location(str(path))) from exc
    if size > max_bytes:
        raise YamlSyntaxError(
            f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes", Location(str(path))
        )
    data = p.read_bytes()
    return decode_text(data, str(path))


def decode_text(data: bytes, filename: str | None = None) -> str:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise YamlSyntaxError("file is binary (contains NUL bytes), not YAML text", Location(filename, line))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlSyntaxError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
            Location(filename, line),
        ) from exc


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    _LIBYAML = False
else:
    _LIBYAML = True

    class _FastComposer(yaml.composer.Composer, yaml.resolver.Resolver, CParser):
        """libyaml's parser for the events; PyYAML's composer and resolver for the nodes."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def _compose(text: str) -> yaml.Node | None:
    if _LIBYAML and "\t" not in text:
        loader = _FastComposer(text)
        try:
            return loader.get_single_node()
        except yaml.YAMLError:
            pass  # refused: let the pure-Python parser say why, in its words
        finally:
            loader.dispose()
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load(text: str, filename: str | None = None, max_nodes: int = MAX_NODES) -> Any:
    """Parse one YAML document into plain Python values with line information.

    Raises :class:`YamlSyntaxError` with the file and line for syntax errors,
    duplicate keys and documents that expand past ``max_nodes``.
    """
    try:
        node = _compose(text)
    except RecursionError:
        raise YamlSyntaxError(
            "document is nested too deeply; refusing to load it", Location(filename)
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise YamlSyntaxError(f"YAML syntax error: {what}", Location(filename, line)) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", Location(filename)) from exc
    if node is None:
        return None
    return _Builder(filename, max_nodes).build(node)


def load_file(path: str | Path, max_nodes: int = MAX_NODES) -> Any:
    return load(read_text(path), str(path), max_nodes)


_PLAIN_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


class _Builder:
    def __init__(self, filename: str | None, max_nodes: int) -> None:
        self.filename = filename
        self.budget = max_nodes
        self.depth = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def _spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise YamlSyntaxError(
                "document expands to too many values (nested aliases?); refusing to load it",
                Location(self.filename, node.start_mark.line + 1),
            )

    def build(self, node: yaml.Node) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise YamlSyntaxError(
                    f"document is nested more than {MAX_DEPTH} levels deep (an alias inside itself?); "
                    "refusing to load it",
                    Location(self.filename, node.start_mark.line + 1),
                )
            return self._build(node)
        finally:
            self.depth -= 1

    def _build(self, node: yaml.Node) -> Any:
        self._spend(node)
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            # the safe constructor would refuse these too (e.g. !!python/object/apply [...])
            raise YamlSyntaxError(
                f"YAML error: tag '{node.tag}' is not allowed", Location(self.filename, line)
            )
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.scalars.construct_object(node)
            except yaml.constructor.ConstructorError as exc:
                raise YamlSyntaxError(f"YAML error: {exc.problem}", Location(self.filename, line)) from exc
            except (ValueError, TypeError, KeyError, OverflowError) as exc:
                # e.g. a date that does not exist (2026-02-30) or '!!int x'
                raise YamlSyntaxError(
                    f"YAML error: cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}",
                    Location(self.filename, line),
                ) from exc
        if isinstance(node, yaml.SequenceNode):
            seq = YList()
            seq.line = line
            for item in node.value:
                seq.append(self.build(item))
                seq.item_lines.append(item.start_mark.line + 1)
            return seq
        if isinstance(node, yaml.MappingNode):
            mapping = YMap()
            mapping.line = line
            for key_node, value_node in node.value:
                key = self.build(key_node)
                key_line = key_node.start_mark.line + 1
                if isinstance(key, (list, dict)):
                    raise YamlSyntaxError(
                        "a mapping key must be a plain value", Location(self.filename, key_line)
                    )
                if key in mapping:
                    raise YamlSyntaxError(
                        f"duplicate key '{key}' (first at line {mapping.key_lines[key]})",
                        Location(self.filename, key_line),
                    )
                mapping[key] = self.build(value_node)
                mapping.key_lines[key] = key_line
            return mapping
        raise YamlSyntaxError(
            f"unsupported YAML node {node.tag}", Location(self.filename, line)
        )  # pragma: no cover


class _Dumper(yaml.SafeDumper):
    """SafeDumper that double-quotes strings YAML would otherwise change on reading.

    YAML folds NEL (U+0085), LINE and PARAGRAPH SEPARATOR (U+2028/9) and bare carriage
    returns into line breaks, and a BOM or other format character can vanish; in double
    quotes they are written as escapes and read back exactly.
    """


_FRAGILE = frozenset("\x85\u2028\u2029\r\ufeff")


def fragile(data: str) -> bool:
    """True when YAML would change this text on reading unless it is double-quoted."""
    return any(ch in _FRAGILE or (ord(ch) < 32 and ch not in "\n\t") for ch in data)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if fragile(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """Serialise plain data to YAML: block style, key order kept, Unicode as is."""
    return yaml.dump(
        _plain(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
