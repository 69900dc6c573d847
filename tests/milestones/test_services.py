"""Milestone rules: validation, approval, re-baselining, progress updates, queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role, User
from pptracker.database import today
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.milestones import queries, services
from pptracker.milestones.models import (
    Milestone,
    MilestoneBaseline,
    MilestoneStatus,
    MilestoneUpdate,
)
from pptracker.milestones.services import MilestoneData
from pptracker.projects.queries import get_project


@pytest.fixture
def project(make_project):
    return make_project("metro-line", published=True)


def _data(**fields):
    values = {"title": "Financial close", "type": "financing", "code": "financialClose"}
    values.update(fields)
    return MilestoneData(**values)


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"type": "party"}, "type"),
        ({"code": "teaTime"}, "code"),
        ({"percent_complete": 101}, "percent_complete"),
        ({"percent_complete": -1}, "percent_complete"),
        ({"weight": -1}, "weight"),
        ({"planned_value": Decimal("-1")}, "planned_value"),
        ({"actual_date": date(2999, 1, 1)}, "actual_date"),
        ({"actual_date": today() + timedelta(days=1)}, "actual_date"),
        ({"status": MilestoneStatus.MET, "percent_complete": 100}, "actual_date"),
        ({"status": MilestoneStatus.MET, "actual_date": date(2021, 1, 1)}, "percent_complete"),
        ({"status": "finished"}, "status"),
        ({"baseline_date": date(1066, 10, 14)}, "baseline_date"),
        ({"forecast_date": date(9999, 1, 1)}, "forecast_date"),
        ({"contract_id": 999}, "contract_id"),
    ],
)
def test_create_refuses_bad_input(app, project, fields, field):
    with app.app_context():
        with pytest.raises(DomainError) as caught:
            services.create_milestone(get_project("metro-line"), _data(**fields), actor=None)
        assert caught.value.field == field
        db.session.rollback()
        assert _count(Milestone) == 0


def test_contract_must_belong_to_the_project(app, project, make_project, make_contract):
    make_project("other")
    theirs = make_contract("other")
    ours = make_contract("metro-line", reference="M-1")
    with app.app_context():
        with pytest.raises(DomainError, match="contract of this project"):
            services.create_milestone(
                get_project("metro-line"), _data(contract_id=theirs.id), actor=None
            )
        db.session.rollback()
        milestone = services.create_milestone(
            get_project("metro-line"), _data(contract_id=ours.id), actor=None
        )
        assert milestone.contract_id == ours.id


def test_met_milestone_and_audit(app, project):
    with app.app_context():
        milestone = services.create_milestone(
            get_project("metro-line"),
            _data(
                status=MilestoneStatus.MET,
                percent_complete=100,
                actual_date=today(),
                planned_value=Decimal("1500.50"),
            ),
            actor=None,
        )
        db.session.commit()
        assert milestone.planned_value == Decimal("1500.50")
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Milestone")
        ).all()
        assert "create" in actions


def test_approval_fixes_the_baseline(app, project, make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context():
        milestone = services.create_milestone(get_project("metro-line"), _data(), actor=None)
        with pytest.raises(DomainError, match="baseline date before approving"):
            services.approve_milestone(milestone, approver=admin)
        # Before approval the baseline is a proposal: it may change freely.
        services.update_milestone(milestone, _data(baseline_date=date(2025, 6, 1)), actor=None)
        services.update_milestone(milestone, _data(baseline_date=date(2025, 7, 1)), actor=None)
        services.approve_milestone(milestone, approver=admin)
        db.session.commit()
        assert milestone.approved_at is not None and milestone.approved_by_id == admin.id
        assert [b.baseline_date for b in milestone.baselines] == [date(2025, 7, 1)]
        with pytest.raises(DomainError, match="already approved"):
            services.approve_milestone(milestone, approver=admin)
        with pytest.raises(DomainError, match="re-baselines") as caught:
            services.update_milestone(milestone, _data(baseline_date=date(2025, 9, 1)), actor=None)
        assert caught.value.field == "baseline_date"
        db.session.rollback()
        # Everything else may still change.
        services.update_milestone(
            milestone,
            _data(baseline_date=date(2025, 7, 1), forecast_date=date(2025, 8, 1)),
            actor=None,
        )
        assert queries.slippage_days(milestone) == 31


def test_rebaseline_keeps_every_baseline(
    app, project, make_user, make_contract, make_amendment, make_project
):
    admin, manager = make_user(Role.ADMIN), make_user(Role.MANAGER)
    contract = make_contract("metro-line")
    amendment_id = make_amendment(contract.id)
    make_project("other")
    other_amendment = make_amendment(make_contract("other", reference="O-1").id)
    with app.app_context():
        admin, manager = db.session.get(User, admin.id), db.session.get(User, manager.id)
        milestone = services.create_milestone(
            get_project("metro-line"), _data(baseline_date=date(2025, 1, 1)), actor=None
        )
        with pytest.raises(DomainError, match="not approved"):
            services.rebaseline(milestone, date(2025, 3, 1), reason="Late", actor=admin)
        services.approve_milestone(milestone, approver=admin)
        with pytest.raises(DomainError) as caught:
            services.rebaseline(milestone, date(2025, 3, 1), reason=" ", actor=admin)
        assert caught.value.field == "reason"
        with pytest.raises(DomainError, match="Only an administrator"):
            services.rebaseline(milestone, date(2025, 3, 1), reason="Late", actor=manager)
        with pytest.raises(DomainError, match="amendment of this project"):
            services.rebaseline(
                milestone,
                date(2025, 3, 1),
                reason="Late",
                actor=manager,
                amendment=other_amendment,
            )
        with pytest.raises(DomainError, match="same as the current"):
            services.rebaseline(milestone, date(2025, 1, 1), reason="Late", actor=admin)
        services.rebaseline(milestone, date(2025, 3, 1), reason="Land late", actor=admin)
        services.rebaseline(
            milestone, date(2025, 5, 1), reason="Amended", actor=manager, amendment=amendment_id
        )
        db.session.commit()
        rows = db.session.scalars(sa.select(MilestoneBaseline).order_by(MilestoneBaseline.id)).all()
        assert [(r.baseline_date, r.reason, r.amendment_id) for r in rows] == [
            (date(2025, 1, 1), None, None),
            (date(2025, 3, 1), "Land late", None),
            (date(2025, 5, 1), "Amended", amendment_id),
        ]
        assert milestone.baseline_date == date(2025, 5, 1)
        entity_types = set(db.session.scalars(sa.select(AuditEvent.entity_type)))
        assert {"Milestone", "MilestoneBaseline"} <= entity_types


def test_quick_update_logs_progress(app, project):
    with app.app_context():
        milestone = services.create_milestone(get_project("metro-line"), _data(), actor=None)
        services.quick_update(
            milestone,
            status=MilestoneStatus.IN_PROGRESS,
            percent_complete=40,
            forecast_date=date(2026, 1, 1),
            actual_date=None,
            note="Piling done",
            actor=None,
        )
        db.session.commit()
        with pytest.raises(DomainError) as caught:
            services.quick_update(
                milestone,
                status="met",
                percent_complete=80,
                forecast_date=None,
                actual_date=today(),
                note="",
                actor=None,
            )
        assert caught.value.field == "percent_complete"
        db.session.rollback()
        milestone = db.session.get(Milestone, milestone.id)
        assert milestone.percent_complete == 40
        services.quick_update(
            milestone,
            status="met",
            percent_complete=100,
            forecast_date=None,
            actual_date=today(),
            note="Done",
            actor=None,
        )
        db.session.commit()
        assert [u.note for u in milestone.updates] == ["Done", "Piling done"]
        assert milestone.status == MilestoneStatus.MET


def test_cancel_but_never_delete_once_it_happened(app, project):
    with app.app_context():
        happened = services.create_milestone(
            get_project("metro-line"),
            _data(actual_date=date(2024, 1, 1), status="partiallyMet", percent_complete=50),
            actor=None,
        )
        with pytest.raises(DomainError, match="cancel it instead"):
            services.delete_milestone(happened, actor=None)
        services.cancel_milestone(happened, actor=None)
        assert happened.status == MilestoneStatus.CANCELLED
        assert happened.updates[0].status == MilestoneStatus.CANCELLED
        with pytest.raises(DomainError, match="already cancelled"):
            services.cancel_milestone(happened, actor=None)
        mistake = services.create_milestone(get_project("metro-line"), _data(), actor=None)
        services.delete_milestone(mistake, actor=None)
        db.session.commit()
        assert mistake.is_deleted
        assert [m.id for m in queries.milestones_of(mistake.project_id)] == [happened.id]


def test_progress_slippage_overdue_and_key_milestones(app, project):
    now = today()
    with app.app_context():
        p = get_project("metro-line")
        late = services.create_milestone(
            p,
            _data(
                code="completion",
                baseline_date=now - timedelta(days=10),
                forecast_date=now + timedelta(days=5),
                percent_complete=50,
                weight=3,
            ),
            actor=None,
        )
        due = services.create_milestone(
            p,
            _data(
                code="financialClose",
                baseline_date=now - timedelta(days=20),
                percent_complete=100,
                weight=1,
            ),
            actor=None,
        )
        services.create_milestone(
            p,
            _data(
                title="Cancelled",
                code=None,
                status="cancelled",
                weight=5,
                baseline_date=now - timedelta(days=30),
            ),
            actor=None,
        )
        ms = queries.milestones_of(p.id)
        assert [m.title for m in ms] == ["Cancelled", "Financial close", "Financial close"]
        assert queries.physical_progress(ms) == Decimal("62.5")  # (3*50 + 1*100) / 4
        assert queries.physical_progress([]) is None
        assert not queries.is_overdue(late, today=now)  # forecast still to come
        assert queries.is_overdue(due, today=now)
        assert not queries.is_overdue(ms[0], today=now)  # cancelled
        keys = queries.key_milestones(ms)
        assert [(k.milestone.code, k.slippage_days) for k in keys] == [
            ("financialClose", None),
            ("completion", 15),
        ]


def test_my_milestones_in_constant_queries(app, make_project, make_user):
    manager, other = make_user(Role.MANAGER), make_user(Role.MANAGER)
    now = today()
    for n in range(3):
        make_project(f"mine-{n}", managers=[manager])
    make_project("theirs", managers=[other])
    with app.app_context():
        for code in ("mine-0", "mine-1", "mine-2", "theirs"):
            p = get_project(code)
            overdue = services.create_milestone(
                p,
                _data(title=f"Overdue {code}", baseline_date=now - timedelta(days=3)),
                actor=None,
            )
            services.create_milestone(
                p,
                _data(title=f"Soon {code}", forecast_date=now + timedelta(days=10)),
                actor=None,
            )
            services.create_milestone(
                p,
                _data(title=f"Later {code}", forecast_date=now + timedelta(days=90)),
                actor=None,
            )
            services.quick_update(
                overdue,
                status="inProgress",
                percent_complete=10,
                forecast_date=None,
                actual_date=None,
                note="",
                actor=None,
            )
        db.session.commit()
        db.session.expire_all()
        user = db.session.get(User, manager.id)
        user.role  # noqa: B018 - loaded before counting
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            work = queries.my_milestones(user, today=now)
            titles = (
                [m.title for m in work.overdue],
                [m.title for m in work.due_soon],
                [u.milestone.title for u in work.recent],
                [m.project.code for m in work.overdue],
            )
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert len(statements) == 3
        assert titles[0] == ["Overdue mine-0", "Overdue mine-1", "Overdue mine-2"]
        assert titles[1] == ["Soon mine-0", "Soon mine-1", "Soon mine-2"]
        assert sorted(titles[2]) == ["Overdue mine-0", "Overdue mine-1", "Overdue mine-2"]
        assert _count(MilestoneUpdate) == 4
