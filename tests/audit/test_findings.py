"""Findings: raised by auditors, answered by the project's managers, closed by auditors."""

import sqlalchemy as sa

from pptracker.audit.models import AuditEvent, Finding, FindingStatus
from pptracker.auth.models import Role
from pptracker.extensions import db


def _finding(app, finding_id=None):
    with app.app_context():
        stmt = sa.select(Finding)
        if finding_id:
            stmt = stmt.where(Finding.id == finding_id)
        return db.session.scalars(stmt).first()


def test_full_workflow(client, auth, make_project, make_user, app):
    manager = make_user(Role.MANAGER)
    make_project("harbour-bridge", managers=[manager])
    auth.login_as(Role.AUDITOR)
    response = client.post(
        "/audit/findings/new?project=harbour-bridge",
        data={
            "title": "Invoice paid twice",
            "description": "Invoice 2024-17 appears twice.",
            "severity": "high",
            "entity_type": "Project",
            "entity_id": "",
        },
    )
    assert response.status_code == 302
    finding = _finding(app)
    assert finding.status == FindingStatus.OPEN and finding.entity_type == "Project"

    auth.logout()
    auth.login(manager.email)
    listed = client.get("/manage/projects/harbour-bridge/findings").get_data(as_text=True)
    assert "Invoice paid twice" in listed and "1 open" in listed
    client.post(
        f"/audit/findings/{finding.id}/answer",
        data={
            "response": "The second payment was a reversal; see the bank statement.",
            "version": finding.version,
        },
    )
    answered = _finding(app)
    assert answered.status == FindingStatus.ANSWERED
    assert answered.responded_by_id == manager.id

    auth.logout()
    auth.login_as(Role.AUDITOR)
    client.post(
        f"/audit/findings/{finding.id}/close",
        data={"note": "Reversal confirmed.", "version": answered.version},
    )
    closed = _finding(app)
    assert closed.status == FindingStatus.CLOSED and closed.closing_note == "Reversal confirmed."
    page = client.get(f"/audit/findings/{finding.id}").get_data(as_text=True)
    assert "Reversal confirmed." in page and "The second payment was a reversal" in page
    client.post(f"/audit/findings/{finding.id}/reopen", data={"version": closed.version})
    assert _finding(app).status == FindingStatus.ANSWERED
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Finding")
        ).all()
    assert actions == ["create", "update", "update", "finding.reopen", "update"]


def test_bad_finding_input_saves_nothing(client, auth, make_project, app):
    project = make_project("harbour-bridge")
    auth.login_as(Role.AUDITOR)
    empty = client.post(
        "/audit/findings/new?project=harbour-bridge",
        data={"title": "", "description": "x", "severity": "high"},
    )
    assert empty.status_code == 400 and "There is a problem" in empty.get_data(as_text=True)
    bad_severity = client.post(
        "/audit/findings/new?project=harbour-bridge",
        data={"title": "t", "description": "x", "severity": "apocalyptic"},
    )
    assert bad_severity.status_code == 400
    wrong_record = client.post(
        "/audit/findings/new?project=harbour-bridge",
        data={
            "title": "t",
            "description": "x",
            "severity": "low",
            "entity_type": "Party",
            "entity_id": str(project.public_authority_id),
        },
    )
    assert wrong_record.status_code == 400
    assert "There is no Party" in wrong_record.get_data(as_text=True)
    assert client.get("/audit/findings/new?project=nope").status_code == 404
    assert _finding(app) is None


def test_empty_answer_and_answering_a_closed_finding_are_refused(
    client, auth, make_project, make_finding, app
):
    manager = auth.login_as(Role.MANAGER)
    make_project("harbour-bridge", managers=[manager])
    finding = make_finding("harbour-bridge")
    empty = client.post(
        f"/audit/findings/{finding.id}/answer",
        data={"response": "", "version": finding.version},
        follow_redirects=True,
    )
    assert "Answer: This field is required." in empty.get_data(as_text=True)
    assert _finding(app).status == FindingStatus.OPEN
    with app.app_context():
        stored = db.session.get(Finding, finding.id)
        stored.status = FindingStatus.CLOSED
        db.session.commit()
        version = stored.version
    closed = client.post(
        f"/audit/findings/{finding.id}/answer",
        data={"response": "Too late", "version": version},
        follow_redirects=True,
    )
    assert "can no longer be answered" in closed.get_data(as_text=True)
    assert _finding(app).response is None


def test_stale_answer_is_refused(client, auth, make_project, make_finding, app):
    manager = auth.login_as(Role.MANAGER)
    make_project("harbour-bridge", managers=[manager])
    finding = make_finding("harbour-bridge")
    client.post(
        f"/audit/findings/{finding.id}/answer",
        data={"response": "First answer", "version": finding.version},
    )
    stale = client.post(
        f"/audit/findings/{finding.id}/answer",
        data={"response": "Second", "version": finding.version},
        follow_redirects=True,
    )
    assert "Someone else changed this finding" in stale.get_data(as_text=True)
    assert _finding(app).response == "First answer"


def test_findings_list_filters_and_manager_scope(client, auth, make_project, make_finding):
    manager = auth.login_as(Role.MANAGER)
    make_project("mine", managers=[manager])
    make_project("theirs")
    make_finding("mine", title="Finding on mine", severity="low")
    make_finding("theirs", title="Finding on theirs", severity="critical")
    page = client.get("/audit/findings/").get_data(as_text=True)
    assert "Finding on mine" in page and "Finding on theirs" not in page
    auth.logout()
    auth.login_as(Role.AUDITOR)
    everything = client.get("/audit/findings/").get_data(as_text=True)
    assert "Finding on mine" in everything and "Finding on theirs" in everything
    critical = client.get("/audit/findings/?severity=critical").get_data(as_text=True)
    assert "Finding on theirs" in critical and "Finding on mine" not in critical
    by_project = client.get("/audit/findings/?project=mine").get_data(as_text=True)
    assert "Finding on mine" in by_project and "Finding on theirs" not in by_project


def test_project_page_counts_findings(client, auth, make_project, make_finding):
    auth.login_as(Role.AUDITOR)
    make_project("harbour-bridge")
    make_finding("harbour-bridge")
    page = client.get("/manage/projects/harbour-bridge").get_data(as_text=True)
    assert "1 open, 0 answered, 0 closed" in page and "Raise a finding" in page
