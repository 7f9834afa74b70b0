"""Broken data files give errors that name the file, the entry and the field; never a traceback."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.datafiles import DataFileError
from bot.matrix import MATRIX_PATH, load_matrix, load_services
from bot.owners import OWNERS_EXAMPLE_PATH, load_owners


def _write(tmp_path: Path, name: str, data) -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return p


def _matrix_data():
    return yaml.safe_load(MATRIX_PATH.read_text())


def test_shipped_data_files_are_valid():
    m = load_matrix()
    assert len(m.aspects) >= 28
    assert len(load_services().services) >= 40
    load_owners(aspect_ids=m.ids)


def test_shared_cell_without_split_names_entry_and_field(tmp_path):
    data = _matrix_data()
    data["aspects"][5]["cells"]["paas"] = {"owner": "shared", "summary": "Both sides do a bit here."}
    with pytest.raises(DataFileError) as exc:
        load_matrix(_write(tmp_path, "matrix.yml", data))
    msg = exc.value.render()
    aspect_id = data["aspects"][5]["id"]
    assert "matrix.yml" in msg and f"aspects[5] ({aspect_id}).cells.paas" in msg
    assert "provider_does and customer_does" in msg


def test_bad_owner_value_is_named(tmp_path):
    data = _matrix_data()
    data["aspects"][0]["cells"]["iaas"]["owner"] = "nobody"
    with pytest.raises(DataFileError) as exc:
        load_matrix(_write(tmp_path, "m.yml", data))
    assert f"aspects[0] ({data['aspects'][0]['id']}).cells.iaas.owner" in exc.value.render()


def test_malformed_yaml_gives_line(tmp_path):
    with pytest.raises(DataFileError) as exc:
        load_matrix(_write(tmp_path, "m.yml", "version: 1\naspects: [\n  - id: x\n"))
    assert "m.yml" in exc.value.render() and "line" in exc.value.render()


def test_owners_naming_unknown_aspect(tmp_path):
    data = yaml.safe_load(OWNERS_EXAMPLE_PATH.read_text())
    data["aspects"]["teleportation"] = data["default_team"]
    with pytest.raises(DataFileError) as exc:
        load_owners(_write(tmp_path, "owners.yml", data), aspect_ids=load_matrix().ids)
    assert "owners.yml" in exc.value.render() and "aspects.teleportation" in exc.value.render()


def test_owners_naming_unknown_team(tmp_path):
    data = yaml.safe_load(OWNERS_EXAMPLE_PATH.read_text())
    first = next(iter(data["aspects"]))
    data["aspects"][first] = "ghosts"
    with pytest.raises(DataFileError) as exc:
        load_owners(_write(tmp_path, "owners.yml", data))
    assert f"aspects.{first}: unknown team 'ghosts'" in exc.value.render()


def test_cli_validate_ok():
    r = CliRunner().invoke(main, ["validate"])
    assert r.exit_code == 0, r.output
    assert "ok    matrix" in r.output


def test_cli_validate_reports_broken_owners_without_traceback(tmp_path, monkeypatch):
    data = yaml.safe_load(OWNERS_EXAMPLE_PATH.read_text())
    data["aspects"]["teleportation"] = data["default_team"]
    monkeypatch.setenv("SRM_OWNERS", str(_write(tmp_path, "owners.yml", data)))
    r = CliRunner().invoke(main, ["validate"])
    assert r.exit_code == 2
    assert "aspects.teleportation: no such aspect in the matrix" in r.output
    assert "Traceback" not in r.output


def test_cli_who_owns_json_contract():
    r = CliRunner().invoke(main, ["who-owns", "who patches the OS on EC2?", "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["owner"] == "customer" and body["aspect"] == "guest_os" and body["service"] == "aws_ec2"
    assert set(body) >= {"owner", "aspect", "service_model", "provider", "service", "explanation", "team",
                         "alternatives"}


def test_cli_who_owns_text_and_provider_flag():
    r = CliRunner().invoke(main, ["who-owns", "--provider", "azure", "who", "handles", "mfa"])
    assert r.exit_code == 0, r.output
    assert load_matrix().aspect("mfa").title in r.output
    assert "provider: azure (stated)" in r.output


def test_cli_broken_matrix_exits_2_without_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("SRM_MATRIX", str(_write(tmp_path, "matrix.yml", "version: [")))
    from bot.resolver import default_resolver
    default_resolver.cache_clear()
    try:
        r = CliRunner().invoke(main, ["who-owns", "who owns mfa"])
    finally:
        default_resolver.cache_clear()
    assert r.exit_code == 2 and "matrix.yml" in r.output and "Traceback" not in r.output
