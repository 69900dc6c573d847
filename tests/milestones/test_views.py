"""Milestone pages: who sees and edits what, the forms, conflicts, evidence and the worklist."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.database import today
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneBaseline, MilestoneUpdate
from tests.documents.samples import png_bytes

NEW = "/manage/projects/metro-line/milestones/new"


def _form(**overrides):
    data = {
        "title": "Commercial close",
        "type": "financing",
        "code": "commercialClose",
        "contract_id": "",
        "baseline_date": "2025-06-30",
        "forecast_date": "2025-08-31",
        "status": "scheduled",
        "percent_complete": "0",
        "weight": "2",
        "planned_value": "1000.00",
    }
    data.update(overrides)
    return data


def _milestone(app, milestone_id):
    with app.app_context():
        milestone = db.session.get(Milestone, milestone_id)
        db.session.expunge(milestone)
        return milestone


def _count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def managed(auth, make_project):
    """A signed-in manager and the published project they manage."""
    manager = auth.login_as(Role.MANAGER)
    project = make_project("metro-line", managers=[manager], published=True)
    return manager, project


def test_manager_adds_a_milestone(client, managed, app):
    response = client.post(NEW, data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        milestone = db.session.scalar(sa.select(Milestone))
        assert (milestone.title, milestone.weight, milestone.approved_at) == (
            "Commercial close",
            2,
            None,
        )
        assert str(milestone.planned_value) == "1000.00"
        assert response.headers["Location"].endswith(
            f"/projects/metro-line/milestones/{milestone.id}"
        )
        events = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Milestone")
        ).all()
        assert events == ["create"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Commercial close" in page and "proposed, not approved yet" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required"),
        ({"percent_complete": "150"}, "between 0 and 100"),
        ({"actual_date": (today() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"status": "met", "actual_date": "2024-01-01", "percent_complete": "60"}, "100 %"),
        ({"weight": "-2"}, "at least 0"),
        ({"planned_value": "-5"}, "at least 0"),
        ({"forecast_date": "not a date"}, "Not a valid date"),
        ({"contract_id": "9999"}, "Not a valid choice"),
    ],
)
def test_bad_input_saves_nothing(client, managed, app, overrides, message):
    response = client.post(NEW, data=_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, Milestone) == 0


def test_who_may_edit(client, auth, make_project, make_user, app, make_milestone):
    owner = make_user(Role.MANAGER)
    make_project("metro-line", managers=[owner], published=True)
    milestone_id = make_milestone("metro-line", baseline_date=date(2025, 1, 1))
    urls = [
        NEW,
        f"/manage/projects/metro-line/milestones/{milestone_id}/edit",
        f"/manage/milestones/{milestone_id}/update",
    ]
    auth.login_as(Role.AUDITOR)
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    assert client.post(NEW, data=_form()).status_code == 403
    auth.logout()
    auth.login_as(Role.MANAGER)  # manages another project
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    assert (
        client.post(f"/manage/projects/metro-line/milestones/{milestone_id}/cancel").status_code
        == 403
    )
    assert (
        client.post(f"/manage/projects/metro-line/milestones/{milestone_id}/approve").status_code
        == 403
    )
    # The project page is readable by anyone who may see the project.
    assert client.get("/projects/metro-line/milestones/").status_code == 200
    assert _count(app, Milestone) == 1
    assert _milestone(app, milestone_id).status.value == "scheduled"


def test_public_sees_only_published_projects(client, make_project, make_milestone):
    make_project("open", published=True)
    make_project("draft")
    open_id = make_milestone("open", baseline_date=date(2025, 1, 1), code="financialClose")
    draft_id = make_milestone("draft")
    page = client.get("/projects/open/milestones/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Timeline as a table" in html and "Financial close" in html
    assert "New milestone" not in html and "Quick update" not in html
    assert client.get(f"/projects/open/milestones/{open_id}").status_code == 200
    assert client.get("/projects/draft/milestones/").status_code == 404
    assert client.get(f"/projects/draft/milestones/{draft_id}").status_code == 404
    assert client.get(f"/projects/open/milestones/{draft_id}").status_code == 404
    # Anonymous users are sent to sign in for the manager pages.
    assert client.get("/manage/my-milestones").status_code in (302, 401)


def test_index_shows_progress_slippage_and_overdue(client, managed, make_milestone):
    past = today() - timedelta(days=40)
    make_milestone(
        "metro-line",
        title="Financial close",
        code="financialClose",
        baseline_date=past,
        forecast_date=past + timedelta(days=12),
        percent_complete=50,
        weight=1,
    )
    make_milestone(
        "metro-line",
        title="Completion",
        code="completion",
        type="delivery",
        percent_complete=100,
        weight=1,
        status="met",
        actual_date=past,
    )
    html = client.get("/projects/metro-line/milestones/").get_data(as_text=True)
    assert "75.0 %" in html
    assert "12 days late" in html
    assert "Overdue" in html
    assert "Key PPP milestones" in html
    assert "New milestone" in html and "Quick update" in html
    assert "Approve" not in html  # managers do not approve


def test_admin_approves_and_rebaselines(client, auth, make_project, make_milestone, app):
    make_project("metro-line", published=True)
    milestone_id = make_milestone("metro-line", baseline_date=date(2025, 1, 31))
    admin = auth.login_as(Role.ADMIN)
    base = f"/manage/projects/metro-line/milestones/{milestone_id}"
    assert "Approve" in client.get("/projects/metro-line/milestones/").get_data(as_text=True)
    response = client.post(f"{base}/approve")
    assert response.status_code == 302
    assert _milestone(app, milestone_id).approved_by_id == admin.id
    # A second approval is refused with a message, not an error page.
    response = client.post(f"{base}/approve", follow_redirects=True)
    assert "already approved" in response.get_data(as_text=True)
    # The edit form cannot move the approved baseline.
    response = client.post(f"{base}/edit", data=_form(baseline_date="2025-03-31", version="2"))
    assert response.status_code == 400
    assert "re-baselines the milestone" in response.get_data(as_text=True)
    assert _milestone(app, milestone_id).baseline_date == date(2025, 1, 31)
    # Re-baseline needs a reason.
    assert client.get(f"{base}/rebaseline").status_code == 200
    version = _milestone(app, milestone_id).version
    response = client.post(
        f"{base}/rebaseline", data={"new_date": "2025-04-30", "reason": "", "version": version}
    )
    assert response.status_code == 400
    response = client.post(
        f"{base}/rebaseline",
        data={"new_date": "2025-04-30", "reason": "Utilities moved late", "version": version},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get(f"/projects/metro-line/milestones/{milestone_id}").get_data(as_text=True)
    assert "Utilities moved late" in html and "2025-01-31" in html
    assert _count(app, MilestoneBaseline) == 2


def test_manager_cannot_approve_or_rebaseline(client, managed, make_milestone, make_user):
    admin = make_user(Role.ADMIN)
    milestone_id = make_milestone("metro-line", baseline_date=date(2025, 1, 31), approve_as=admin)
    base = f"/manage/projects/metro-line/milestones/{milestone_id}"
    assert client.post(f"{base}/approve").status_code == 403
    assert client.get(f"{base}/rebaseline").status_code == 403
    assert (
        client.post(
            f"{base}/rebaseline", data={"new_date": "2026-01-01", "reason": "x"}
        ).status_code
        == 403
    )


def test_edit_conflict_keeps_both_versions_visible(client, managed, make_milestone, app):
    milestone_id = make_milestone("metro-line", title="Commencement")
    url = f"/manage/projects/metro-line/milestones/{milestone_id}/edit"
    assert client.post(url, data=_form(title="First", version="1")).status_code == 302
    response = client.post(url, data=_form(title="Second", version="1"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this record" in html and "Now saved as: First" in html
    assert _milestone(app, milestone_id).title == "First"


def test_two_managers_quick_update_the_same_milestone(app, make_user, make_project, make_milestone):
    from tests.conftest import Auth

    first, second = make_user(Role.MANAGER), make_user(Role.MANAGER)
    make_project("metro-line", managers=[first, second], published=True)
    milestone_id = make_milestone("metro-line", baseline_date=date(2025, 1, 1))
    url = f"/manage/milestones/{milestone_id}/update"
    clients = []
    for user in (first, second):
        c = app.test_client()
        Auth(c, make_user).login(user.email)
        assert 'name="version" type="hidden" value="1"' in c.get(url).get_data(as_text=True)
        clients.append(c)
    data = {"status": "inProgress", "forecast_date": "2025-03-01", "version": "1"}
    response = clients[0].post(url, data={**data, "percent_complete": "30", "note": "A"})
    assert response.status_code == 302
    response = clients[1].post(url, data={**data, "percent_complete": "45", "note": "B"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this record" in html and "Now saved as: 30" in html
    assert _milestone(app, milestone_id).percent_complete == 30
    assert _count(app, MilestoneUpdate) == 1
    # Saving again, deliberately, from the refreshed version works.
    response = clients[1].post(url, data={**data, "percent_complete": "45", "version": "2"})
    assert response.status_code == 302
    assert _milestone(app, milestone_id).percent_complete == 45


def test_quick_update_with_evidence(client, managed, make_milestone, app):
    milestone_id = make_milestone("metro-line", baseline_date=date(2025, 1, 1))
    url = f"/manage/milestones/{milestone_id}/update?next=mine"
    page = client.get(url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    response = client.post(
        url,
        data={
            "status": "met",
            "percent_complete": "100",
            "actual_date": today().isoformat(),
            "note": "Handed over",
            "evidence": (io.BytesIO(png_bytes()), "site.png"),
            "evidence_title": "Site photo",
            "evidence_type": "completionCertificate",
            "version": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/manage/my-milestones")
    with app.app_context():
        document = db.session.scalar(sa.select(Document))
        assert (document.milestone_id, document.title, document.public) == (
            milestone_id,
            "Site photo",
            False,
        )
        update = db.session.scalar(sa.select(MilestoneUpdate))
        assert (update.note, update.percent_complete) == ("Handed over", 100)
        assert {"Milestone", "MilestoneUpdate", "Document"} <= set(
            db.session.scalars(sa.select(AuditEvent.entity_type))
        )
    html = client.get(f"/projects/metro-line/milestones/{milestone_id}").get_data(as_text=True)
    assert f"/documents/{document.id}/download" in html and "Handed over" in html


def test_bad_evidence_saves_nothing(client, managed, make_milestone, app):
    milestone_id = make_milestone("metro-line")
    response = client.post(
        f"/manage/milestones/{milestone_id}/update",
        data={
            "status": "inProgress",
            "percent_complete": "20",
            "evidence": (io.BytesIO(b"<script>alert(1)</script>"), "x.html"),
            "evidence_type": "physicalProgressReport",
            "version": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "not accepted" in response.get_data(as_text=True)
    assert _milestone(app, milestone_id).percent_complete == 0
    assert _count(app, MilestoneUpdate) == 0
    assert _count(app, Document) == 0


def test_quick_update_refuses_future_actual_date(client, managed, make_milestone, app):
    milestone_id = make_milestone("metro-line")
    response = client.post(
        f"/manage/milestones/{milestone_id}/update",
        data={
            "status": "met",
            "percent_complete": "100",
            "version": "1",
            "actual_date": (today() + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert _count(app, MilestoneUpdate) == 0


def test_cancel_and_delete(client, managed, make_milestone, app):
    happened = make_milestone(
        "metro-line", actual_date=date(2024, 1, 1), status="partiallyMet", percent_complete=50
    )
    mistake = make_milestone("metro-line", title="Typo")
    base = "/manage/projects/metro-line/milestones"
    response = client.post(f"{base}/{happened}/delete", follow_redirects=True)
    assert "cancel it instead" in response.get_data(as_text=True)
    assert not _milestone(app, happened).is_deleted
    assert client.post(f"{base}/{happened}/cancel").status_code == 302
    assert _milestone(app, happened).status.value == "cancelled"
    response = client.post(f"{base}/{mistake}/delete")
    assert response.headers["Location"].endswith("/projects/metro-line/milestones/")
    assert _milestone(app, mistake).is_deleted
    assert client.get(f"/projects/metro-line/milestones/{mistake}").status_code == 404


def test_my_milestones_page(client, auth, make_project, make_milestone):
    manager = auth.login_as(Role.MANAGER)
    make_project("metro-line", managers=[manager])
    make_project("elsewhere", published=True)
    now = today()
    late = make_milestone("metro-line", title="Late one", baseline_date=now - timedelta(days=5))
    make_milestone("metro-line", title="Soon one", forecast_date=now + timedelta(days=7))
    make_milestone("elsewhere", title="Not mine", baseline_date=now - timedelta(days=5))
    client.post(
        f"/manage/milestones/{late}/update",
        data={"status": "inProgress", "percent_complete": "5", "version": "1"},
    )
    html = client.get("/manage/my-milestones").get_data(as_text=True)
    assert "Late one" in html and "Soon one" in html and "Not mine" not in html
    assert f"/manage/milestones/{late}/update?next=mine" in html
    assert "Overdue (1)" in html and "Recently updated (1)" in html
    auth.logout()
    auth.login_as(Role.AUDITOR)
    assert client.get("/manage/my-milestones").status_code == 403


def test_forms_render(client, managed, make_milestone, make_contract):
    contract = make_contract("metro-line")
    milestone_id = make_milestone(
        "metro-line", contract_id=contract.id, baseline_date=date(2025, 1, 1)
    )
    assert client.get(NEW).status_code == 200
    html = client.get(f"/manage/projects/metro-line/milestones/{milestone_id}/edit").get_data(
        as_text=True
    )
    assert f'<option selected value="{contract.id}">' in html
    assert 'value="2025-01-01"' in html
    assert client.get("/manage/milestones/999/update").status_code == 404
    assert client.get("/projects/metro-line/milestones/999").status_code == 404
