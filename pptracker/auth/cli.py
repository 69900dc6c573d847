"""``flask users``: create accounts from the command line."""

from pathlib import Path

import click
from flask.cli import AppGroup

from pptracker.auth import services
from pptracker.auth.models import Role
from pptracker.errors import DomainError
from pptracker.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="admin, manager or auditor.",
)
@click.option("--name", default=None, help="Display name (defaults to the email's local part).")
@click.option(
    "--password-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File whose first line is the password (keeps it out of shell history).",
)
def create(email: str, role: str, name: str | None, password_file: Path) -> None:
    """Create a user account, e.g. the first admin."""
    password = password_file.read_text(encoding="utf-8").splitlines()[0:1]
    if not password or not password[0]:
        raise click.ClickException(f"{password_file} is empty; put the password on its first line.")
    data = services.UserData(
        email=email, name=name or email.split("@")[0], role=Role(role), password=password[0]
    )
    try:
        user = services.create_user(data)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")
