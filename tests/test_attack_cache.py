"""The index cache: keyed by content hash, written atomically, rebuilt when unusable."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.attack_bundle import handmade_bundle
from workshop.attack import cache as cache_module
from workshop.attack import load as load_module
from workshop.attack.cache import HASHES_FILE, cache_path
from workshop.attack.index import PAYLOAD_FORMAT


def load_index(*args, **kwargs):
    """Load, then wait for the background cache write, so the files can be inspected."""
    index = load_module.load_index(*args, **kwargs)
    cache_module.wait_for_writes()
    return index


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "enterprise-attack-99.1.json"
    path.write_text(handmade_bundle(collection=False))
    return path


def _only_cache_file(folder: Path) -> Path:
    files = list(folder.glob("attack-index-*.json"))
    assert len(files) == 1, files
    return files[0]


def test_miss_then_hit(bundle: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_index(bundle, cache)
    assert first.cache_status == "miss"
    written = _only_cache_file(cache)
    assert written == cache_path(cache, first.meta.sha256)
    assert f"-v{PAYLOAD_FORMAT}-" in written.name
    payload = json.loads(written.read_text())  # plain JSON, nothing executable
    assert payload["meta"]["sha256"] == first.meta.sha256
    second = load_index(bundle, cache)
    assert second.cache_status == "hit"
    assert second.info() == first.info()
    assert second.detail("T9001") == first.detail("T9001")
    assert [h.to_dict() for h in second.search("hammering")] == [
        h.to_dict() for h in first.search("hammering")
    ]


def test_changed_content_misses_even_under_the_same_name(bundle: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_index(bundle, cache)
    bundle.write_text(bundle.read_text().replace("Login Hammering", "Login Pounding"))
    changed = load_index(bundle, cache)
    assert changed.cache_status == "miss"
    assert changed.technique("T9001").name == "Login Pounding"
    assert len(list(cache.glob("attack-index-*.json"))) == 2


def test_unchanged_file_is_not_read_or_hashed_again(bundle: Path, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    load_index(bundle, cache)
    remembered = json.loads((cache / HASHES_FILE).read_text())
    assert next(iter(remembered.values()))[-1] == load_index(bundle, cache).meta.sha256

    def no_reading(path):
        raise AssertionError("read an unchanged bundle")

    monkeypatch.setattr(load_module, "read_bytes", no_reading)
    assert load_index(bundle, cache).cache_status == "hit"
    bundle.write_text(bundle.read_text())  # same bytes, but rewritten: read and hashed again
    with pytest.raises(AssertionError, match="read an unchanged bundle"):
        load_index(bundle, cache)


def test_search_postings_are_built_on_first_search_and_cached(bundle: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_index(bundle, cache)
    assert not list(cache.glob("attack-search-*.json"))  # loading alone does not build them
    assert first.search("hammering")[0].id == "T9001"
    assert first.postings_cache.status == "built"
    cache_module.wait_for_writes()
    assert len(list(cache.glob("attack-search-*.json"))) == 1
    again = load_index(bundle, cache)
    assert [h.to_dict() for h in again.search("hammering")] == [
        h.to_dict() for h in first.search("hammering")
    ]
    assert again.postings_cache.status == "hit"
    next(cache.glob("attack-search-*.json")).write_text("{broken")
    third = load_index(bundle, cache)
    assert third.search("hammering")[0].id == "T9001"
    assert third.postings_cache.status == "built"


def test_a_broken_hash_memo_only_costs_a_rehash(bundle: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_index(bundle, cache)
    (cache / HASHES_FILE).write_text("{broken")
    assert load_index(bundle, cache).cache_status == "hit"
    assert json.loads((cache / HASHES_FILE).read_text())  # rewritten


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 3],  # truncated
        lambda text: "not json at all",
        lambda text: json.dumps({"format": PAYLOAD_FORMAT, "meta": {"sha256": "0" * 64}}),  # someone else's
        lambda text: text.replace(f'"format":{PAYLOAD_FORMAT}', '"format":0'),  # an older layout
        lambda text: text.replace('"techniques":[[', '"techniques":[[1,', 1),  # rows of the wrong shape
    ],
    ids=["truncated", "garbage", "other-hash", "old-format", "bad-rows"],
)
def test_corrupt_cache_is_ignored_and_rebuilt(bundle: Path, tmp_path: Path, damage) -> None:
    cache = tmp_path / "cache"
    good = load_index(bundle, cache)
    path = _only_cache_file(cache)
    path.write_text(damage(path.read_text()))
    rebuilt = load_index(bundle, cache)
    assert rebuilt.cache_status == "rebuilt"
    assert rebuilt.info() == good.info()
    assert load_index(bundle, cache).cache_status == "hit"  # the file was rewritten


def test_cache_can_be_turned_off(bundle: Path, tmp_path: Path) -> None:
    index = load_index(bundle, tmp_path / "cache", use_cache=False)
    assert index.cache_status == "off"
    assert not (tmp_path / "cache").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unwritable_cache_folder_is_not_an_error(bundle: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        index = load_index(bundle, cache)
        assert index.cache_status == "miss" and index.technique("T9001")
    finally:
        cache.chmod(0o700)


def test_cache_folder_that_is_a_file_is_not_an_error(bundle: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("I am a file")
    index = load_index(bundle, blocker)
    assert index.technique("T9001") is not None
    assert load_index(bundle, blocker).cache_status == "miss"


@pytest.mark.slow
def test_enterprise_cache_is_compact_and_warm_start_skips_the_bundle(
    shared_dir: Path, tmp_path_factory, monkeypatch
) -> None:
    cache = tmp_path_factory.getbasetemp() / "attack-cache"
    path = shared_dir / "attack" / "enterprise-attack-18.1.json"
    load_index(path, cache)

    def untouched(*_args, **_kwargs):
        raise AssertionError("a warm start read or parsed the 37 MB bundle")

    # What makes a warm start fast: the bundle is neither read nor parsed (the benchmark times it).
    monkeypatch.setattr(load_module, "read_bytes", untouched)
    monkeypatch.setattr(load_module, "parse_bundle", untouched)
    warm = load_index(path, cache)
    assert warm.cache_status == "hit"
    assert warm.technique("T1110") is not None
    size = cache_path(cache, warm.meta.sha256).stat().st_size
    assert size < 8_000_000  # the bundle is 37 MB


def test_cold_load_returns_before_the_cache_write_and_waits_for_it_later(
    bundle: Path, tmp_path: Path, monkeypatch
) -> None:
    import threading

    cache = tmp_path / "cache"
    release = threading.Event()
    real_write = cache_module.write_cache

    def slow_write(folder, payload):
        # The disk is slow today: the write waits for the test (no time limit, which a loaded
        # machine could overrun before the test looked; the test always releases it).
        release.wait()
        return real_write(folder, payload)

    monkeypatch.setattr(cache_module, "write_cache", slow_write)
    try:
        first = load_module.load_index(bundle, cache)  # returns while the write waits
        assert first.cache_status == "miss" and not list(cache.glob("attack-index-*.json"))
    finally:
        release.set()
    second = load_module.load_index(bundle, cache)  # waits for the pending write, then hits
    assert second.cache_status == "hit"


def test_a_process_finishes_its_cache_write_before_exiting(bundle: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    cache = tmp_path / "cache"
    code = f"from workshop.attack import load_index; load_index({str(bundle)!r}, {str(cache)!r})"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert len(list(cache.glob("attack-index-*.json"))) == 1
    assert (cache / HASHES_FILE).exists()
