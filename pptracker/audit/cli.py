"""``flask audit``: verify the chain."""

import sys

import click
from flask.cli import AppGroup

from pptracker.audit.services import run_verification
from pptracker.extensions import db

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
@click.option(
    "--head",
    "head",
    default=None,
    metavar="HASH",
    help="A head hash published earlier (e.g. in a report) that must still be "
    "in the chain at its place.",
)
def verify_command(head: str | None) -> None:
    """Walk the audit chain; the last line is `OK <events> <head>` or `BROKEN at <seq>: …`."""
    if head is not None and (len(head) != 64 or any(c not in "0123456789abcdef" for c in head)):
        raise click.BadParameter(
            "a head is 64 lower-case hexadecimal characters", param_hint="--head"
        )
    result = run_verification(head=head)
    db.session.commit()
    click.echo(result.line())
    sys.exit(0 if result.ok else 1)
