"""Who may do what: the grant table, and every role × every route."""

import pytest

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.permissions import PUBLIC_GRANTS, ROLE_GRANTS, Action, can
from tests.conftest import _truncate_all

ROLES = ["anonymous", "manager", "auditor", "admin"]


class Anonymous:
    is_authenticated = False
    is_active = False


def test_admin_may_do_everything_but_audit_and_the_public_only_view():
    assert ROLE_GRANTS[Role.ADMIN] == frozenset(Action) - {
        Action.RAISE_FINDING,
        Action.CLOSE_FINDING,
    }
    assert PUBLIC_GRANTS == {Action.VIEW_PROJECT, Action.DOWNLOAD_DOCUMENT, Action.SEND_FEEDBACK}


@pytest.mark.parametrize("action", list(Action))
def test_auditors_change_no_project_data(action):
    writes = {
        Action.CREATE_PROJECT,
        Action.EDIT_PROJECT,
        Action.DELETE_PROJECT,
        Action.PUBLISH_PROJECT,
        Action.ASSIGN_MANAGERS,
        Action.EDIT_PARTY,
        Action.DELETE_PARTY,
        Action.MANAGE_USERS,
        Action.ANSWER_FINDING,
        Action.EDIT_CONTRACTS,
        Action.MANAGE_DOCUMENTS,
        Action.EDIT_MILESTONES,
        Action.APPROVE_MILESTONE,
        Action.REBASELINE_MILESTONE,
        Action.VIEW_MY_MILESTONES,
        Action.EDIT_BUDGET,
        Action.EDIT_OPERATIONS,
        Action.REPLY_FEEDBACK,
        Action.MODERATE_FEEDBACK,
    }
    assert (action in ROLE_GRANTS[Role.AUDITOR]) is (action not in writes)


def test_only_auditors_raise_and_close_findings():
    for role in Role:
        granted = {Action.RAISE_FINDING, Action.CLOSE_FINDING} <= ROLE_GRANTS[role]
        assert granted is (role == Role.AUDITOR)


def test_inactive_user_has_no_grants(make_user, app):
    user = make_user(Role.ADMIN, active=False)
    assert not can(user, Action.LIST_PROJECTS)


def test_anonymous_sees_only_published_projects(make_project):
    published = make_project(published=True)
    hidden = make_project()
    assert can(Anonymous(), Action.VIEW_PROJECT, published)
    assert not can(Anonymous(), Action.VIEW_PROJECT, hidden)


