"""`srm worker`: a Dramatiq worker that runs scan units sent through Redis (``aws.executor: queue``)."""
from __future__ import annotations

import os
import sys

import click

from bot.cli import main


@main.command("worker")
@click.option("--queue-url", help="Redis URL [SRM_QUEUE_URL, else aws.queue_url of srm.yml]")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Units at once per process.")
def worker_cmd(queue_url: str | None, processes: int, threads: int) -> None:
    """Run scan units for a coordinator (`srm serve` / `srm scan` with aws.executor: queue).

    Needs AWS credentials that can assume the scanned accounts' roles; never opens the database.
    """
    from bot.cli.export import load_cli_config

    url = queue_url or os.environ.get("SRM_QUEUE_URL") or load_cli_config().aws.queue_url
    os.environ["SRM_QUEUE_URL"] = url
    click.echo(f"srm worker: {processes} process(es) x {threads} thread(s) on {url}", err=True)
    os.execv(sys.executable, [sys.executable, "-m", "dramatiq", "checks.queue_worker",
                              "--processes", str(processes), "--threads", str(threads)])
