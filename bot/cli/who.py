"""`srm who-owns`, `srm validate` and `srm matrix`."""
from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.answer import Answer, GuardStatus
from bot.cli import main
from bot.datafiles import DataFileError
from bot.guard_status import guard_statuses
from bot.matrix import CLOUD_MODELS, Model, Owner

OWNER_STYLE = {
    "provider": "bold blue", "customer": "bold magenta", "shared": "bold yellow",
    "depends": "bold cyan", "unknown": "bold red",
}


STATUS_TEXT = {"passing": "[green]passing[/]", "failing": "[bold red]failing[/]", "not_scanned": "[dim]not scanned[/]",
               "unknown_check": "[dim]not a registered check[/]"}


def render_answer(console: Console, answer: Answer, statuses: list[GuardStatus] | None = None) -> None:
    style = OWNER_STYLE[answer.owner.value]
    console.print(f"[{style}]{answer.owner.value.upper()}[/]  {escape(answer.topic)}", highlight=False)
    ctx = []
    if answer.service_name:
        ctx.append(f"service: {answer.service_name}")
    if answer.service_model:
        how = "stated" if answer.service_model_stated else "assumed"
        ctx.append(f"model: {answer.service_model.value} ({how})")
    if answer.provider:
        ctx.append(f"provider: {answer.provider.value} ({'stated' if answer.provider_stated else 'assumed'})")
    if ctx:
        console.print("  " + " · ".join(ctx), style="dim", highlight=False)
    console.print(f"  {escape(answer.explanation)}", highlight=False, soft_wrap=False)
    for model, part in answer.breakdown.items():
        console.print(f"    [{OWNER_STYLE[part.owner]}]{model.upper():5}[/] {part.owner:9} {part.summary}",
                      highlight=False)
    if answer.service_tasks:
        console.print(f"  On {escape(answer.service_name or '')}, this covers:", highlight=False)
    for t in answer.service_tasks:
        console.print(f"    [{OWNER_STYLE[t.owner]}]{t.owner:9}[/] {escape(t.title)}", highlight=False)
    for v in answer.variants:
        console.print(f"    [{OWNER_STYLE[v.owner]}]{v.owner:9}[/] {escape(v.name)}", highlight=False)
    if answer.team_name:
        console.print(f"  Customer part owned by: [bold]{escape(answer.team_name)}[/]", highlight=False)
    for src in answer.sources[:2]:
        console.print(f"  Source: {escape(src.title)} - {src.url}", highlight=False, soft_wrap=True)
    rows = statuses if statuses is not None else [GuardStatus(id=c) for c in answer.checks]
    if rows:
        console.print("  Guarding checks:", highlight=False)
    for st in rows:
        counts = f" ({st.failing} failing, {st.passing} passing)" if st.status in ("failing", "passing") else ""
        inc = f" · incident #{st.incident['id']} {st.incident['state']}" if st.incident else ""
        console.print(f"    {st.id}: {STATUS_TEXT[st.status]}{counts}{inc}", highlight=False)
    step = answer.next_step_given(rows)
    if step:
        console.print(f"  Next step: {escape(step)}", highlight=False)
    if answer.alternatives:
        label = "Did you mean" if answer.owner is Owner.unknown else "Close matches"
        console.print(f"  {label}: " + ", ".join(a.title for a in answer.alternatives), style="dim",
                      highlight=False)


@main.command("who-owns")
@click.argument("question", nargs=-1, required=True)
@click.option("--provider", type=click.Choice(["aws", "azure", "gcp"]), help="Answer for this provider.")
@click.option("--model", "service_model", type=click.Choice([m.value for m in Model]),
              help="Answer for this service model.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (a stable contract).")
def who_owns_cmd(question: tuple[str, ...], provider: str | None, service_model: str | None,
                 as_json: bool) -> None:
    """Who owns a security duty? e.g. srm who-owns "who patches the OS on EC2?" """
    from bot.resolver import default_resolver

    answer = default_resolver().who_owns(" ".join(question), provider=provider, service_model=service_model)
    statuses = live_statuses(answer.checks)
    if as_json:
        click.echo(json.dumps(answer.contract(statuses), indent=2))
    else:
        render_answer(Console(), answer, statuses)


