"""`srm demo`: the product on embedded defaults, no Slack or AWS account needed."""
from __future__ import annotations

import click
from rich.console import Console
from rich.rule import Rule

from bot.cli import main

TOUR = [
    "whose job is physical security of the data centres?",
    "who patches the OS on our EC2 boxes?",
    "encryption at rest in azure sql - us or microsoft?",
    "who handles network controls?",
    "who owns MFA for our Microsoft 365 users?",
    "who is responsible for patching the database engine on RDS?",
    "who handels encyrption keys rotation on gcp?",
    "who pays the AWS bill?",
]


@main.command("demo")
def demo_cmd() -> None:
    """A scripted tour: who-owns answers from the matrix on embedded defaults."""
    from bot.cli.who import render_answer
    from bot.resolver import default_resolver

    console = Console()
    resolver = default_resolver()
    console.print(Rule("srm-bot demo · who owns what in the shared responsibility model"))
    for q in TOUR:
        console.print(f"\n[bold]> /srm who owns[/] {q}", highlight=False)
        render_answer(console, resolver.who_owns(q))
    console.print(Rule("end of tour"))
    console.print("Try: srm who-owns \"who rotates KMS keys?\"   ·   srm matrix paas   ·   srm checks")
