"""Every public report of the demo portfolio, read back: nothing confidential or unpublished."""

import sqlalchemy as sa

from pptracker.extensions import db
from pptracker.projects.models import Project
from tests.demo_secrets import leaks, secrets
from tests.reports.conftest import pdf_text


def test_no_public_report_of_the_demo_shows_a_confidential_or_unpublished_item(app, runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        withheld = secrets()
        published = db.session.scalars(
            sa.select(Project.code).where(Project.published, Project.is_deleted.is_(False))
        ).all()
    assert len(withheld) >= 5
    assert withheld["Bulk treated water, industrial offtaker"].startswith("confidential tariff")
    assert published

    reports = {"portfolio": pdf_text(client.get("/reports/portfolio.pdf").data)}
    for code in published:
        response = client.get(f"/projects/{code}/report.pdf")
        assert response.status_code == 200, code
        reports[code] = pdf_text(response.data)

    assert leaks({f"the {name} report": text for name, text in reports.items()}, withheld) == []
    # What was withheld is announced, not silently dropped.
    assert any("Withheld" in text for text in reports.values())
