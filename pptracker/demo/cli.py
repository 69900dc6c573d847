"""``flask demo``: load the demo portfolio."""

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from pptracker.demo import services
from pptracker.extensions import db

demo_cli = AppGroup("demo", help="The demo portfolio.")


def demo_password() -> str:
    """Return the demo accounts' password: from config, or generated once into instance/."""
    configured = current_app.config.get("DEMO_PASSWORD")
    if configured:
        return configured
    path = Path(current_app.instance_path) / "demo-password"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(12))
    return path.read_text().strip()


@demo_cli.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Load only into an empty database (what `make run` does)."
)
def load(if_empty: bool) -> None:
    """Load the demo portfolio (idempotent) and print the demo sign-ins."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("refusing to load demo accounts into a production database")
    password = demo_password()
    if if_empty and not services.is_empty():
        click.echo("The database already holds data: nothing loaded, nothing changed.")
    else:
        summary = services.load_demo(password)
        db.session.commit()
        click.echo(
            f"Demo portfolio: {summary.users} users, {summary.parties} parties, "
            f"{summary.projects} projects, {summary.contracts} contracts, "
            f"{summary.milestones} milestones, {summary.budgets} budgets, "
            f"{summary.documents} documents, {summary.findings} findings and "
            f"{summary.feedback} feedback messages created."
        )
        ops = summary.operations
        click.echo(
            f"Operations: {ops.projects} projects in operation, {ops.kpis} KPIs with "
            f"{ops.observations} observations, {ops.scheduled_payments} scheduled payments, "
            f"{ops.tariffs} tariffs and {ops.series} demand and revenue series created."
        )
    sign_ins = services.demo_sign_ins()
    if sign_ins:
        click.echo(f"Demo sign-ins (password for each: {password}):")
        for role, email in sign_ins:
            click.echo(f"  {role:<8} {email}")


@demo_cli.command("generate")
@click.option(
    "--projects", type=click.IntRange(1, 1_000_000), required=True, help="Projects to create."
)
@click.option(
    "--milestones",
    type=click.IntRange(0, 100_000_000),
    help="Milestones in all, spread unevenly over the projects (default: 20 per project).",
)
@click.option(
    "--transactions",
    type=click.IntRange(0, 1_000_000_000),
    help="Transactions in all, spread unevenly over the projects (default: 100 per project).",
)
@click.option(
    "--updates",
    type=click.IntRange(0, 1_000_000_000),
    help="Milestone progress reports (two audit events each); default: about 1.6 events "
    "per record in all.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed, the same portfolio."
)
def generate_command(
    projects: int,
    milestones: int | None,
    transactions: int | None,
    updates: int | None,
    seed: int,
) -> None:
    """Write a large synthetic portfolio into a database without projects, in bulk.

    Every record gets its audit event, chained as the app chains them: `audit
    verify` passes afterwards.
    """
    from pptracker.demo import generate

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("refusing to generate a synthetic portfolio in production")
    try:
        counts = generate.generate(
            projects=projects,
            milestones=20 * projects if milestones is None else milestones,
            transactions=100 * projects if transactions is None else transactions,
            updates=updates,
            seed=seed,
            progress=generate.print_progress,
        )
    except generate.NotEmptyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(counts.line())
