"""`srm incident <action> ID --as MEMBER`: the incident actions without Slack.

One command per action of the registry (``bot/actions.py``), with the same rule: the
acting person (``--as``, a member id from the owners file) is authorized from the
database and the owners file, and every attempt, refused or not, is an event row
(the audit trail `srm show ID` prints). Posts to Slack and e-mail stay in the outbox
for `srm serve`.
"""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from bot.actions import ACTIONS, ActionSpec
from bot.cli.ops import db_option, incident_group
from bot.config import Settings
from bot.main import build_services
from bot.models import ActionResult, Actor
from bot.services import ScanBusy, Services
from checks.accounts import TargetError


def _services(db: Path | None) -> Services:
    return build_services(Settings(srm_db=db) if db else Settings())


def _report(result: ActionResult, spec: ActionSpec, incident_id: int) -> None:
    if result.ok:
        state = result.incident.state.value.replace("_", " ") if result.incident else "?"
        click.echo(f"#{incident_id}: {spec.verb()} done ({state}); posts follow through `srm serve`")
        return
    click.echo(f"error: #{incident_id}: {spec.verb()} refused: {result.reason}", err=True)
    sys.exit(1)


def _register(spec: ActionSpec) -> None:
    name = spec.id.replace("_", "-")
    params = [click.Argument(["incident_id"], type=int),
              click.Option(["--as", "actor"], required=True, metavar="MEMBER_ID",
                           help="Who acts: a member id from the owners file (checked like a Slack click)."),
              db_option(lambda: None).__click_params__[0]]  # type: ignore[attr-defined]
    if spec.param == "hours":
        params.append(click.Option(["--hours"], type=int, required=True, help="One of incidents.snooze_choices_hours."))
    if spec.param == "team_id":
        params.append(click.Option(["--team"], "team_id", required=True, help="The team id to hand it to."))
    if spec.control == "modal":  # accept risk
        params += [click.Option(["--justification"], required=True, help="Why the risk is acceptable."),
                   click.Option(["--days"], type=click.IntRange(1, 366), default=30, show_default=True,
                                help="Days until the exception expires.")]

    def run(incident_id: int, actor: str, db: Path | None, **kw: object) -> None:
        services = _services(db)
        who, now = Actor(id=actor), services.clock.now()
        incidents = services.incidents
        if spec.param == "hours":
            hours = int(kw["hours"])  # type: ignore[call-overload]
            if hours not in services.config.incidents.snooze_choices_hours:
                raise click.UsageError(f"--hours must be one of {services.config.incidents.snooze_choices_hours}")
            result = incidents.snooze(incident_id, who, now + timedelta(hours=hours))
        elif spec.param == "team_id":
            result = incidents.reassign(incident_id, who, str(kw["team_id"]))
        elif spec.control == "modal":
            result = incidents.accept_risk(incident_id, who, str(kw["justification"]),
                                           now + timedelta(days=int(kw["days"])))  # type: ignore[call-overload]
        elif spec.method == "rechecked":
            try:
                inc = services.store.incident(incident_id)
            except KeyError:
                click.echo(f"error: no incident #{incident_id}", err=True)
                sys.exit(1)
            started = services.clock.now()
            try:
                services.scan(services.select_checks([inc.check_id]), account=inc.account_id)
            except (TargetError, ScanBusy, KeyError, ValueError) as exc:
                click.echo(f"error: the re-check could not run: {exc}", err=True)
                sys.exit(2)
            event = incidents.rechecked(incident_id, who, since=started)
            click.echo(f"#{incident_id}: re-checked: {len(event.data.get('failing', []))} resource(s) still failing")
            return
        else:
            result = getattr(incidents, spec.method)(incident_id, who)
        _report(result, spec, incident_id)

    helptext = f"{spec.label.rstrip('…')} (who may: {spec.who.value})."
    incident_group.add_command(click.Command(name, callback=run, params=params, help=helptext))
    if spec.id == "acknowledge":  # the short form people type
        incident_group.add_command(click.Command("ack", callback=run, params=params, help=helptext))


for _spec in ACTIONS:
    _register(_spec)
