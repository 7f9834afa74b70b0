"""Registry-wide honesty: every check's declared metadata agrees with the matrix and itself."""
from __future__ import annotations

import pytest

from bot.matrix import load_matrix
from checks.base import CHECK_ID_RE, Severity
from checks.policy import is_read_only
from checks.registry import load_all

REGISTRY = load_all()
MATRIX = load_matrix()
CHECKS = sorted(REGISTRY.values(), key=lambda c: c.meta.id)


def test_at_least_35_checks():
    assert len(REGISTRY) >= 35


@pytest.mark.parametrize("check", CHECKS, ids=[c.meta.id for c in CHECKS])
def test_declarations(check):
    m = check.meta
    assert CHECK_ID_RE.match(m.id), f"{m.id}: id is <service>_<resource>_<condition>"
    assert m.id.startswith(m.service + "_"), f"{m.id}: id starts with its service {m.service!r}"
    assert m.aspect in MATRIX.ids, f"{m.id}: aspect {m.aspect} is not a matrix row"
    assert m.id in MATRIX.aspect(m.aspect).checks, f"{m.id} is not listed under its row in data/matrix.yml"
    assert isinstance(m.severity, Severity)
    assert set(m.frameworks) <= {"cis", "fsbp"}
    assert m.iam_actions, "a check that calls AWS declares its IAM actions"
    for action in m.iam_actions:
        assert is_read_only(action), f"{m.id}: {action} is not read-only"
    assert "aws " in m.remediation, f"{m.id}: remediation gives a CLI hint"
    assert m.title and m.resource_type.startswith("AWS::")
    if m.moto == "stubber":
        assert m.notes, "a stubbed check says what moto cannot emulate"


def test_matrix_lists_only_registered_checks():
    listed = {cid for a in MATRIX.aspects for cid in a.checks}
    assert listed == set(REGISTRY)


def test_check_settings_default_then_override_and_bad_config_names_the_problem():
    from checks.base import CheckMeta, Scope, setting_problems
    from checks.inventory.core import Inventory

    meta = CheckMeta(id="demo_thing_fresh", title="t", service="demo", aspect="iam", severity="low",
                     remediation="r", iam_actions=[], resource_type="AWS::Demo::Thing",
                     settings={"max_age_days": 90, "runtimes": ["python3.8"]})
    inv = Inventory(None, "111122223333", "eu-west-1")  # type: ignore[arg-type]
    assert Scope(meta, inv).setting("max_age_days") == 90
    assert Scope(meta, inv, settings={"max_age_days": 30}).setting("max_age_days") == 30
    with pytest.raises(KeyError):
        Scope(meta, inv).setting("nope")
    assert setting_problems(meta, {"max_age_days": "30"}) == [
        "demo_thing_fresh: setting 'max_age_days' must be int, got str '30'"]
    assert "unknown setting 'maxage'" in setting_problems(meta, {"maxage": 1})[0]


def test_config_rejects_unknown_check_in_checks_section(tmp_path):
    from bot.config import load_config
    from bot.datafiles import DataFileError

    bad = tmp_path / "srm.yml"
    bad.write_text("checks:\n  no_such_check_here: {x: 1}\n")
    with pytest.raises(DataFileError, match="no_such_check_here"):
        load_config(bad)


def test_every_check_declares_its_passing_title_and_its_failure_title():
    """Lists of failures (digest, backlog, email) read as failures, never as the passing condition."""
    for check in CHECKS:
        meta = check.meta
        assert meta.title and meta.fail_title, meta.id
        assert meta.fail_title != meta.title, meta.id
