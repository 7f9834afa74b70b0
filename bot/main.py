"""Composition root: builds the settings, data, database, notifiers and services every front
end (CLI, Slack app, scheduler) runs on. Nothing in bot/ imports it; the CLI calls it.

Notifier lanes come from configuration (``notify.lanes`` in srm.yml; default ``[slack]``,
plus ``email`` when an ``email:`` section is set); a process delivers a lane only when it
has what that lane needs (Slack: a bot token; e-mail: an SMTP host).
"""
from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings, load_config
from bot.datafiles import collector_paused
from bot.matrix import load_matrix, load_services
from bot.models import Clock, SystemClock
from bot.notify import Notifier, Notifiers
from bot.notify.worker import DeliveryWorker
from bot.owners import load_owners
from bot.resolver import Resolver
from bot.services import Services, TargetResolver, default_targets
from bot.store import Store
from bot.tasks import load_tasks


def build_services(settings: Settings | None = None, *, notifier: Notifier | None = None,
                   clock: Clock | None = None, targets: TargetResolver | None = None,
                   deliver: bool = False, create_db: bool = True) -> Services:
    """Load every data file (DataFileError on a problem) and open the database.

    ``notifier``: deliver its lane with it (tests). ``deliver``: build the configured notifiers this
    process can run (the Slack and e-mail clients); without it the outbox is left for a process that does.
    ``create_db=False`` (read-only commands): a missing database is an error, not a new empty file.
    """
    settings = settings or Settings()
    config = load_config(settings.srm_config)
    with collector_paused():  # one pause over every data file (see collector_paused)
        matrix = load_matrix(settings.srm_matrix)
        owners = load_owners(settings.srm_owners, aspect_ids=matrix.ids)
        resolver = Resolver(matrix, load_services(settings.srm_services), owners, load_tasks(settings.srm_tasks))
    clock = clock or SystemClock()
    store = Store(settings.srm_db, clock=clock, create=create_db)
    notifiers = Notifiers(config.notify_lanes())
    svc = Services(settings=settings, config=config, matrix=matrix, resolver=resolver, owners=owners,
                   store=store, clock=clock, targets=targets or default_targets, notifiers=notifiers)
    if notifier is not None:
        if notifier.kind not in notifiers.lanes:
            notifiers.lanes = (*notifiers.lanes, notifier.kind)
        notifiers.add(notifier)
    if deliver:
        for built in build_notifiers(svc):
            notifiers.add(built)
    return svc


def build_notifiers(services: Services, *, slack_client: WebClient | None = None) -> list[Notifier]:
    """The notifiers of the configured lanes this process can deliver (a token, an SMTP host)."""
    settings, config = services.settings, services.config
    out: list[Notifier] = []
    lanes = services.notifiers.lanes
    if "slack" in lanes and (slack_client is not None or settings.slack_bot_token):
        from bot.slack.app import make_client
        from bot.slack.notifier import SlackNotifier

        client = slack_client or make_client(settings)
        out.append(SlackNotifier(client, services.store, owners=services.owners,
                                 config=config.incidents,
                                 tz=settings.srm_timezone, clock=services.clock,
                                 digest_channel=config.digest.channel, digest_tz=config.digest.timezone))
    if "email" in lanes and config.email is not None:
        from bot.email.notifier import EmailNotifier

        out.append(EmailNotifier(config.email, services.store, services.owners, password=settings.srm_smtp_password,
                                 tz=settings.srm_timezone, clock=services.clock))
    return out


def build_slack_runtime(settings: Settings | None = None, *, socket_mode: bool = False,
                        client: WebClient | None = None) -> tuple[Services, App]:
    """What `srm serve` runs: the services with every lane this process can deliver, and the Bolt app.

    Raises SlackSetupError (missing token or signing secret) and SlackApiError (a refused token)."""
    from bot.slack.app import build_app, make_client

    settings = settings or Settings()
    services = build_services(settings)
    client = client or make_client(settings)
    for notifier in build_notifiers(services, slack_client=client):
        services.notifiers.add(notifier)
    app = build_app(services, client=client, socket_mode=socket_mode)
    # posts go out on the outbox's own thread, paced per channel; listeners and scans only kick it
    services.incidents.worker = DeliveryWorker(services.incidents.deliver_now).start()
    services.incidents.worker.kick()  # anything left pending by an earlier process
    return services, app
