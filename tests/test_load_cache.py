"""What a start keeps between starts (parsed YAML, the data's normal forms): never a different answer, only speed."""
from __future__ import annotations

import datetime as dt
import gc
import json
import os

import pytest

from bot import textmatch
from bot.datafiles import DataFileError, collector_paused, read_yaml_files, write_cache
from bot.matrix import load_matrix


@pytest.fixture
def cache(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv("SRM_CACHE_DIR", str(where))
    return where


def test_parsed_yaml_is_kept_and_a_changed_file_is_read_again(tmp_path, cache):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yml").write_text("x: [1, 2]\n")
    assert read_yaml_files(data, [data / "a.yml"]) == {"a.yml": {"x": [1, 2]}}
    kept = list(cache.glob("yaml-*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == {"a.yml": {"x": [1, 2]}}
    (data / "a.yml").write_text("x: [1, 2, 3]\n")
    os.utime(data / "a.yml", ns=(1, 1))  # a new mtime, whatever the clock's resolution
    assert read_yaml_files(data, [data / "a.yml"]) == {"a.yml": {"x": [1, 2, 3]}}


def test_data_json_would_change_and_broken_files_are_never_kept(tmp_path, cache):
    (tmp_path / "d.yml").write_text("when: 2026-01-02\n1: one\n")
    (tmp_path / "bad.yml").write_text("x: [1,\n")
    assert read_yaml_files(tmp_path, [tmp_path / "d.yml"]) == {"d.yml": {"when": dt.date(2026, 1, 2), 1: "one"}}
    got = read_yaml_files(tmp_path, [tmp_path / "bad.yml"])
    assert isinstance(got["bad.yml"], DataFileError) and "invalid YAML" in str(got["bad.yml"])
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_bundled_data_loads_the_same_from_the_cache(cache):
    first = load_matrix()
    assert list(cache.glob("yaml-*.json"))
    assert load_matrix() == first


def test_only_the_newest_cache_files_of_a_kind_are_kept(cache):
    for i in range(20):
        write_cache(cache / f"yaml-{i:02}.json", {"i": i})
        os.utime(cache / f"yaml-{i:02}.json", ns=(i * 10**9, i * 10**9))
    write_cache(cache / "normal-x.json", {})
    names = sorted(p.name for p in cache.glob("*.json"))
    assert len([n for n in names if n.startswith("yaml-")]) == 16 and "yaml-19.json" in names
    assert "yaml-00.json" not in names and "normal-x.json" in names


def test_normal_forms_learned_in_the_block_are_kept_and_read_back(cache):
    texts = ["Who patches the K8s nodes?", "s3 buckets & <https://x.example|the runbook> :fire:"]
    expected = [textmatch._normalized(t) for t in texts]
    textmatch.forget_normal_forms()
    with textmatch.remembered_normal_forms(cache):
        assert [textmatch.normalize(t) for t in texts] == expected
    textmatch.normalize("a question asked outside the block")
    (kept,) = cache.glob("normal-*.json")
    stored = json.loads(kept.read_text())
    assert {t: stored[t] for t in texts} == dict(zip(texts, expected))
    assert "a question asked outside the block" not in stored
    textmatch.forget_normal_forms()
    with textmatch.remembered_normal_forms(cache):  # a new start reads them back instead of computing them
        assert textmatch._KNOWN[texts[0]] == expected[0]
        assert [textmatch.normalize(t) for t in texts] == expected
    textmatch.forget_normal_forms()


def test_the_collector_is_paused_while_loading_and_left_as_it_was_found(tmp_path):
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a loader inside a paused load (build_services -> load_tasks)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(DataFileError), collector_paused():  # a broken file does not leave it off
        raise DataFileError(tmp_path / "x.yml", ["broken"])
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
