"""`srm who-owns`, `srm validate` and `srm matrix`."""
from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from bot.cli import main
from bot.datafiles import DataFileError
from bot.matrix import CLOUD_MODELS, Model, Owner

OWNER_STYLE = {
    "provider": "bold blue", "customer": "bold magenta", "shared": "bold yellow",
    "depends": "bold cyan", "unknown": "bold red",
}


def render_answer(console: Console, answer) -> None:  # noqa: ANN001 - bot.resolver.Answer
    style = OWNER_STYLE[answer.owner.value]
    console.print(f"[{style}]{answer.owner.value.upper()}[/]  {answer.aspect_title or 'not in the matrix'}",
                  highlight=False)
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
    console.print(f"  {answer.explanation}", highlight=False, soft_wrap=False)
    for model, part in answer.breakdown.items():
        console.print(f"    [{OWNER_STYLE[part.owner]}]{model.upper():5}[/] {part.owner:9} {part.summary}",
                      highlight=False)
    if answer.team_name:
        console.print(f"  Customer part owned by: [bold]{answer.team_name}[/]", highlight=False)
    if answer.checks:
        console.print(f"  Guarded by checks: {', '.join(answer.checks)}", style="dim", highlight=False)
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
    if as_json:
        click.echo(json.dumps(answer.contract(), indent=2))
    else:
        render_answer(Console(), answer)


@main.command("validate")
def validate_cmd() -> None:
    """Check every data file (matrix, services, owners, config, frameworks); exit 2 on any problem."""
    from bot.config import Settings, load_config
    from bot.frameworks import check_framework_ids
    from bot.matrix import check_ids_problem, load_matrix, load_services
    from bot.owners import load_owners

    s = Settings()
    problems: list[DataFileError] = []
    matrix = None
    steps = [
        ("matrix", lambda: load_matrix(s.srm_matrix)),
        ("services", lambda: load_services(s.srm_services)),
        ("owners", lambda: load_owners(s.srm_owners, aspect_ids=matrix.ids if matrix else None)),
        ("config", lambda: load_config(s.srm_config)),
        ("frameworks", lambda: check_framework_ids()),
    ]
    for name, step in steps:
        try:
            value = step()
            if name == "matrix":
                matrix = value
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
