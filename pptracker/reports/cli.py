"""``flask reports``: build a report into a file, as the download would serve it."""

from pathlib import Path

import click
from flask.cli import AppGroup

from pptracker.extensions import db
from pptracker.formatting import format_datetime
from pptracker.projects.queries import get_project
from pptracker.reports import services, signing

reports_cli = AppGroup("reports", help="Build the PDF reports.")

_OUTPUT = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF file to write.",
)


def _project(code: str):
    project = get_project(code)
    if project is None:
        raise click.ClickException(f"there is no project with the code {code!r}")
    return project


def _write(spec: services.ReportSpec, output: Path, *, unsigned: bool = False) -> None:
    if output.parent and not output.parent.is_dir():
        raise click.ClickException(f"the folder {str(output.parent)!r} does not exist")
    try:
        if spec.public and not unsigned:
            signing.check()
        report = services.build_unsigned(spec) if unsigned else services.get(spec)
    except signing.SigningError as error:
        raise click.ClickException(f"cannot sign the report: {error}") from error
    content = report.read()
    output.write_bytes(content)
    db.session.commit()
    version = report.version
    click.echo(
        f"Wrote {output} ({len(content):,} bytes, "
        f"{'built' if report.built else 'from the cache'}): data as of "
        f"{format_datetime(version.at)}, audit chain event {version.seq}, head {version.hash}."
    )


@reports_cli.command("project")
@click.argument("code")
@_OUTPUT
@click.option(
    "--unsigned",
    is_flag=True,
    help="Skip the signature (and the cache): the reproducible bytes of the report.",
)
def project(code: str, output: Path, unsigned: bool) -> None:
    """The public transparency report of project CODE (a published project)."""
    project = _project(code)
    if not project.published:
        raise click.ClickException(
            f"project {code!r} is not published, so it has no public report; "
            "the auditors' view of it is `flask reports spending CODE`"
        )
    _write(services.project_spec(project), output, unsigned=unsigned)


@reports_cli.command("portfolio")
@_OUTPUT
@click.option("--unsigned", is_flag=True, help="Skip the signature (and the cache).")
def portfolio(output: Path, unsigned: bool) -> None:
    """The public portfolio report of every published project."""
    _write(services.portfolio_spec(), output, unsigned=unsigned)


@reports_cli.command("spending")
@click.argument("code", required=False)
@_OUTPUT
def spending(code: str | None, output: Path) -> None:
    """The auditors' spending report of project CODE, or of the whole portfolio."""
    _write(services.spending_spec(_project(code) if code else None), output)