# (method, url template, expected status for anonymous, manager, auditor, admin).
# "own" is assigned to the signed-in manager; "other" is not, and is unpublished.
MATRIX = [
    ("GET", "/", 200, 200, 200, 200),
    ("GET", "/login", 200, 302, 302, 302),
    ("POST", "/login", 400, 302, 302, 302),
    ("POST", "/logout", 302, 302, 302, 302),
    ("GET", "/manage/projects/", 302, 200, 200, 200),
    ("GET", "/manage/projects/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}", 302, 200, 200, 200),
    ("GET", "/manage/projects/{other}", 302, 404, 200, 200),
    ("GET", "/manage/projects/{own}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/edit", 302, 400, 403, 400),
    ("GET", "/manage/projects/{other}/edit", 302, 404, 403, 200),
    ("GET", "/manage/projects/{published}/edit", 302, 403, 403, 200),
    ("GET", "/manage/projects/{own}/delete", 302, 403, 403, 200),
    ("POST", "/manage/projects/{own}/delete", 302, 403, 403, 302),
    ("POST", "/manage/projects/{own}/publication", 302, 403, 403, 302),
    ("POST", "/manage/projects/{own}/managers", 302, 403, 403, 302),
    ("GET", "/manage/parties/", 302, 200, 200, 200),
    ("GET", "/manage/parties/new", 302, 200, 403, 200),
    ("POST", "/manage/parties/new", 302, 400, 403, 400),
    ("GET", "/manage/parties/{party}", 302, 200, 200, 200),
    ("GET", "/manage/parties/{party}/edit", 302, 200, 403, 200),
    ("POST", "/manage/parties/{party}/edit", 302, 400, 403, 400),
    ("POST", "/manage/parties/{party}/delete", 302, 403, 403, 302),
    ("GET", "/admin/users/", 302, 403, 403, 200),
    ("GET", "/admin/users/new", 302, 403, 403, 200),
    ("POST", "/admin/users/new", 302, 403, 403, 400),
    ("GET", "/admin/users/{user}/edit", 302, 403, 403, 200),
    ("POST", "/admin/users/{user}/edit", 302, 403, 403, 400),
    ("GET", "/admin/users/{user}/history", 302, 403, 200, 200),
    ("GET", "/manage/projects/{own}/history", 302, 200, 200, 200),
    ("GET", "/manage/projects/{other}/history", 302, 404, 200, 200),
    ("GET", "/manage/projects/{published}/history", 302, 403, 200, 200),
    ("GET", "/manage/projects/{own}/findings", 302, 200, 200, 200),
    ("GET", "/manage/projects/{published}/findings", 302, 403, 200, 200),
    ("GET", "/manage/parties/{party}/history", 302, 403, 200, 200),
    ("GET", "/audit/", 302, 403, 200, 200),
    ("GET", "/audit/events/1", 302, 403, 200, 200),
    ("GET", "/audit/export.csv", 302, 403, 200, 200),
    ("GET", "/audit/export.json", 302, 403, 200, 200),
    ("GET", "/audit/chain", 302, 403, 200, 200),
    ("POST", "/audit/chain/verify", 302, 403, 302, 302),
    ("GET", "/audit/findings/", 302, 200, 200, 200),
    ("GET", "/audit/findings/new?project={own}", 302, 403, 200, 403),
    ("POST", "/audit/findings/new?project={own}", 302, 403, 400, 403),
    ("GET", "/audit/findings/{finding}", 302, 200, 200, 200),
    ("GET", "/audit/findings/{other_finding}", 302, 404, 200, 200),
    ("POST", "/audit/findings/{finding}/answer", 302, 302, 403, 302),
    ("POST", "/audit/findings/{other_finding}/answer", 302, 404, 403, 302),
    ("POST", "/audit/findings/{finding}/close", 302, 403, 302, 403),
    ("POST", "/audit/findings/{finding}/reopen", 302, 403, 302, 403),
    ("GET", "/projects/{own}/contracts/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/contracts/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/contracts/{contract}", 404, 200, 200, 200),
    ("GET", "/manage/projects/{own}/contracts/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/contracts/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{published}/contracts/new", 302, 403, 403, 200),
    ("GET", "/manage/projects/{own}/contracts/{contract}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/contracts/{contract}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/contracts/{contract}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/contracts/{contract}/history", 302, 200, 200, 200),
    ("GET", "/manage/projects/{own}/contracts/{contract}/amendments/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/contracts/{contract}/amendments/new", 302, 400, 403, 400),
    (
        "POST",
        "/manage/projects/{own}/contracts/{contract}/amendments/{amendment}/confidentiality",
        302,
        302,
        403,
        302,
    ),
    ("GET", "/manage/projects/{own}/contracts/{contract}/risks/new", 302, 200, 403, 200),
    ("GET", "/manage/projects/{own}/contracts/{contract}/risks/{risk}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/contracts/{contract}/risks/{risk}/delete", 302, 302, 403, 302),
    # Fields a POST leaves out keep their saved values, so this edit saves.
    ("POST", "/manage/projects/{own}/contracts/{contract}/risks/{risk}/edit", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/commitments/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/commitments/{commitment}/edit", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/commitments/{commitment}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/commitments/{commitment}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/documents/", 302, 200, 200, 200),
    ("GET", "/manage/projects/{other}/documents/", 302, 404, 200, 200),
    ("GET", "/manage/projects/{published}/documents/", 302, 200, 200, 200),
    ("POST", "/manage/projects/{own}/documents/", 302, 400, 403, 400),
    ("POST", "/manage/projects/{published}/documents/", 302, 403, 403, 400),
    ("GET", "/manage/documents/{document}/edit", 302, 200, 403, 200),
    ("POST", "/manage/documents/{document}/edit", 302, 400, 403, 400),
    ("GET", "/manage/documents/{public_document}/edit", 302, 403, 403, 200),
    ("POST", "/manage/documents/{document}/delete", 302, 302, 403, 302),
    ("GET", "/documents/{document}/download", 404, 200, 200, 200),
    ("GET", "/documents/{public_document}/download", 200, 200, 200, 200),
    ("GET", "/projects/{own}/milestones/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/milestones/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/milestones/{milestone}", 404, 200, 200, 200),
    ("GET", "/manage/projects/{own}/milestones/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/milestones/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{published}/milestones/new", 302, 403, 403, 200),
    ("GET", "/manage/projects/{own}/milestones/{milestone}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/milestones/{milestone}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/milestones/{milestone}/approve", 302, 403, 403, 302),
    ("GET", "/manage/projects/{own}/milestones/{milestone}/rebaseline", 302, 403, 403, 200),
    ("POST", "/manage/projects/{own}/milestones/{milestone}/rebaseline", 302, 403, 403, 400),
    ("POST", "/manage/projects/{own}/milestones/{milestone}/cancel", 302, 302, 403, 302),
    ("POST", "/manage/projects/{own}/milestones/{milestone}/delete", 302, 302, 403, 302),
    ("GET", "/manage/milestones/{milestone}/update", 302, 200, 403, 200),
    ("POST", "/manage/milestones/{milestone}/update", 302, 400, 403, 400),
    ("GET", "/manage/my-milestones", 302, 200, 403, 200),
    ("GET", "/milestones/template.csv", 302, 200, 403, 200),
    ("GET", "/projects/{own}/milestones.csv", 404, 200, 200, 200),
    ("GET", "/projects/{other}/milestones.csv", 404, 404, 200, 200),
    ("GET", "/projects/{published}/milestones.csv", 200, 200, 200, 200),
    ("GET", "/manage/projects/{own}/milestones/import", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/milestones/import", 302, 400, 403, 400),
    ("GET", "/manage/projects/{other}/milestones/import", 302, 404, 403, 200),
    ("GET", "/manage/projects/{published}/milestones/import", 302, 403, 403, 200),
    ("GET", "/projects/{own}/budget/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/budget/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/budget/transactions", 404, 200, 200, 200),
    ("GET", "/manage/projects/{own}/budget/lines/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/budget/lines/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/budget/lines/{line}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/budget/lines/{line}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/budget/lines/{line}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/budget/transactions/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/budget/transactions/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/budget/transactions/{transaction}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/budget/transactions/{transaction}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/budget/transactions/{transaction}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{published}/budget/lines/new", 302, 403, 403, 200),
    ("GET", "/audit/spending/", 302, 403, 200, 200),
    ("GET", "/audit/spending/export.csv", 302, 403, 200, 200),
    ("GET", "/audit/flags/", 302, 403, 200, 200),
    ("GET", "/projects/{published}/report.pdf", 200, 200, 200, 200),
    ("GET", "/projects/{own}/report.pdf", 404, 404, 404, 404),
    ("GET", "/reports/portfolio.pdf", 200, 200, 200, 200),
    ("GET", "/projects/", 200, 200, 200, 200),
    ("GET", "/projects/?q=zzz&sort=nonsense", 400, 400, 400, 400),
    ("GET", "/projects/{published}", 200, 200, 200, 200),
    ("GET", "/projects/{own}", 404, 404, 404, 404),
    ("GET", "/opendata/", 200, 200, 200, 200),
    ("GET", "/opendata/{table}.csv", 200, 200, 200, 200),
    ("GET", "/opendata/{table}.json", 200, 200, 200, 200),
    ("GET", "/opendata/nonsense.csv", 404, 404, 404, 404),
    ("GET", "/opendata/oc4ids.json", 200, 200, 200, 200),
    ("GET", "/projects/{published}/oc4ids.json", 200, 200, 200, 200),
    ("GET", "/projects/{own}/oc4ids.json", 404, 404, 404, 404),
    ("GET", "/projects/{published}/feedback", 200, 200, 200, 200),
    ("GET", "/projects/{own}/feedback", 404, 404, 404, 404),
    ("POST", "/projects/{published}/feedback", 400, 400, 400, 400),
    ("POST", "/projects/{own}/feedback", 404, 404, 404, 404),
    ("GET", "/manage/feedback/", 302, 200, 200, 200),
    ("GET", "/manage/feedback/{feedback}", 302, 200, 200, 200),
    ("GET", "/manage/feedback/{other_feedback}", 302, 404, 200, 200),
    ("POST", "/manage/feedback/{feedback}/reply", 302, 400, 403, 400),
    ("POST", "/manage/feedback/{other_feedback}/reply", 302, 404, 403, 400),
    ("POST", "/manage/feedback/{feedback}/hide", 302, 403, 403, 400),
    ("POST", "/manage/feedback/{feedback}/publish", 302, 403, 403, 400),
    ("GET", "/audit/reports/spending.pdf", 302, 403, 200, 200),
    ("GET", "/audit/reports/spending.pdf?project={own}", 302, 403, 200, 200),
    ("GET", "/budget/template.csv", 302, 200, 403, 200),
    ("GET", "/manage/projects/{own}/budget/import", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/budget/import", 302, 400, 403, 400),
    ("GET", "/projects/{own}/operations/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/operations/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/operations/kpis/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/operations/kpis/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/operations/kpis/{kpi}", 404, 200, 200, 200),
    ("GET", "/projects/{own}/operations/failures/", 404, 200, 200, 200),
    ("GET", "/projects/{own}/operations/kpi-observations.csv", 404, 200, 200, 200),
    ("GET", "/operations/kpi-observations-template.csv", 200, 200, 200, 200),
    ("GET", "/manage/projects/{own}/operations/kpis/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/kpis/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/kpis/{kpi}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/kpis/{kpi}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/operations/kpis/{kpi}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/operations/kpis/{kpi}/observations/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/kpis/{kpi}/observations/new", 302, 400, 403, 400),
    (
        "GET",
        "/manage/projects/{own}/operations/observations/{observation}/edit",
        302,
        200,
        403,
        200,
    ),
    (
        "POST",
        "/manage/projects/{own}/operations/observations/{observation}/edit",
        302,
        400,
        403,
        400,
    ),
    (
        "POST",
        "/manage/projects/{own}/operations/observations/{observation}/delete",
        302,
        302,
        403,
        302,
    ),
    ("GET", "/manage/projects/{own}/operations/kpis/record", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/kpis/record", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/kpis/import", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/kpis/import", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/failures/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/failures/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/failures/{failure}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/failures/{failure}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/operations/failures/{failure}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{published}/operations/kpis/new", 302, 403, 403, 200),
    ("GET", "/projects/{own}/operations/payments/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/operations/payments/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/operations/payments.csv", 404, 200, 200, 200),
    ("GET", "/operations/payment-schedule-template.csv", 302, 200, 403, 200),
    ("GET", "/manage/projects/{own}/operations/payments/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/payments/new", 302, 400, 403, 400),
    (
        "GET",
        "/manage/projects/{own}/operations/payments/{scheduled_payment}/edit",
        302,
        200,
        403,
        200,
    ),
    (
        "POST",
        "/manage/projects/{own}/operations/payments/{scheduled_payment}/edit",
        302,
        400,
        403,
        400,
    ),
    (
        "POST",
        "/manage/projects/{own}/operations/payments/{scheduled_payment}/delete",
        302,
        302,
        403,
        302,
    ),
    ("GET", "/manage/projects/{own}/operations/payments/series", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/payments/series", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/payments/import", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/payments/import", 302, 400, 403, 400),
    ("GET", "/manage/projects/{published}/operations/payments/new", 302, 403, 403, 200),
    ("GET", "/projects/{own}/operations/tariffs/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/operations/tariffs/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/operations/tariffs/{tariff}", 404, 200, 200, 200),
    ("GET", "/projects/{own}/operations/tariffs.csv", 404, 200, 200, 200),
    ("GET", "/manage/projects/{own}/operations/tariffs/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/tariffs/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/tariffs/{tariff}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/tariffs/{tariff}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/operations/tariffs/{tariff}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/operations/tariffs/{tariff}/rates/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/tariffs/{tariff}/rates/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/tariffs/import", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/tariffs/import", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/tariffs/template.csv", 302, 200, 403, 200),
    ("GET", "/manage/projects/{published}/operations/tariffs/new", 302, 403, 403, 200),
    ("GET", "/projects/{own}/operations/demand/", 404, 200, 200, 200),
    ("GET", "/projects/{published}/operations/demand/", 200, 200, 200, 200),
    ("GET", "/projects/{own}/operations/demand.csv", 404, 200, 200, 200),
    ("GET", "/manage/projects/{own}/operations/demand/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/demand/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/demand/{series}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/demand/{series}/edit", 302, 400, 403, 400),
    ("POST", "/manage/projects/{own}/operations/demand/{series}/delete", 302, 302, 403, 302),
    ("GET", "/manage/projects/{own}/operations/demand/{series}/years", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/demand/{series}/years", 302, 400, 403, 400),
    (
        "POST",
        "/manage/projects/{own}/operations/demand/{series}/years/{demand_value}/delete",
        302,
        302,
        403,
        302,
    ),
    ("GET", "/manage/projects/{own}/operations/demand/import", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/operations/demand/import", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}/operations/demand/template.csv", 302, 200, 403, 200),
    ("GET", "/manage/projects/{published}/operations/demand/new", 302, 403, 403, 200),
]


def _build_world(role, app, auth, make_user, make_project, make_party, make_finding, tmp_path):
    """Sign in as ``role`` and create the records the URLs name; return their ids."""
    user = None if role == "anonymous" else auth.make_user(role)
    managers = [user] if role == "manager" else []
    ids = {
        "own": make_project("own-project", managers=managers).code,
        "other": make_project("other-project").code,
        "published": make_project("published-project", published=True).code,
        "party": make_party("Unused party").id,
        "user": make_user(Role.AUDITOR).id,
    }
    ids["finding"] = make_finding("own-project").id
    ids["other_finding"] = make_finding("other-project").id
    ids.update(_contract_records(app, "own-project"))
    ids["milestone"] = _milestone(app, "own-project")
    ids.update(_budget_records(app, "own-project"))
    ids.update(_operations_records(app, ids["contract"]))
    app.config["DOCUMENTS_DIR"] = str(tmp_path / "documents")
    ids["document"] = _document(app, make_user, "own-project", "internal", public=False)
    ids["public_document"] = _document(app, make_user, "published-project", "public", public=True)
    ids["table"] = "projects"
    ids["feedback"] = _feedback(app, "own-project")
    ids["other_feedback"] = _feedback(app, "other-project")
    if user is not None:
        assert auth.login(user.email).status_code == 302
    return ids


@pytest.fixture
def world(app, auth, make_user, make_project, make_party, make_finding, request, tmp_path):
    """Sign in as the role under test and create the records the URLs name.

    Also gives ``rebuild()``: empty the database and build the world again.
    """
    role = request.param
    args = (app, auth, make_user, make_project, make_party, make_finding, tmp_path)

    def rebuild():
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                _truncate_all()
            else:
                db.drop_all()
                db.create_all()
        auth.logout()
        return _build_world(role, *args)

    return role, _build_world(role, *args), rebuild


def _feedback(app, code) -> int:
    from pptracker.extensions import db
    from pptracker.feedback.models import Feedback, FeedbackCategory, FeedbackStatus
    from pptracker.projects.queries import get_project

    with app.app_context():
        feedback = Feedback(
            project_id=get_project(code).id,
            category=FeedbackCategory.QUESTION,
            message="When will the works start?",
            status=FeedbackStatus.PUBLISHED,
            client_hash="0" * 64,
        )
        db.session.add(feedback)
        db.session.commit()
        return feedback.id


def _document(app, make_user, code, key, *, public) -> int:
    import io

    from werkzeug.datastructures import FileStorage

    from pptracker.documents.services import DocumentData, upload_document
    from pptracker.extensions import db
    from pptracker.projects.queries import get_project
    from tests.documents.samples import pdf_bytes

    uploader = make_user(Role.ADMIN)
    with app.app_context():
        document = upload_document(
            get_project(code),
            FileStorage(io.BytesIO(pdf_bytes(key)), filename=f"{key}.pdf"),
            DocumentData(title=key, document_type="contractSigned", public=public),
            uploader=uploader,
        )
        db.session.commit()
        return document.id


def _budget_records(app, code) -> dict:
    from datetime import date
    from decimal import Decimal

    from pptracker.budgets import services as bs
    from pptracker.budgets.models import BudgetCategory, TransactionKind
    from pptracker.extensions import db
    from pptracker.projects.queries import get_project

    with app.app_context():
        project = get_project(code)
        line = bs.create_budget_line(
            project,
            bs.BudgetLineData(
                code="CAP-01",
                name="Works",
                category=BudgetCategory.CAPEX,
                planned_amount=Decimal("1000.00"),
            ),
        )
        tx = bs.record_transaction(
            project,
            bs.TransactionData(
                kind=TransactionKind.COMMITMENT,
                transaction_date=date(2024, 1, 1),
                amount=Decimal("10.00"),
                currency=project.currency,
            ),
            actor=None,
        )
        db.session.commit()
        return {"line": line.id, "transaction": tx.id}


def _operations_records(app, contract_id) -> dict:
    from datetime import date
    from decimal import Decimal

    from pptracker.contracts.models import Contract
    from pptracker.extensions import db
    from pptracker.operations import models as m

    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        common = {"project_id": contract.project_id, "contract_id": contract.id}
        kpi = m.Kpi(
            **common,
            code="AV-1",
            name="Availability",
            category=m.FailureCategory.AVAILABILITY,
            unit=m.KpiUnit.PERCENT,
            comparison=m.Comparison.AT_LEAST,
            target=Decimal("98"),
            frequency=m.Frequency.MONTHLY,
            source=m.KpiSource.OPERATOR,
        )
        observation = m.KpiObservation(
            kpi=kpi,
            project_id=contract.project_id,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 1, 31),
            value=Decimal("99"),
            met=True,
            source=m.KpiSource.OPERATOR,
        )
        failure = m.PerformanceFailure(
            **common,
            category=m.FailureCategory.SAFETY,
            period_start=date(2024, 2, 1),
            period_end=date(2024, 2, 29),
            events=1,
            penalty_contracted=Decimal("10.00"),
            penalty_imposed=Decimal("10.00"),
            penalty_paid=Decimal("0.00"),
            currency="EUR",
        )
        payment = m.ScheduledPayment(
            **common,
            type=m.PaymentType.AVAILABILITY_PAYMENT,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 1, 31),
            gross_amount=Decimal("100.00"),
            currency="EUR",
        )
        tariff = m.Tariff(
            **common,
            code="T-1",
            title="Toll",
            paid_by=m.PaidBy.USER,
            unit="per trip",
            currency="EUR",
        )
        tariff.rates.append(
            m.TariffRate(
                project_id=contract.project_id,
                effective_from=date(2021, 1, 1),
                value=Decimal("2.5"),
                reason="Contract tariff",
            )
        )
        series = m.DemandSeries(
            **common, metric=m.Metric.DEMAND, name="Traffic", unit="vehicle-trips"
        )
        value = m.DemandValue(
            series=series, project_id=contract.project_id, year=2024, forecast=Decimal("10")
        )
        db.session.add_all([kpi, observation, failure, payment, tariff, series, value])
        db.session.commit()
        return {
            "kpi": kpi.id,
            "observation": observation.id,
            "failure": failure.id,
            "scheduled_payment": payment.id,
            "tariff": tariff.id,
            "series": series.id,
            "demand_value": value.id,
        }


def _milestone(app, code) -> int:
    from datetime import date

    from pptracker.extensions import db
    from pptracker.milestones.services import MilestoneData, create_milestone
    from pptracker.projects.queries import get_project

    with app.app_context():
        milestone = create_milestone(
            get_project(code),
            MilestoneData(
                title="Financial close",
                type="financing",
                code="financialClose",
                baseline_date=date(2030, 1, 1),
            ),
            actor=None,
        )
        db.session.commit()
        return milestone.id


def _contract_records(app, code) -> dict:
    """A contract with an amendment, a risk row and a commitment on project ``code``."""
    from datetime import date
    from decimal import Decimal

    from pptracker.contracts import services as cs
    from pptracker.contracts.models import (
        Allocation,
        AmendmentType,
        CommitmentNature,
        CommitmentType,
        ContractStatus,
        PaymentMechanism,
    )
    from pptracker.extensions import db
    from pptracker.projects.queries import get_project

    with app.app_context():
        project = get_project(code)
        contract = cs.create_contract(
            project,
            cs.ContractData(
                reference="C-1",
                title="Concession",
                status=ContractStatus.ACTIVE,
                payment_mechanism=PaymentMechanism.HYBRID,
                initial_value=Decimal("100.00"),
                currency="EUR",
                signature_date=date(2020, 1, 1),
            ),
        )
        amendment = cs.add_amendment(
            contract,
            cs.AmendmentData(
                amended_on=date(2021, 1, 1),
                type=AmendmentType.VALUE,
                rationale="Why",
                approved_by="Board",
                approved_on=date(2021, 1, 1),
                new_value=Decimal("110.00"),
            ),
            recorder=None,
        )
        risk = cs.add_risk(
            contract, cs.RiskData(category="construction", allocation=Allocation.PRIVATE)
        )
        commitment = cs.add_commitment(
            project,
            cs.CommitmentData(
                type=CommitmentType.GUARANTEE,
                nature=CommitmentNature.CONTINGENT,
                max_exposure=Decimal("5.00"),
                currency="EUR",
            ),
        )
        db.session.commit()
        return {
            "contract": contract.id,
            "amendment": amendment.id,
            "risk": risk.id,
            "commitment": commitment.id,
        }


#: Reading changes nothing another request sees, so one world serves every GET of a role;
#: each write gets a fresh world. (A world takes a third of a second to build.)
READS = [row for row in MATRIX if row[0] == "GET"]
WRITES = [row for row in MATRIX if row[0] != "GET"]


def _refusal(role, url, expected, response) -> str | None:
    """Say how ``response`` differs from what ``role`` should get, or None."""
    response.get_data()  # read streamed bodies to the end, which releases their connection
    if response.status_code != expected:
        body = response.get_data(as_text=True)[:300]
        return f"{url}: expected {expected}, got {response.status_code}: {body}"
    if expected == 302 and role == "anonymous" and url.startswith(("/manage", "/admin")):
        if not response.headers["Location"].startswith("/login?next="):
            return f"{url}: redirected to {response.headers['Location']}, not to sign-in"
    return None


@pytest.mark.parametrize("world", ROLES, indirect=True)
def test_read_route_permissions(world, client):
    role, ids, _rebuild = world
    column = ROLES.index(role)
    wrong = [
        problem
        for _method, url, *expected in READS
        if (problem := _refusal(role, url, expected[column], client.get(url.format(**ids))))
    ]
    assert not wrong, f"{len(wrong)} GET route(s) answer {role} wrongly:\n" + "\n".join(wrong)


@pytest.mark.parametrize("world", ROLES, indirect=True)
def test_write_route_permissions(world, client):
    """Every write route, as the role under test.

    A refused write changes nothing, so the writes share one world; after a
    write that may have changed it (a redirect after success), the next gets
    a fresh one. A refused write that changed data anyway still fails here,
    by its status.
    """
    role, ids, rebuild = world
    column = ROLES.index(role)
    # A non-empty body: Flask-WTF treats an empty POST as "not submitted".
    body = dict.fromkeys(("title", "name", "email", "code"), "")
    wrong = []
    for method, url, *expected in WRITES:
        response = client.open(url.format(**ids), method=method, data=body)
        if problem := _refusal(role, url, expected[column], response):
            wrong.append(f"{method} {problem}")
        if role != "anonymous" and response.status_code == 302:
            ids = rebuild()
    assert not wrong, f"{len(wrong)} write route(s) answer {role} wrongly:\n" + "\n".join(wrong)


def test_matrix_covers_every_route(app):
    adapter = app.url_map.bind("localhost")
    sample = {
        "own": "a",
        "other": "a",
        "published": "a",
        "party": 1,
        "user": 1,
        "finding": 1,
        "other_finding": 1,
        "contract": 1,
        "amendment": 1,
        "risk": 1,
        "commitment": 1,
        "document": 1,
        "public_document": 1,
        "milestone": 1,
        "line": 1,
        "transaction": 1,
        "kpi": 1,
        "observation": 1,
        "failure": 1,
        "scheduled_payment": 1,
        "tariff": 1,
        "series": 1,
        "demand_value": 1,
        "feedback": 1,
        "other_feedback": 1,
        "table": "projects",
    }
    covered = {
        (method, adapter.match(url.format(**sample).split("?")[0], method=method)[0])
        for method, url, *_ in MATRIX
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "bootstrap.static"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.endpoint) in covered, f"{method} {rule.rule} is not in the matrix"
