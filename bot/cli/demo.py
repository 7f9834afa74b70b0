"""`srm demo`: the whole product on embedded defaults, no Slack or AWS account needed.

Starts an AWS emulator (moto_server) seeded with a sample account's mistakes, a
Slack Web API emulator and the real `srm serve`, then plays a scripted
conversation through signed HTTP requests (bot/demo/scenario.py). Shows it as it
would look in Slack and writes a self-contained HTML transcript.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from bot.cli import main


@main.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("var/demo"), show_default=True,
              help="Where the demo's database, config, owners file, serve log and transcript go.")
@click.option("--full", is_flag=True, help="Show every incident thread in the terminal, not just the one followed.")
@click.option("--quiet", "-q", is_flag=True, help="Only progress and the summary; the conversation goes to the HTML.")
@click.option("--no-html", is_flag=True, help="Do not write transcript.html.")
def demo_cmd(out: Path, full: bool, quiet: bool, no_html: bool) -> None:
    """Play the scripted demo: who owns what, /srm check all, incidents, acknowledge, fix, re-check, digest."""
    console = Console(highlight=False)
    console.rule("[bold]srm-bot demo[/] · the cloud shared responsibility model, in Slack")
    try:
        from bot.demo.scenario import run

        result = run(out, console, full=full, html=not no_html, quiet=quiet)
    except KeyboardInterrupt:
        console.print("\n[yellow]demo interrupted; every process it started has been stopped[/]")
        sys.exit(130)
    except (RuntimeError, TimeoutError) as exc:
        console.print(f"\n[red]demo failed:[/] {exc}\n[dim]the app's log: {out / 'serve.log'}[/]")
        sys.exit(1)
    sent = [c for c in result.slack.calls if c.method.startswith(("chat.", "views.")) or c.method == "response_url"]
    console.print()
    console.rule("[bold]end of demo[/]")
    console.print(f"The app sent [bold]{len(sent)}[/] messages and updates to the Slack emulator "
                  f"({len(result.transcript.entries)} entries in the conversation).")
    if result.html_path:
        console.print(f"Transcript: [bold]{result.html_path}[/] (open it in a browser)")
    console.print(f"Finished in [bold]{result.elapsed:.1f} s[/]; moto_server and srm serve are stopped.")
