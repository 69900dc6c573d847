"""Milestones of a project, their baseline history and their progress updates."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.database import Audited, Base, SoftDeleteMixin, TimestampMixin, VersionedMixin
from pptracker.enums import enum_column


class MilestoneStatus(StrEnum):
    """Where a milestone stands (exported as OC4IDS milestoneStatus)."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "inProgress"
    MET = "met"
    NOT_MET = "notMet"
    PARTIALLY_MET = "partiallyMet"
    CANCELLED = "cancelled"


class Milestone(Audited, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A dated step of a project: approval, financial close, completion …"""

    __tablename__ = "milestones"
    __table_args__ = (
        sa.CheckConstraint(
            "percent_complete >= 0 AND percent_complete <= 100", "percent_between_0_and_100"
        ),
        sa.CheckConstraint("weight >= 0", "weight_nonnegative"),
        sa.CheckConstraint(
            "planned_value IS NULL OR planned_value >= 0", "planned_value_nonnegative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: OC4IDS milestoneType code.
    type: Mapped[str] = mapped_column(sa.String(30))
    #: OC4IDS milestoneCode (PPP codes first), optional.
    code: Mapped[str | None] = mapped_column(sa.String(40))
    #: The committed date: set when the milestone is approved, then changed
    #: only by an explicit re-baseline (kept in ``milestone_baselines``).
    baseline_date: Mapped[date | None]
    forecast_date: Mapped[date | None]
    #: When it was met (or partly met); never in the future.
    actual_date: Mapped[date | None]
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, 16), default=MilestoneStatus.SCHEDULED, index=True
    )
    percent_complete: Mapped[int] = mapped_column(default=0)
    #: Relative share of the project's physical progress this milestone stands for.
    weight: Mapped[int] = mapped_column(default=1)
    #: Budgeted cost of the work it completes, in the project currency (for earned value).
    planned_value: Mapped[Decimal | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    project: Mapped["Project"] = relationship()  # noqa: F821
    contract: Mapped["Contract | None"] = relationship()  # noqa: F821
    baselines: Mapped[list["MilestoneBaseline"]] = relationship(
        back_populates="milestone", order_by="MilestoneBaseline.id"
    )
    updates: Mapped[list["MilestoneUpdate"]] = relationship(
        back_populates="milestone", order_by="MilestoneUpdate.id.desc()"
    )

    def __repr__(self) -> str:
        return f"<Milestone id={self.id} {self.title!r} {self.status}>"


class MilestoneBaseline(Audited, Base):
    """One baseline a milestone had: the first at approval, then each re-baseline."""

    __tablename__ = "milestone_baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestones.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    baseline_date: Mapped[date]
    #: Why it changed (None for the first baseline, set at approval).
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The contract amendment that moved it, if any.
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("amendments.id"))
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    set_at: Mapped[datetime]

    milestone: Mapped[Milestone] = relationship(back_populates="baselines")

    def __repr__(self) -> str:
        return f"<MilestoneBaseline milestone={self.milestone_id} {self.baseline_date}>"


class MilestoneUpdate(Audited, Base):
    """A progress report on a milestone: what the manager said, when."""

    __tablename__ = "milestone_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestones.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus, 16))
    percent_complete: Mapped[int]
    forecast_date: Mapped[date | None]
    actual_date: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(index=True)

    milestone: Mapped[Milestone] = relationship(back_populates="updates")

    def __repr__(self) -> str:
        return f"<MilestoneUpdate milestone={self.milestone_id} {self.percent_complete}%>"
