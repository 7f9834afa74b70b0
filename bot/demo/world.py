"""The demo's organisation: people, channels, the owners file and srm.yml it runs on.

Everything is embedded: :func:`write_files` puts ``owners.yml`` and ``srm.yml`` under
the demo's directory (``var/demo/`` by default) and ``srm serve`` reads them from there.
:data:`DIRECTORY` is the workspace's member, user-group and channel names, used by
the transcript to show ``<@U0PRIYA>`` as "Priya (platform)".
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.demo.slack_emulator import BOT_USER_ID
from bot.owners import OWNERS_EXAMPLE_PATH

ACCOUNT_ID = "123456789012"  # moto's account
ACCOUNT_NAME = "acme-prod"
REGION = "us-east-1"

PRIYA, OMAR, MARCO = "U0PRIYA", "U0OMAR", "U0MARCO"  # platform
DANA, SAM, INES, ALEX = "U0DANA", "U0SAM", "U0INES", "U0ALEX"  # data, secops, identity, admin
PLATFORM_ONCALL, SECOPS_GROUP = "S0PLATONC", "S0SECOPS"
ASK, INCIDENTS, POSTURE = "C0ASKSEC", "C0INCIDNT", "C0POSTURE"

DIRECTORY: dict[str, str] = {
    BOT_USER_ID: "srm-bot",
    PRIYA: "Priya (platform)",
    OMAR: "Omar (platform)",
    MARCO: "Marco (platform lead)",
    DANA: "Dana (data)",
    SAM: "Sam (secops)",
    INES: "Ines (identity)",
    ALEX: "Alex (CISO, admin)",
    PLATFORM_ONCALL: "platform-oncall",
    SECOPS_GROUP: "secops",
    ASK: "ask-security",
    INCIDENTS: "srm-incidents",
    POSTURE: "security-posture",
}

TEAMS: list[dict[str, Any]] = [
    {"id": "platform", "name": "Platform Engineering", "members": [PRIYA, OMAR], "leads": [MARCO],
     "escalation": MARCO, "usergroup": PLATFORM_ONCALL, "channel": INCIDENTS},
    {"id": "data", "name": "Data Engineering", "members": [DANA], "escalation": DANA, "channel": INCIDENTS},
    {"id": "secops", "name": "Security Operations", "members": [SAM], "escalation": SAM,
     "usergroup": SECOPS_GROUP, "channel": INCIDENTS},
    {"id": "identity", "name": "Identity & Access", "members": [INES], "escalation": INES, "channel": INCIDENTS},
]


def owners() -> dict[str, Any]:
    """The example owners file's aspect routing, folded onto the demo's four teams."""
    example = yaml.safe_load(OWNERS_EXAMPLE_PATH.read_text())
    ours = {t["id"] for t in TEAMS}
    aspects = {a: (t if t in ours else "secops") for a, t in (example.get("aspects") or {}).items()}
    return {"version": 1, "admins": [ALEX], "default_team": "secops", "tag_keys": ["owner", "team"],
            "teams": TEAMS, "aspects": aspects}


def config() -> dict[str, Any]:
    return {"version": 1,
            "aws": {"accounts": [{"name": ACCOUNT_NAME, "account_id": ACCOUNT_ID}], "regions": [REGION],
                    "max_workers": 8},
            "incidents": {"channel": INCIDENTS},
            "digest": {"channel": POSTURE, "timezone": "UTC"}}


def write_files(directory: Path) -> tuple[Path, Path]:
    """(owners.yml, srm.yml) written under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    owners_path, config_path = directory / "owners.yml", directory / "srm.yml"
    header = "# written by `srm demo`; edits are overwritten on the next run\n"
    owners_path.write_text(header + yaml.safe_dump(owners(), sort_keys=False))
    config_path.write_text(header + yaml.safe_dump(config(), sort_keys=False))
    return owners_path, config_path
