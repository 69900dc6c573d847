"""The demo portfolio loads once, through the services, and signs in."""

import sqlalchemy as sa

from pptracker.auth.models import User
from pptracker.extensions import db
from pptracker.projects.models import Party, Project


def _counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (User, Party, Project)
        )


def test_demo_load_is_idempotent(runner, app):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    created = (
        "4 users, 23 parties, 12 projects, 9 contracts, 32 milestones, 11 budgets, 6 documents, "
        "3 findings and 6 feedback messages created"
    )
    assert created in first.output
    assert "Operations: 3 projects in operation, 10 KPIs with " in first.output
    assert "64 scheduled payments, 4 tariffs and 4 demand and revenue series created" in (
        first.output
    )
    assert "admin@example.org" in first.output and "demo-password-for-tests" in first.output
    counts = _counts(app)
    second = runner.invoke(args=["demo", "load"])
    nothing = (
        "0 users, 0 parties, 0 projects, 0 contracts, 0 milestones, 0 budgets, 0 documents, "
        "0 findings and 0 feedback messages created"
    )
    assert nothing in second.output
    assert "Operations: 0 projects in operation, 0 KPIs with 0 observations" in second.output
    assert _counts(app) == counts
    with app.app_context():
        published = db.session.scalar(sa.select(sa.func.count()).where(Project.published))
        currencies = set(db.session.scalars(sa.select(Project.currency)))
        sectors = set(db.session.scalars(sa.select(Project.sector)))
    assert 0 < published < counts[2]
    assert len(currencies) >= 4 and len(sectors) >= 8


def test_demo_load_if_empty_leaves_existing_data_alone(runner, app, make_project):
    make_project()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "nothing loaded" in result.output
    assert _counts(app)[2] == 1


def test_demo_users_can_sign_in(runner, client, app):
    runner.invoke(args=["demo", "load"])
    for email in ("admin@example.org", "manager@example.org", "auditor@example.org"):
        response = client.post(
            "/login", data={"email": email, "password": app.config["DEMO_PASSWORD"]}
        )
        assert response.status_code == 302, email
        client.post("/logout")
    manager_page = None
    client.post(
        "/login", data={"email": "manager@example.org", "password": app.config["DEMO_PASSWORD"]}
    )
    manager_page = client.get("/manage/projects/?mine=1").get_data(as_text=True)
    assert "Coastal Expressway Toll Road" in manager_page
    assert "Bayport Container Terminal" not in manager_page


def test_home_shows_only_published_demo_projects(runner, client):
    runner.invoke(args=["demo", "load"])
    home = client.get("/").get_data(as_text=True)
    assert "Coastal Expressway Toll Road" in home
    assert "Epirus Highland Wind Park" not in home  # not published


def test_demo_milestones_cover_every_case(runner, app):
    from pptracker.milestones.models import Milestone, MilestoneBaseline, MilestoneStatus

    runner.invoke(args=["demo", "load"])
    with app.app_context():
        milestones = db.session.scalars(sa.select(Milestone)).all()
        projects = set(db.session.scalars(sa.select(Project.id)))
        rebaselined = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(MilestoneBaseline.milestone_id))).where(
                MilestoneBaseline.reason.isnot(None)
            )
        )
    assert {m.project_id for m in milestones} == projects  # every project has milestones
    met = [m for m in milestones if m.status == MilestoneStatus.MET]
    assert any(m.actual_date <= m.baseline_date for m in met)  # on time
    assert any(m.actual_date > m.baseline_date for m in met)  # late
    assert rebaselined >= 2
    today = __import__("pptracker.database", fromlist=["today"]).today()
    assert any(
        m.status not in (MilestoneStatus.MET, MilestoneStatus.CANCELLED)
        and (m.forecast_date or m.baseline_date) < today
        for m in milestones
    )  # overdue


def test_demo_portfolio_raises_every_red_flag(runner, app):
    from pptracker.budgets.flags import FlagKind, portfolio_flags

    runner.invoke(args=["demo", "load"])
    with app.app_context():
        kinds = {flag.kind for flag in portfolio_flags()}
    # Every kind but "over the contract's value", which the demo keeps honest.
    assert kinds >= set(FlagKind) - {FlagKind.OVER_CONTRACT_VALUE}


def test_demo_feedback_covers_every_case_once(runner, app, client):
    from pptracker.auth.models import User
    from pptracker.feedback import queries
    from pptracker.feedback.models import Feedback, FeedbackStatus

    runner.invoke(args=["demo", "load"])
    with app.app_context():
        rows = db.session.scalars(sa.select(Feedback)).all()
        answered = {f.id for f in rows if f.replies}
        manager = db.session.scalar(sa.select(User).where(User.email == "manager@example.org"))
        overdue = queries.awaiting_reply_count(manager)
        published_codes = set(db.session.scalars(sa.select(Project.code).where(Project.published)))
        codes = {f.project.code for f in rows}
    statuses = [f.status for f in rows]
    assert codes <= published_codes
    assert FeedbackStatus.PENDING in statuses
    assert any(f.status == FeedbackStatus.HIDDEN and f.hidden_reason for f in rows)
    assert any(f.status == FeedbackStatus.PUBLISHED and f.id in answered for f in rows)
    assert any(f.milestone_id is not None and f.status == FeedbackStatus.PUBLISHED for f in rows)
    assert overdue == 1  # the pothole report on the Coastal Expressway
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == len(rows)
    page = client.get("/projects/coastal-toll-road").get_data(as_text=True)
    assert "Awaiting a reply since" in page and "Reply from the project team" in page
    assert "joana.s@example.org" not in page and "Joana S." in page
    assert "Will the service area at Vagos" not in page  # pending
    assert "toll plaza on Tuesday night" not in page  # hidden