def live_statuses(check_ids: list[str]) -> list[GuardStatus]:
    """Status of the guarding checks from the database, if there is one (never creates it)."""
    from bot.config import Settings
    from bot.store import Store
    from checks.registry import load_all

    if not check_ids:
        return []
    titles = {cid: c.meta.title for cid, c in load_all().items()}
    db = Settings().srm_db
    if not db.exists():
        return [GuardStatus(id=c, title=titles.get(c, c), status="not_scanned" if c in titles else "unknown_check")
                for c in check_ids]
    return guard_statuses(Store(db), check_ids, titles)


@main.command("validate")
def validate_cmd() -> None:
    """Check every data file (matrix, services, owners, tasks, provider vocabulary, config, frameworks); exit 2 on any
    problem."""
    from pathlib import Path

    from bot.config import Settings, load_config
    from bot.datafiles import no_key_twice
    from bot.frameworks import FRAMEWORKS_DIR, check_framework_ids
    from bot.matrix import check_ids_problem, load_matrix, load_services
    from bot.owners import load_owners
    from bot.tasks import load_checked_tasks
    from bot.vocabulary import VOCABULARY_PATH, check_services, load_vocabulary
    from checks.registry import load_all

    s = Settings()
    problems: list[DataFileError] = []
    loaded: dict[str, Any] = {}

    def tasks_step() -> None:
        load_checked_tasks(s.srm_tasks, loaded.get("matrix"), loaded.get("services"), load_all())

    steps = [
        ("matrix", lambda: load_matrix(s.srm_matrix)),
        ("services", lambda: load_services(s.srm_services)),
        ("owners", lambda: load_owners(s.srm_owners, aspect_ids=loaded["matrix"].ids if "matrix" in loaded else None)),
        ("tasks", tasks_step),
        ("vocabulary", lambda: check_services(load_vocabulary(), loaded["services"]) if "services" in loaded
         else load_vocabulary()),
        ("config", lambda: load_config(s.srm_config)),
        ("frameworks", lambda: check_framework_ids()),
        ("yaml keys", lambda: no_key_twice([s.srm_matrix, s.srm_services, s.srm_owners, s.srm_config, VOCABULARY_PATH,
                                            *sorted(Path(s.srm_tasks).rglob("*.yml")), *sorted(FRAMEWORKS_DIR.glob("*.yml"))])),
    ]
    for name, step in steps:
        try:
            value = step()
            loaded[name] = value
            if name == "matrix":
                check_ids_problem(value, s.srm_matrix)
            click.echo(f"ok    {name}")
        except DataFileError as exc:
            problems.append(exc)
            click.echo(f"FAIL  {name}", err=True)
    for p in problems:
        click.echo(p.render(), err=True)
    if problems:
        sys.exit(2)


@main.command("matrix")
@click.argument("model", required=False, type=click.Choice([m.value for m in CLOUD_MODELS]))
@click.option("--provider", type=click.Choice(["aws", "azure", "gcp"]))
def matrix_cmd(model: str | None, provider: str | None) -> None:
    """Print the responsibility matrix (optionally one service model)."""
    from bot.config import Settings
    from bot.matrix import Provider, load_matrix

    m = load_matrix(Settings().srm_matrix)
    models = [Model(model)] if model else list(CLOUD_MODELS)
    prov = Provider(provider) if provider else None
    table = Table(title=f"Shared responsibility matrix{f' ({provider})' if provider else ''}")
    table.add_column("Aspect")
    for md in models:
        table.add_column(md.value.upper())
    for a in m.aspects:
        cells = [a.cell(md, prov).owner for md in models]
        table.add_row(a.title, *[f"[{OWNER_STYLE[c]}]{c}[/]" for c in cells])
    Console().print(table)
