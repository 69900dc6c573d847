"""Budget lines and the transactions recorded against them."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.database import (
    Audited,
    Base,
    ExactDecimal,
    SoftDeleteMixin,
    TimestampMixin,
    VersionedMixin,
)
from pptracker.enums import enum_column


class BudgetCategory(StrEnum):
    """What a budget line pays for (OC4IDS costCategory where it fits)."""

    CAPEX = "capex"
    OPEX = "opex"
    FINANCING = "financing"
    CONTINGENCY = "contingency"
    LAND = "land"
    SUPERVISION = "supervision"
    OTHER = "other"


class TransactionKind(StrEnum):
    """A commitment (an obligation entered), a payment out, or a receipt in."""

    COMMITMENT = "commitment"
    PAYMENT = "payment"
    RECEIPT = "receipt"


class BudgetLine(Audited, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A line of a project's budget, in the project currency."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "code", name="uq_budget_lines_project_code"),
        sa.CheckConstraint("planned_amount >= 0", "planned_nonnegative"),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", "end_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    #: Unique within the project, e.g. ``CAP-01``.
    code: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[BudgetCategory] = mapped_column(enum_column(BudgetCategory, 16))
    #: The funder (a party with the funder role, typically).
    funding_source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parties.id"))
    #: Planned amount in the project currency.
    planned_amount: Mapped[Decimal]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]

    project: Mapped["Project"] = relationship()  # noqa: F821
    funding_source: Mapped["Party | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<BudgetLine id={self.id} {self.code}>"


class Transaction(Audited, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """Money committed, paid or received for a project.

    ``amount`` is in ``currency``; ``rate`` converts it to the project
    currency, and ``project_amount`` holds that conversion, rounded once when
    the row is written (``budgets.money.convert``), so every total is the
    exact sum of its rows.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", "amount_positive"),
        sa.CheckConstraint("rate > 0", "rate_positive"),
        sa.Index("ix_transactions_project_date", "project_id", "transaction_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    budget_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("budget_lines.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("milestones.id"), index=True)
    #: The scheduled government payment (operations) this payment settles.
    scheduled_payment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scheduled_payments.id"), index=True
    )
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind, 16), index=True)
    transaction_date: Mapped[date]
    #: Positive amount in ``currency``.
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Units of project currency per unit of ``currency`` (1 when the same).
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(18, 8))
    #: ``amount × rate`` rounded to cents once, in the project currency.
    project_amount: Mapped[Decimal]
    payer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parties.id"))
    payee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parties.id"), index=True)
    #: Invoice or payment certificate number.
    reference: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    project: Mapped["Project"] = relationship()  # noqa: F821
    budget_line: Mapped[BudgetLine | None] = relationship()
    payer: Mapped["Party | None"] = relationship(foreign_keys=[payer_id])  # noqa: F821
    payee: Mapped["Party | None"] = relationship(foreign_keys=[payee_id])  # noqa: F821

    def __repr__(self) -> str:
        return f"<Transaction id={self.id} {self.kind} {self.amount} {self.currency}>"
