"""Reads about milestones: lists, slippage, physical progress and a manager's worklist."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from pptracker.auth.models import Role
from pptracker.database import utcnow
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus, MilestoneUpdate
from pptracker.projects.models import Project, project_managers

#: PPP milestone codes whose slippage the project page shows first, in lifecycle order.
KEY_CODES = ("commercialClose", "financialClose", "commencement", "completion", "commissioning")

#: Statuses after which a milestone can no longer be overdue.
CLOSED = (MilestoneStatus.MET, MilestoneStatus.CANCELLED)

DUE_SOON_DAYS = 30
RECENT_DAYS = 14


def _planned_date():
    return sa.func.coalesce(Milestone.baseline_date, Milestone.forecast_date)


def milestones_of(project_id: int) -> list[Milestone]:
    """Return a project's live milestones ordered by (baseline or forecast) date, undated last."""
    return db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.project_id == project_id, Milestone.is_deleted.is_(False))
        .options(selectinload(Milestone.contract))
        .order_by(_planned_date().is_(None), _planned_date(), Milestone.id)
    ).all()


def get_milestone(project_id: int, milestone_id: int) -> Milestone | None:
    """Return a live milestone of the project, or None."""
    return db.session.scalar(
        sa.select(Milestone).where(
            Milestone.id == milestone_id,
            Milestone.project_id == project_id,
            Milestone.is_deleted.is_(False),
        )
    )


def get_live_milestone(milestone_id: int) -> Milestone | None:
    """Return a live milestone by id (its project is checked by the caller), or None."""
    return db.session.scalar(
        sa.select(Milestone)
        .where(Milestone.id == milestone_id, Milestone.is_deleted.is_(False))
        .options(joinedload(Milestone.project))
    )


def slippage_days(milestone: Milestone) -> int | None:
    """Return (actual, else forecast) minus baseline, in days; None when a date is missing.

    Positive is late, negative early.
    """
    latest = milestone.actual_date or milestone.forecast_date
    if latest is None or milestone.baseline_date is None:
        return None
    return (latest - milestone.baseline_date).days


def is_overdue(milestone: Milestone, *, today: date) -> bool:
    """Tell whether the milestone's (forecast, else baseline) date has passed unmet."""
    due = milestone.forecast_date or milestone.baseline_date
    return due is not None and due < today and milestone.status not in CLOSED


def physical_progress(milestones) -> Decimal | None:
    """Return the weighted average of percent complete, to one decimal.

    Cancelled milestones do not count: they will never be done.

    :return: a percentage, or None when the total weight is zero.
    """
    counted = [m for m in milestones if m.status != MilestoneStatus.CANCELLED]
    total = sum(m.weight for m in counted)
    if not total:
        return None
    done = sum(Decimal(m.weight) * m.percent_complete for m in counted)
    return (done / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class KeyMilestone:
    """A PPP key milestone and its slippage."""

    milestone: Milestone
    slippage_days: int | None


def key_milestones(milestones) -> list[KeyMilestone]:
    """Return the milestones with a PPP key code, in lifecycle order, with their slippage."""
    order = {code: i for i, code in enumerate(KEY_CODES)}
    keys = [m for m in milestones if m.code in order]
    keys.sort(key=lambda m: (order[m.code], m.id))
    return [KeyMilestone(m, slippage_days(m)) for m in keys]


@dataclass(frozen=True)
class MyMilestones:
    """A manager's worklist across their projects."""

    overdue: list[Milestone]
    due_soon: list[Milestone]
    recent: list[MilestoneUpdate]


def _scope(user):
    live = sa.and_(Milestone.is_deleted.is_(False), Project.is_deleted.is_(False))
    if user.role == Role.ADMIN:
        return live
    assigned = sa.exists().where(
        project_managers.c.project_id == Milestone.project_id,
        project_managers.c.user_id == user.id,
    )
    return sa.and_(live, assigned)


def my_milestones(user, *, today: date) -> MyMilestones:
    """Return what needs a manager's attention on their projects (administrators: all).

    Three queries whatever the number of projects: overdue milestones, those
    due in the next 30 days, and the progress reported in the last 14 days.
    """
    due = sa.func.coalesce(Milestone.forecast_date, Milestone.baseline_date)
    base = (
        sa.select(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(_scope(user), Milestone.status.not_in(CLOSED))
        .options(joinedload(Milestone.project))
        .order_by(due, Project.code, Milestone.id)
    )
    overdue = db.session.scalars(base.where(due < today)).all()
    due_soon = db.session.scalars(
        base.where(due >= today, due <= today + timedelta(days=DUE_SOON_DAYS))
    ).all()
    recent = db.session.scalars(
        sa.select(MilestoneUpdate)
        .join(Milestone, Milestone.id == MilestoneUpdate.milestone_id)
        .join(Project, Project.id == Milestone.project_id)
        .where(_scope(user), MilestoneUpdate.reported_at >= utcnow() - timedelta(days=RECENT_DAYS))
        .options(joinedload(MilestoneUpdate.milestone).joinedload(Milestone.project))
        .order_by(MilestoneUpdate.reported_at.desc(), MilestoneUpdate.id.desc())
        .limit(100)
    ).all()
    return MyMilestones(overdue=overdue, due_soon=due_soon, recent=recent)
