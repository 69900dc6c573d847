"""``flask reports``: project, portfolio and spending reports written to files."""

import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.extensions import db
from tests.reports.conftest import pdf_text


def _actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.action.like("report.%"))
            .order_by(AuditEvent.seq)
        ).all()


def test_project_report_to_a_file(app, runner, make_project, tmp_path):
    make_project("harbour-bridge", title="Harbour Bridge", published=True)
    target = tmp_path / "bridge.pdf"

    result = runner.invoke(args=["reports", "project", "harbour-bridge", "-o", str(target)])

    assert result.exit_code == 0, result.output
    assert f"Wrote {target}" in result.output
    assert "built" in result.output
    assert "Harbour Bridge" in pdf_text(target.read_bytes())
    assert _actions(app) == [("report.generate", "cli:reports project")]

    again = runner.invoke(args=["reports", "project", "harbour-bridge", "-o", str(target)])
    assert "from the cache" in again.output


def test_the_download_and_the_cli_give_the_same_bytes(app, runner, client, make_project, tmp_path):
    make_project("harbour-bridge", published=True)
    target = tmp_path / "bridge.pdf"
    runner.invoke(args=["reports", "project", "harbour-bridge", "-o", str(target)])
    unsigned = tmp_path / "unsigned.pdf"
    runner.invoke(args=["reports", "project", "harbour-bridge", "--unsigned", "-o", str(unsigned)])

    downloaded = client.get("/projects/harbour-bridge/report.pdf").data

    assert downloaded == target.read_bytes() == unsigned.read_bytes()


def test_portfolio_and_spending_reports(app, runner, make_project, tmp_path):
    make_project("harbour-bridge", title="Harbour Bridge", published=True)
    make_project("draft-road", title="Draft Road", published=False)

    portfolio = tmp_path / "portfolio.pdf"
    result = runner.invoke(args=["reports", "portfolio", "-o", str(portfolio)])
    assert result.exit_code == 0, result.output
    assert "Draft Road" not in pdf_text(portfolio.read_bytes())

    spending = tmp_path / "spending.pdf"
    result = runner.invoke(args=["reports", "spending", "draft-road", "-o", str(spending)])
    assert result.exit_code == 0, result.output
    assert "Draft Road" in pdf_text(spending.read_bytes())

    whole = tmp_path / "all.pdf"
    result = runner.invoke(args=["reports", "spending", "-o", str(whole)])
    assert result.exit_code == 0, result.output
    assert "Draft Road" in pdf_text(whole.read_bytes())


def test_bad_arguments_are_named_and_write_nothing(app, runner, make_project, tmp_path):
    make_project("harbour-bridge", published=True)

    unknown = runner.invoke(args=["reports", "project", "nope", "-o", str(tmp_path / "x.pdf")])
    assert unknown.exit_code != 0
    assert "there is no project with the code 'nope'" in unknown.output

    make_project("draft-road", published=False)
    draft = runner.invoke(args=["reports", "project", "draft-road", "-o", str(tmp_path / "d.pdf")])
    assert draft.exit_code != 0
    assert "project 'draft-road' is not published, so it has no public report" in draft.output

    no_folder = tmp_path / "missing" / "x.pdf"
    result = runner.invoke(args=["reports", "portfolio", "-o", str(no_folder)])
    assert result.exit_code != 0
    assert "does not exist" in result.output

    missing = runner.invoke(args=["reports", "portfolio"])
    assert missing.exit_code != 0
    assert "--output" in missing.output
    assert list(tmp_path.glob("**/*.pdf")) == []
    assert _actions(app) == []
