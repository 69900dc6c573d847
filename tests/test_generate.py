"""``flask demo generate``: a bulk portfolio the app accepts, with an audit chain that verifies."""

import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit import capture
from pptracker.audit.models import AuditEvent
from pptracker.budgets.models import BudgetLine, Transaction
from pptracker.contracts.models import Amendment, Contract, ContractParty
from pptracker.database import today
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneBaseline, MilestoneUpdate
from pptracker.projects.models import Party, Project

SMALL = ["demo", "generate", "--projects", "12", "--milestones", "60", "--transactions", "300"]


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _verify(runner) -> int:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"OK \d+ [0-9a-f]{64}", last), last
    return int(last.split()[1])


@pytest.fixture
def generated(app, runner):
    """The small portfolio, generated; returns the command's output."""
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 0, result.output
    return result.output


def test_counts_match_and_the_chain_verifies(app, runner, generated):
    assert "Generated 12 projects, 60 milestones, 300 transactions" in generated
    assert "10%: " in generated  # progress, on stderr
    events = int(re.search(r"([\d,]+) audit events in [\d.]+ s", generated)[1].replace(",", ""))
    with app.app_context():
        assert (_count(Project), _count(Milestone), _count(Transaction)) == (12, 60, 300)
        assert _count(AuditEvent) == events
        records = sum(
            _count(m)
            for m in (
                Party,
                Project,
                Contract,
                ContractParty,
                Amendment,
                BudgetLine,
                Milestone,
                MilestoneBaseline,
                MilestoneUpdate,
                Transaction,
            )
        )
        updates = _count(MilestoneUpdate)
        assert updates > 0
        # One create per record, one milestone update per progress report.
        assert events == records + updates
        assert 1.4 < events / (records - updates) < 1.8
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Project.status)))) >= 3
        published = _count(sa.select(Project).where(Project.published).subquery())
        assert 6 <= published <= 12
    assert _verify(runner) == events


def test_the_apps_next_writes_continue_the_chain(app, runner, generated, make_project):
    verified = _verify(runner)  # which records an event of its own
    make_project("after-generate", published=True)  # new ids come after the generated ones
    assert _verify(runner) > verified + 2
    with app.app_context():
        milestone = db.session.scalar(sa.select(Milestone).order_by(Milestone.id.desc()).limit(1))
        milestone.title = "Renamed after generation"
        db.session.commit()
    _verify(runner)


def test_create_events_are_what_the_app_records(app, generated):
    """Each model's create event: the same changes, summary and project as the listeners'."""
    models = (Party, Project, Contract, ContractParty, Amendment, BudgetLine)
    models += (Milestone, MilestoneBaseline, MilestoneUpdate, Transaction)
    with app.app_context():
        checked = 0
        for model in models:
            query = sa.select(model).order_by(model.id).limit(1)
            if model is Milestone:  # progress reports change it after its create event
                query = query.where(Milestone.version == 1)
            if model is Transaction:  # a foreign rate reads back with eight decimals
                query = query.where(Transaction.rate == Decimal(1))
            obj = db.session.scalar(query)
            if obj is None:
                assert model is Amendment  # a small portfolio may have none
                continue
            event = db.session.scalar(
                sa.select(AuditEvent).where(
                    AuditEvent.entity_type == model.__name__,
                    AuditEvent.entity_id == obj.id,
                    AuditEvent.action == "create",
                )
            )
            expected = capture.jsonable(capture._diff(obj, creating=True))
            assert event.changes == expected, model.__name__
            assert event.summary == f"Created {capture.describe(obj)}"
            assert event.project_id == capture.project_id_of(obj)
            assert event.actor == "cli:demo generate"
            checked += 1
        assert checked >= 9


def test_milestones_end_where_their_progress_reports_do(app, generated):
    with app.app_context():
        for milestone in db.session.scalars(sa.select(Milestone)):
            if milestone.status == "met":
                assert milestone.percent_complete == 100
                assert milestone.actual_date <= today()
            if milestone.updates:
                last = milestone.updates[0]  # newest first
                assert (last.status, last.percent_complete) == (
                    milestone.status,
                    milestone.percent_complete,
                )
                assert milestone.version == 1 + len(milestone.updates)


def test_public_pages_and_open_data_accept_the_portfolio(app, client, generated):
    with app.app_context():
        code = db.session.scalar(
            sa.select(Project.code).where(Project.published).order_by(Project.id).limit(1)
        )
    for url in ("/", "/projects/", f"/projects/{code}"):
        response = client.get(url)
        assert response.status_code == 200, url
    response = client.get("/opendata/oc4ids.json")
    assert response.status_code == 200
    package = json.loads(response.get_data(as_text=True))
    assert any(p["id"].endswith(code) for p in package["projects"])


def test_refuses_a_database_with_projects(app, runner, make_project):
    make_project()
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 1
    assert "already holds projects" in result.output
    with app.app_context():
        assert _count(Project) == 1


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--projects", "0"], "--projects"),
        (["--projects", "ten"], "--projects"),
        (["--projects", "5", "--milestones", "-1"], "--milestones"),
        (["--projects", "5", "--transactions", "-3"], "--transactions"),
        (["--projects", "5", "--updates", "-1"], "--updates"),
        ([], "--projects"),
    ],
)
def test_bad_numbers_name_the_option(app, runner, args, option):
    result = runner.invoke(args=["demo", "generate", *args])
    assert result.exit_code == 2
    assert option in result.output
    with app.app_context():
        assert _count(Project) == 0
