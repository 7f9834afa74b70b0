"""What `/srm ...`, a mention or a DM asks, and the answer to it.

``parse`` turns text into a :class:`Command`; ``reply`` calls one service and
renders one builder. Commands marked ``slow`` (scans, the digest) are answered
after the listener has acknowledged Slack; everything else is fast enough to be
the acknowledgement itself.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Callable

from bot.frameworks import get_framework
from bot.matrix import CLOUD_MODELS, Model
from bot.models import IncidentState
from bot.reports import build_report
from bot.slack import blocks as B
from bot.slack import blocks_incident as BI
from bot.slack.blocks_posture import posture_message
from bot.slack.status import ACTIVE, Links, check_statuses, incident_rows, registry

if TYPE_CHECKING:  # pragma: no cover
    from bot.services import Services

log = logging.getLogger(__name__)


class Sub(StrEnum):
    who = "who"
    check = "check"
    incidents = "incidents"
    digest = "digest"
    matrix = "matrix"
    owners = "owners"
    posture = "posture"
    help = "help"


SLOW = {Sub.check, Sub.digest}
INCIDENT_SCOPES = ("mine", "open", "all")
DEFAULT_FRAMEWORK = "cis-4.0"


@dataclass(frozen=True)
class Command:
    sub: Sub
    arg: str = ""
    raw: str = ""
    unknown: bool = False  # the text did not parse: help is the answer

    @property
    def slow(self) -> bool:
        return self.sub in SLOW


@dataclass(frozen=True)
class Asker:
    user_id: str
    channel_id: str | None = None


def parse(text: str | None, *, question_by_default: bool = False) -> Command:
    """`/srm` text (or a mention without the bot's name) as a command.

    Mentions and DMs pass ``question_by_default``: free text is a who-owns question.
    """
    raw = " ".join((text or "").split())
    words = raw.split(" ") if raw else []
    head = words[0].lower().rstrip("?:,") if words else ""
    rest = " ".join(words[1:])
    if not head or head in ("help", "-h", "--help"):
        return Command(Sub.help, raw=raw)
    if head == "who":
        return Command(Sub.who, arg=raw, raw=raw) if rest else Command(Sub.help, raw=raw, unknown=True)
    if head == "check":
        return Command(Sub.check, arg=rest.lower() or "all", raw=raw)
    if head == "incidents":
        scope = rest.lower() or "open"
        if scope in INCIDENT_SCOPES:
            return Command(Sub.incidents, arg=scope, raw=raw)
        return Command(Sub.help, raw=raw, unknown=True)
    if head == "matrix":
        model = rest.lower()
        if model in ("", *(m.value for m in CLOUD_MODELS)):
            return Command(Sub.matrix, arg=model, raw=raw)
        return Command(Sub.help, raw=raw, unknown=True)
    if head == "posture":
        return Command(Sub.posture, arg=rest.lower() or DEFAULT_FRAMEWORK, raw=raw)
    if head in ("digest", "owners") and not rest:
        return Command(Sub(head), raw=raw)
    if question_by_default:
        return Command(Sub.who, arg=raw, raw=raw)
    return Command(Sub.help, raw=raw, unknown=True)


# -- one function per subcommand: call a service, render a builder -------------------
def _who(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    answer = services.resolver.who_owns(cmd.arg)
    team = services.owners.team(answer.team) if answer.team else None
    return B.who_owns_message(answer, team, check_statuses(services, answer.checks, links))


def _incidents(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    tz = services.settings.srm_timezone
    if cmd.arg == "mine":
        teams = services.owners.teams_of(asker.user_id)
        ids = {t.id for t in teams}
        incs = [i for i in services.store.incidents(states=ACTIVE) if i.team_id in ids]
        return BI.incidents_list(incident_rows(services, incs, links), "mine", tz, teams=[t.name for t in teams])
    states = ACTIVE if cmd.arg == "open" else None
    incs = services.store.incidents(states=states)
    if states is None:
        incs = sorted(incs, key=lambda i: (i.state is IncidentState.resolved, -i.id))
    return BI.incidents_list(incident_rows(services, incs, links), cmd.arg, tz)


def _matrix(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    return B.matrix_message(services.matrix, Model(cmd.arg) if cmd.arg else None)


def _owners(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    return B.owners_message(services.owners, {a.id: a.title for a in services.matrix.aspects})


def _posture(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    try:
        framework = get_framework(cmd.arg)
    except KeyError as exc:
        return B.notice(B.escape(exc.args[0]), icon=":warning:")
    report = build_report(framework, services.store, registry().values(), now=services.clock.now(),
                          resources=False)
    return posture_message(report)


def _help(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    return B.help_message(cmd.raw if cmd.unknown else None)


def select_for(services: "Services", arg: str) -> list:
    """Checks for `/srm check ARG`: all, a check id, a matrix aspect or an AWS service. KeyError if none."""
    if arg in ("", "all"):
        return services.select_checks()
    if arg in registry():
        return services.select_checks([arg])
    if arg in services.matrix.ids:
        return services.select_checks(aspect=arg)
    return services.select_checks(service=arg)


def _check(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    from bot.services import ScanBusy
    from checks.accounts import TargetError

    try:
        checks = select_for(services, cmd.arg)
    except KeyError as exc:
        return B.notice(f"{B.escape(exc.args[0])}. Try `/srm check all`, a check id, an aspect or a service "
                        "such as `s3`.", icon=":warning:")
    try:
        result, outcome = services.scan(checks, asked=True, keep_findings=False)
    except (TargetError, ValueError, ScanBusy) as exc:
        return B.notice(f"The scan could not start: {B.escape(exc)}", icon=":warning:")
    return B.scan_result(result, outcome, cmd.arg)


def _digest(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    try:
        from bot.digest import build_digest
        from bot.slack.digest_blocks import digest_message
    except ImportError:
        return B.notice("The digest is not available yet.")
    return digest_message(build_digest(services), services.settings.srm_timezone)


HANDLERS: dict[Sub, Callable[["Services", Asker, Command, Links], B.Payload]] = {
    Sub.who: _who, Sub.check: _check, Sub.incidents: _incidents, Sub.digest: _digest,
    Sub.matrix: _matrix, Sub.owners: _owners, Sub.posture: _posture, Sub.help: _help,
}


def reply(services: "Services", asker: Asker, cmd: Command, links: Links) -> B.Payload:
    return HANDLERS[cmd.sub](services, asker, cmd, links)


def working(services: "Services", cmd: Command) -> B.Payload:
    """The immediate acknowledgement of a slow command."""
    if cmd.sub is Sub.check:
        try:
            return B.scan_started(len(select_for(services, cmd.arg)), cmd.arg)
        except KeyError:
            return B.notice("Looking that up…", icon=":mag:")
    return B.notice("Building the digest…", icon=":hourglass_flowing_sand:")
