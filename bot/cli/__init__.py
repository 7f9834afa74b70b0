"""`srm` command line. Each command group lives in its own module under bot/cli/
and registers itself on the ``main`` group when imported (see ``_COMMAND_MODULES``).

Exit codes: 0 success, 1 findings/failures the user asked to fail on,
2 usage or configuration error (bad flags, broken data files). No tracebacks:
expected errors are printed as one clear message.
"""
from __future__ import annotations

import importlib
import sqlite3
import sys

import click

from bot.datafiles import DataFileError
from bot.store.preflight import LocalStateError

_COMMAND_MODULES = ("who", "scan", "ops", "incident", "demo", "schedule", "serve", "doctor", "report", "export",
                    "backup", "worker")


class SrmGroup(click.Group):
    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except DataFileError as exc:
            click.echo(f"error: {exc.render()}", err=True)
            sys.exit(2)
        except LocalStateError as exc:  # bad local state: one line with its fix, the file untouched
            click.echo(f"error: {exc.render()}", err=True)
            sys.exit(2)
        except sqlite3.DatabaseError as exc:  # found only mid-command (a page damaged later, a lock held too long)
            click.echo(f"error: database: {exc} (fix: run `srm doctor`; if another srm process holds the database, "
                       "retry; if it is damaged, restore the last backup)", err=True)
            sys.exit(2)


@click.group(cls=SrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="srm-bot")
def main() -> None:
    """srm-bot: who owns what in the cloud shared responsibility model, and is the customer side drifting?"""


for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"bot.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"bot.cli.{_name}":
            raise
