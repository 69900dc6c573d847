"""Red flags for auditors: spending that deserves a second look, each with its reasons.

A flag is not a finding: it is a pointer, computed from the records as they
are now, to something an auditor should check (and may then raise a finding
about). Each rule is stated in ``RULES`` and repeated, with the figures, in
the flag's explanation.

Every rule is one SQL query over the whole scope (one project, some, or the
portfolio), so the cost does not grow with the number of rows in Python:

=============================  ==========================================================
Kind                           Rule
=============================  ==========================================================
``over-budget-line``           A payment takes the running total of payments on its
                               budget line (by date, then entry order) above the line's
                               planned amount: the payment that crosses it is flagged.
``over-contract-value``        Same, against the contract's current value (initial
                               value as amended, as ``contracts.queries.terms``).
``duplicate-invoice``          Two or more payments to one payee with the same reference
                               (case and surrounding spaces ignored).
``outside-contract-period``    A payment under a contract dated before its signature or
                               after its current end.
``payments-ahead``             The share of the project budget paid (payments ÷ planned
                               amounts of the budget lines) exceeds the weighted
                               physical progress by more than ``PAYMENTS_AHEAD_MARGIN``
                               percentage points.
``amendment-value``            Amendments raised a contract's value, current against
                               initial, by more than ``AMENDMENT_VALUE_FLAG_PERCENT`` %.
``milestone-no-evidence``      A milestone marked met has no (live) evidence document.
``no-budget-line``             A transaction recorded against no (live) budget line.
``payment-mismatch``           A scheduled government payment (operations) whose period
                               has ended, and due date if any passed, was paid (sum of
                               the live payments settling it) other than its net due
                               (gross minus the penalties imposed for failures starting
                               in its period, for availability and service payments);
                               or, at any time, more than its net due.
=============================  ==========================================================

Only live (not deleted) records of live projects count. The pages that show
flags are for auditors and administrators, who may see confidential records,
so nothing here is redacted.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from pptracker.audit.models import Severity
from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import Amendment, Contract
from pptracker.contracts.queries import current_value_expression
from pptracker.database import today
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.formatting import format_money
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.operations import payment_queries as pq
from pptracker.operations.models import ScheduledPayment
from pptracker.operations.payment_services import period_text, type_label
from pptracker.projects.models import Party, Project

#: Where a flag's links point (the budget pages are the budgets blueprint's).
TRANSACTIONS_ENDPOINT = "budgets.transactions"
BUDGET_ENDPOINT = "budgets.index"
CONTRACT_ENDPOINT = "contracts.detail"
MILESTONE_ENDPOINT = "milestones.detail"
PROJECT_ENDPOINT = "projects.detail"
PAYMENT_SCHEDULE_ENDPOINT = "payment_schedule.index"


class FlagKind(StrEnum):
    """What a red flag is about."""

    OVER_BUDGET_LINE = "over-budget-line"
    OVER_CONTRACT_VALUE = "over-contract-value"
    DUPLICATE_INVOICE = "duplicate-invoice"
    OUTSIDE_CONTRACT_PERIOD = "outside-contract-period"
    PAYMENTS_AHEAD = "payments-ahead"
    AMENDMENT_VALUE = "amendment-value"
    MILESTONE_NO_EVIDENCE = "milestone-no-evidence"
    NO_BUDGET_LINE = "no-budget-line"
    PAYMENT_MISMATCH = "payment-mismatch"


class Rule(NamedTuple):
    """A flag kind's title and its rule in plain words."""

    title: str
    rule: str


def rules() -> dict[FlagKind, Rule]:
    """Return every kind's title and rule, with the configured thresholds, in display order."""
    margin = current_app.config["PAYMENTS_AHEAD_MARGIN"]
    percent = current_app.config["AMENDMENT_VALUE_FLAG_PERCENT"]
    return {
        FlagKind.OVER_BUDGET_LINE: Rule(
            "Payments beyond the budget line",
            "The payments on a budget line, added up in date order, go past the line's "
            "planned amount. The payment that crosses it is flagged.",
        ),
        FlagKind.OVER_CONTRACT_VALUE: Rule(
            "Payments beyond the contract's value",
            "The payments under a contract, added up in date order, go past its current "
            "value (the initial value as amended). The payment that crosses it is flagged.",
        ),
        FlagKind.DUPLICATE_INVOICE: Rule(
            "The same invoice paid twice",
            "Two or more payments to the same payee carry the same reference (invoice "
            "number), ignoring case and surrounding spaces.",
        ),
        FlagKind.OUTSIDE_CONTRACT_PERIOD: Rule(
            "Payments outside the contract's period",
            "A payment under a contract is dated before the contract was signed, or after "
            "its current end date.",
        ),
        FlagKind.PAYMENTS_AHEAD: Rule(
            "Payments ahead of physical progress",
            f"The share of the project's budget paid so far is more than {margin} percentage "
            "points ahead of its physical progress (the weighted average of its milestones' "
            "percent complete, cancelled milestones left out).",
        ),
        FlagKind.AMENDMENT_VALUE: Rule(
            "Contract value raised by amendments",
            f"Amendments have raised a contract's value by more than {percent} % of its "
            "initial value (current value against the value at signature).",
        ),
        FlagKind.MILESTONE_NO_EVIDENCE: Rule(
            "Milestone met without evidence",
            "A milestone is marked met but no evidence document is attached to it.",
        ),
        FlagKind.NO_BUDGET_LINE: Rule(
            "Transaction without a budget line",
            "A commitment, payment or receipt is recorded against no budget line, so no "
            "line's spending shows it.",
        ),
        FlagKind.PAYMENT_MISMATCH: Rule(
            "Scheduled payment paid other than due",
            "A scheduled government payment whose period has ended (and whose due date, if "
            "any, has passed) was paid a different amount than gross minus deductions, or any "
            "payment is above that. Deductions are the penalties imposed for performance "
            "failures starting in the payment's period (availability and service payments).",
        ),
    }


class Link(NamedTuple):
    """A record behind a flag: a label and where its page is (``url_for`` arguments)."""

    label: str
    endpoint: str
    args: dict


@dataclass(frozen=True)
class Flag:
    """One red flag: what, how serious, where, why (with figures), and its records."""

    kind: FlagKind
    severity: Severity
    project_id: int
    project_code: str
    explanation: str
    links: list[Link] = field(default_factory=list)
    #: The transactions the flag is about (for the spending list's "flagged only").
    transaction_ids: tuple[int, ...] = ()


# --- helpers --------------------------------------------------------------------------------


def _live_projects(project_ids):
    condition = Project.is_deleted.is_(False)
    if project_ids is not None:
        condition = sa.and_(condition, Project.id.in_(list(project_ids)))
    return condition


def _live_payments(project_ids):
    """The live payments of live projects in scope (joined to ``Project``)."""
    return sa.and_(
        Transaction.kind == TransactionKind.PAYMENT,
        Transaction.is_deleted.is_(False),
        _live_projects(project_ids),
    )


def _integer(value: int):
    # A literal typed as an integer: compared with a Money expression, a bare
    # int would be bound as money (hundredths on SQLite).
    return sa.literal(int(value), sa.Integer())


def _current_end():
    """The contract's current end: the last amendment's new end, else the initial one."""
    latest = (
        sa.select(Amendment.new_end)
        .where(Amendment.contract_id == Contract.id, Amendment.new_end.is_not(None))
        .order_by(Amendment.number.desc())
        .limit(1)
        .correlate(Contract)
        .scalar_subquery()
    )
    return sa.func.coalesce(latest, Contract.initial_end)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


def _tx_link(code: str, tx_id: int, label: str | None = None) -> Link:
    return Link(label or f"Transaction {tx_id}", TRANSACTIONS_ENDPOINT, {"code": code})


def _contract_link(code: str, contract_id: int, reference: str) -> Link:
    return Link(
        f"Contract {reference}", CONTRACT_ENDPOINT, {"code": code, "contract_id": contract_id}
    )


def _described(reference: str | None, tx_id: int) -> str:
    return f"payment {tx_id}" + (f" (reference “{reference}”)" if reference else "")


# --- (a) payments beyond a budget line or a contract's value -------------------------------


def _over_line_select(project_ids) -> sa.Select:
    running = (
        sa.func.sum(Transaction.project_amount)
        .over(
            partition_by=Transaction.budget_line_id,
            order_by=(Transaction.transaction_date, Transaction.id),
        )
        .label("running")
    )
    inner = (
        sa.select(
            Transaction.id.label("id"),
            Transaction.budget_line_id.label("line_id"),
            Transaction.transaction_date.label("day"),
            Transaction.project_amount.label("amount"),
            Transaction.reference.label("reference"),
            running,
        )
        .join(Project, Project.id == Transaction.project_id)
        .where(_live_payments(project_ids), Transaction.budget_line_id.is_not(None))
        .subquery()
    )
    return (
        sa.select(
            inner,
            BudgetLine.code.label("line_code"),
            BudgetLine.name.label("line_name"),
            BudgetLine.planned_amount.label("planned"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
            Project.currency.label("currency"),
        )
        .join(BudgetLine, BudgetLine.id == inner.c.line_id)
        .join(Project, Project.id == BudgetLine.project_id)
        .where(
            BudgetLine.is_deleted.is_(False),
            inner.c.running > BudgetLine.planned_amount,
            inner.c.running - inner.c.amount <= BudgetLine.planned_amount,
        )
        .order_by(Project.code, BudgetLine.code, inner.c.id)
    )


def _over_line(project_ids) -> list[Flag]:
    flags = []
    for row in db.session.execute(_over_line_select(project_ids)):
        over = row.running - row.planned
        flags.append(
            Flag(
                FlagKind.OVER_BUDGET_LINE,
                Severity.HIGH,
                row.project_id,
                row.project_code,
                f"The {_described(row.reference, row.id)} of "
                f"{format_money(row.amount, row.currency)} on {row.day.isoformat()} brings the "
                f"payments on budget line {row.line_code} ({row.line_name}) to "
                f"{format_money(row.running, row.currency)}, "
                f"{format_money(over, row.currency)} more than its planned "
                f"{format_money(row.planned, row.currency)}.",
                [
                    _tx_link(row.project_code, row.id),
                    Link(
                        f"Budget line {row.line_code}", BUDGET_ENDPOINT, {"code": row.project_code}
                    ),
                ],
                (row.id,),
            )
        )
    return flags


def _in_contract_currency():
    """A payment's amount in its contract's currency, when it can be known exactly."""
    return sa.case(
        (Transaction.currency == Contract.currency, Transaction.amount),
        (Contract.currency == Project.currency, Transaction.project_amount),
        else_=sa.null(),
    )


def _over_contract_select(project_ids) -> sa.Select:
    amount = _in_contract_currency()
    inner = (
        sa.select(
            Transaction.id.label("id"),
            Transaction.transaction_date.label("day"),
            Transaction.reference.label("reference"),
            amount.label("amount"),
            sa.func.sum(amount)
            .over(
                partition_by=Transaction.contract_id,
                order_by=(Transaction.transaction_date, Transaction.id),
            )
            .label("running"),
            current_value_expression().label("value"),
            Contract.id.label("contract_id"),
            Contract.reference.label("contract_reference"),
            Contract.currency.label("currency"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
        )
        .join(Contract, Contract.id == Transaction.contract_id)
        .join(Project, Project.id == Transaction.project_id)
        .where(_live_payments(project_ids), Contract.is_deleted.is_(False))
        .subquery()
    )
    return (
        sa.select(inner)
        .where(
            inner.c.amount.is_not(None),
            inner.c.running > inner.c.value,
            inner.c.running - inner.c.amount <= inner.c.value,
        )
        .order_by(inner.c.project_code, inner.c.contract_reference, inner.c.id)
    )


def _over_contract(project_ids) -> list[Flag]:
    flags = []
    for row in db.session.execute(_over_contract_select(project_ids)):
        over = row.running - row.value
        flags.append(
            Flag(
                FlagKind.OVER_CONTRACT_VALUE,
                Severity.HIGH,
                row.project_id,
                row.project_code,
                f"The {_described(row.reference, row.id)} of "
                f"{format_money(row.amount, row.currency)} on {row.day.isoformat()} brings the "
                f"payments under contract {row.contract_reference} to "
                f"{format_money(row.running, row.currency)}, "
                f"{format_money(over, row.currency)} more than its current value of "
                f"{format_money(row.value, row.currency)}.",
                [
                    _tx_link(row.project_code, row.id),
                    _contract_link(row.project_code, row.contract_id, row.contract_reference),
                ],
                (row.id,),
            )
        )
    return flags


# --- (b) the same invoice twice --------------------------------------------------------------


def _normalised_reference():
    return sa.func.lower(sa.func.trim(Transaction.reference))


def _duplicates_select(project_ids) -> sa.Select:
    key = _normalised_reference()
    inner = (
        sa.select(
            Transaction.id.label("id"),
            Transaction.payee_id.label("payee_id"),
            key.label("key"),
            Transaction.reference.label("reference"),
            Transaction.transaction_date.label("day"),
            Transaction.project_amount.label("amount"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
            Project.currency.label("currency"),
            sa.func.count().over(partition_by=(Transaction.payee_id, key)).label("times"),
        )
        .join(Project, Project.id == Transaction.project_id)
        .where(
            _live_payments(project_ids),
            Transaction.payee_id.is_not(None),
            Transaction.reference.is_not(None),
            sa.func.trim(Transaction.reference) != "",
        )
        .subquery()
    )
    return (
        sa.select(inner, Party.name.label("payee"))
        .join(Party, Party.id == inner.c.payee_id)
        .where(inner.c.times > 1)
        .order_by(inner.c.payee_id, inner.c.key, inner.c.day, inner.c.id)
    )


def _duplicates(project_ids) -> list[Flag]:
    groups = defaultdict(list)
    for row in db.session.execute(_duplicates_select(project_ids)):
        groups[(row.payee_id, row.key)].append(row)
    flags = []
    for rows in groups.values():
        first, repeat = rows[0], rows[1]
        payments = "; ".join(
            f"payment {r.id} of {format_money(r.amount, r.currency)} on {r.day.isoformat()}"
            + (f" ({r.project_code})" if r.project_code != first.project_code else "")
            for r in rows
        )
        flags.append(
            Flag(
                FlagKind.DUPLICATE_INVOICE,
                Severity.HIGH,
                repeat.project_id,
                repeat.project_code,
                f"{len(rows)} payments to {first.payee} carry the reference "
                f"“{first.reference.strip()}”: {payments}. An invoice is paid once.",
                [_tx_link(r.project_code, r.id) for r in rows],
                tuple(r.id for r in rows),
            )
        )
    return flags


# --- (c) payments outside the contract's period -------------------------------------------


def _outside_period_select(project_ids) -> sa.Select:
    end = _current_end()
    inner = (
        sa.select(
            Transaction.id.label("id"),
            Transaction.transaction_date.label("day"),
            Transaction.reference.label("reference"),
            Transaction.project_amount.label("amount"),
            Contract.id.label("contract_id"),
            Contract.reference.label("contract_reference"),
            Contract.signature_date.label("signed"),
            end.label("end"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
            Project.currency.label("currency"),
        )
        .join(Contract, Contract.id == Transaction.contract_id)
        .join(Project, Project.id == Transaction.project_id)
        .where(_live_payments(project_ids), Contract.is_deleted.is_(False))
        .subquery()
    )
    return (
        sa.select(inner)
        .where(
            sa.or_(
                sa.and_(inner.c.signed.is_not(None), inner.c.day < inner.c.signed),
                sa.and_(inner.c.end.is_not(None), inner.c.day > inner.c.end),
            )
        )
        .order_by(inner.c.project_code, inner.c.contract_reference, inner.c.day, inner.c.id)
    )


def _outside_period(project_ids) -> list[Flag]:
    flags = []
    for row in db.session.execute(_outside_period_select(project_ids)):
        if row.signed is not None and row.day < row.signed:
            when = (
                f"{(row.signed - row.day).days} days before contract {row.contract_reference} "
                f"was signed on {row.signed.isoformat()}"
            )
        else:
            when = (
                f"{(row.day - row.end).days} days after contract {row.contract_reference} "
                f"ended on {row.end.isoformat()} (its current end date)"
            )
        flags.append(
            Flag(
                FlagKind.OUTSIDE_CONTRACT_PERIOD,
                Severity.MEDIUM,
                row.project_id,
                row.project_code,
                f"The {_described(row.reference, row.id)} of "
                f"{format_money(row.amount, row.currency)} is dated {row.day.isoformat()}, "
                f"{when}.",
                [
                    _tx_link(row.project_code, row.id),
                    _contract_link(row.project_code, row.contract_id, row.contract_reference),
                ],
                (row.id,),
            )
        )
    return flags


# --- (d) payments ahead of physical progress ----------------------------------------------


def _ahead_select(project_ids) -> sa.Select:
    paid = (
        sa.select(sa.func.sum(Transaction.project_amount))
        .where(
            Transaction.project_id == Project.id,
            Transaction.kind == TransactionKind.PAYMENT,
            Transaction.is_deleted.is_(False),
        )
        .correlate(Project)
        .scalar_subquery()
    )
    planned = (
        sa.select(sa.func.sum(BudgetLine.planned_amount))
        .where(BudgetLine.project_id == Project.id, BudgetLine.is_deleted.is_(False))
        .correlate(Project)
        .scalar_subquery()
    )
    counted = sa.and_(
        Milestone.project_id == Project.id,
        Milestone.is_deleted.is_(False),
        Milestone.status != MilestoneStatus.CANCELLED,
    )
    weight = (
        sa.select(sa.func.sum(Milestone.weight)).where(counted).correlate(Project)
    ).scalar_subquery()
    done = (
        sa.select(sa.func.sum(Milestone.weight * Milestone.percent_complete))
        .where(counted)
        .correlate(Project)
        .scalar_subquery()
    )
    return (
        sa.select(
            Project.id.label("project_id"),
            Project.code.label("project_code"),
            Project.currency.label("currency"),
            paid.label("paid"),
            planned.label("planned"),
            weight.label("weight"),
            done.label("done"),
        )
        .where(_live_projects(project_ids))
        .order_by(Project.code)
    )


def _payments_ahead(project_ids) -> list[Flag]:
    margin = Decimal(current_app.config["PAYMENTS_AHEAD_MARGIN"])
    flags = []
    for row in db.session.execute(_ahead_select(project_ids)):
        if not row.paid or not row.planned or not row.weight:
            continue  # nothing paid, no budget, or no progress measured: no comparison
        share = _percent(row.paid, row.planned)
        progress = (Decimal(row.done or 0) / Decimal(row.weight)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_EVEN
        )
        gap = share - progress
        if gap <= margin:
            continue
        flags.append(
            Flag(
                FlagKind.PAYMENTS_AHEAD,
                Severity.HIGH if gap > 2 * margin else Severity.MEDIUM,
                row.project_id,
                row.project_code,
                f"{format_money(row.paid, row.currency)} has been paid, {share} % of the "
                f"budget lines' planned {format_money(row.planned, row.currency)}, but physical "
                f"progress is {progress} %: payments are {gap} percentage points ahead, "
                f"more than the {margin} allowed.",
                [
                    Link("Budget and transactions", BUDGET_ENDPOINT, {"code": row.project_code}),
                    Link(
                        "Milestones (physical progress)",
                        "milestones.index",
                        {"code": row.project_code},
                    ),
                ],
            )
        )
    return flags


# --- (e) amendments raising a contract's value ---------------------------------------------


def _amendment_value_select(project_ids) -> sa.Select:
    percent = current_app.config["AMENDMENT_VALUE_FLAG_PERCENT"]
    current = current_value_expression()
    count = (
        sa.select(sa.func.count(Amendment.id))
        .where(Amendment.contract_id == Contract.id, Amendment.new_value.is_not(None))
        .correlate(Contract)
        .scalar_subquery()
    )
    return (
        sa.select(
            Contract.id.label("contract_id"),
            Contract.reference.label("contract_reference"),
            Contract.title.label("title"),
            Contract.currency.label("currency"),
            Contract.initial_value.label("initial"),
            current.label("current"),
            count.label("amendments"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
        )
        .join(Project, Project.id == Contract.project_id)
        .where(
            Contract.is_deleted.is_(False),
            _live_projects(project_ids),
            Contract.initial_value > 0,
            # current > initial × (1 + p/100), in whole numbers: exact on every engine.
            current * _integer(100) > Contract.initial_value * _integer(100 + percent),
        )
        .order_by(Project.code, Contract.reference)
    )


def _amendment_value(project_ids) -> list[Flag]:
    threshold = Decimal(current_app.config["AMENDMENT_VALUE_FLAG_PERCENT"])
    flags = []
    for row in db.session.execute(_amendment_value_select(project_ids)):
        rise = _percent(row.current - row.initial, row.initial)
        flags.append(
            Flag(
                FlagKind.AMENDMENT_VALUE,
                Severity.HIGH if rise > 2 * threshold else Severity.MEDIUM,
                row.project_id,
                row.project_code,
                f"Contract {row.contract_reference} ({row.title}) was signed for "
                f"{format_money(row.initial, row.currency)}; after {row.amendments} value "
                f"amendment{'' if row.amendments == 1 else 's'} it is worth "
                f"{format_money(row.current, row.currency)}, {rise} % more, above the "
                f"{threshold} % threshold.",
                [_contract_link(row.project_code, row.contract_id, row.contract_reference)],
            )
        )
    return flags


# --- (f) milestones met without evidence ---------------------------------------------------


def _no_evidence_select(project_ids) -> sa.Select:
    evidence = sa.exists().where(
        Document.milestone_id == Milestone.id, Document.is_deleted.is_(False)
    )
    return (
        sa.select(
            Milestone.id.label("milestone_id"),
            Milestone.title.label("title"),
            Milestone.actual_date.label("met_on"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
        )
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Milestone.is_deleted.is_(False),
            Milestone.status == MilestoneStatus.MET,
            _live_projects(project_ids),
            ~evidence,
        )
        .order_by(Project.code, Milestone.actual_date, Milestone.id)
    )


def _no_evidence(project_ids) -> list[Flag]:
    return [
        Flag(
            FlagKind.MILESTONE_NO_EVIDENCE,
            Severity.MEDIUM,
            row.project_id,
            row.project_code,
            f"Milestone “{row.title}” is marked met"
            + (f" on {row.met_on.isoformat()}" if row.met_on else "")
            + " but has no evidence document attached.",
            [
                Link(
                    f"Milestone “{row.title}”",
                    MILESTONE_ENDPOINT,
                    {"code": row.project_code, "milestone_id": row.milestone_id},
                )
            ],
        )
        for row in db.session.execute(_no_evidence_select(project_ids))
    ]


# --- (g) transactions without a budget line -------------------------------------------------


def _no_line_select(project_ids) -> sa.Select:
    line = aliased(BudgetLine)
    return (
        sa.select(
            Transaction.id.label("id"),
            Transaction.kind.label("kind"),
            Transaction.transaction_date.label("day"),
            Transaction.reference.label("reference"),
            Transaction.project_amount.label("amount"),
            Transaction.budget_line_id.label("line_id"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
            Project.currency.label("currency"),
        )
        .join(Project, Project.id == Transaction.project_id)
        .outerjoin(line, line.id == Transaction.budget_line_id)
        .where(
            Transaction.is_deleted.is_(False),
            _live_projects(project_ids),
            sa.or_(line.id.is_(None), line.is_deleted.is_(True)),
        )
        .order_by(Project.code, Transaction.transaction_date, Transaction.id)
    )


def _no_line(project_ids) -> list[Flag]:
    flags = []
    for row in db.session.execute(_no_line_select(project_ids)):
        why = "its budget line was deleted" if row.line_id else "it names no budget line"
        flags.append(
            Flag(
                FlagKind.NO_BUDGET_LINE,
                Severity.LOW,
                row.project_id,
                row.project_code,
                f"The {TransactionKind(row.kind).value} {row.id}"
                + (f" (reference “{row.reference}”)" if row.reference else "")
                + f" of {format_money(row.amount, row.currency)} on {row.day.isoformat()} "
                f"counts against no budget: {why}.",
                [_tx_link(row.project_code, row.id)],
                (row.id,),
            )
        )
    return flags


# --- (h) scheduled payments paid other than their net due ---------------------------------


def _payment_mismatch_select(project_ids, day: date | None = None) -> sa.Select:
    def in_scope(column):
        return sa.true() if project_ids is None else column.in_(list(project_ids))

    deductions = pq.deductions_subquery(lambda sp: in_scope(sp.project_id))
    paid = pq.paid_subquery(in_scope(Transaction.project_id))
    deducted = sa.func.coalesce(deductions.c.deductions, pq.money_zero())
    inner = (
        sa.select(
            ScheduledPayment.id.label("payment_id"),
            ScheduledPayment.type.label("type"),
            ScheduledPayment.period_start.label("period_start"),
            ScheduledPayment.period_end.label("period_end"),
            ScheduledPayment.due_date.label("due_date"),
            ScheduledPayment.gross_amount.label("gross"),
            ScheduledPayment.currency.label("currency"),
            deducted.label("deductions"),
            pq.net_due_expression(ScheduledPayment.gross_amount, deducted).label("net_due"),
            sa.func.coalesce(paid.c.paid, pq.money_zero()).label("paid"),
            sa.func.coalesce(paid.c.transactions, 0).label("transactions"),
            Contract.id.label("contract_id"),
            Contract.reference.label("contract_reference"),
            Project.id.label("project_id"),
            Project.code.label("project_code"),
        )
        .join(Contract, Contract.id == ScheduledPayment.contract_id)
        .join(Project, Project.id == ScheduledPayment.project_id)
        .outerjoin(deductions, deductions.c.payment_id == ScheduledPayment.id)
        .outerjoin(paid, paid.c.payment_id == ScheduledPayment.id)
        .where(
            ScheduledPayment.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
            _live_projects(project_ids),
        )
        .subquery()
    )
    day = day or today()
    ended = sa.and_(
        inner.c.period_end < day,
        sa.or_(inner.c.due_date.is_(None), inner.c.due_date < day),
    )
    return (
        sa.select(inner)
        .where(
            sa.or_(
                inner.c.paid > inner.c.net_due,
                sa.and_(ended, inner.c.paid != inner.c.net_due),
            )
        )
        .order_by(inner.c.project_code, inner.c.period_start, inner.c.payment_id)
    )


def _payment_mismatch(project_ids, day: date) -> list[Flag]:
    flags = []
    for row in db.session.execute(_payment_mismatch_select(project_ids, day)):
        difference = row.paid - row.net_due
        if difference > 0:
            gap = f"{format_money(difference, row.currency)} more than due"
        else:
            gap = f"{format_money(-difference, row.currency)} less than due"
        settled = (
            f"{row.transactions} payment{'' if row.transactions == 1 else 's'} recorded"
            if row.transactions
            else "no payment recorded"
        )
        flags.append(
            Flag(
                FlagKind.PAYMENT_MISMATCH,
                Severity.HIGH if difference > 0 else Severity.MEDIUM,
                row.project_id,
                row.project_code,
                f"The {type_label(row.type)} of contract {row.contract_reference} for "
                f"{period_text(row.period_start, row.period_end)} is scheduled at "
                f"{format_money(row.gross, row.currency)} gross, less "
                f"{format_money(row.deductions, row.currency)} deductions: "
                f"{format_money(row.net_due, row.currency)} net due. "
                f"{format_money(row.paid, row.currency)} was paid ({settled}), {gap}.",
                [
                    Link("Payment schedule", PAYMENT_SCHEDULE_ENDPOINT, {"code": row.project_code}),
                    _contract_link(row.project_code, row.contract_id, row.contract_reference),
                ],
            )
        )
    return flags


# --- entry points ------------------------------------------------------------------------------

#: The rules that do not depend on the date (the payment-mismatch rule does).
_RULES = (
    _over_line,
    _over_contract,
    _duplicates,
    _outside_period,
    _payments_ahead,
    _amendment_value,
    _no_evidence,
    _no_line,
)

#: The rules that flag transactions, as selects with an ``id`` column.
_TRANSACTION_SELECTS = (
    _over_line_select,
    _over_contract_select,
    _duplicates_select,
    _outside_period_select,
    _no_line_select,
)


def portfolio_flags(project_ids=None, *, on: date | None = None) -> list[Flag]:
    """Return the red flags of every live project (or of those given), by kind then project.

    Nine queries whatever the number of projects and transactions.

    :param project_ids: limit to these projects; None for the whole portfolio.
    :param on: the day payments are judged due on (today by default; reports
        pass their data's date, so the same data give the same flags).
    """
    order = list(FlagKind)
    flags = [flag for rule in _RULES for flag in rule(project_ids)]
    flags += _payment_mismatch(project_ids, on or today())
    # Stable: within a kind, each rule's own order (project, then record) stays.
    return sorted(flags, key=lambda f: order.index(f.kind))


def project_flags(project, *, on: date | None = None) -> list[Flag]:
    """Return the red flags of one project (nine queries), as of ``on`` (default today)."""
    return portfolio_flags([project.id], on=on)


def flagged_ids_select(project_ids=None) -> sa.Select:
    """Return a select of the ids of flagged transactions, to use in ``IN (…)``."""
    selects = [build(project_ids).order_by(None).subquery() for build in _TRANSACTION_SELECTS]
    return sa.union(*(sa.select(s.c.id) for s in selects))


def flagged_transaction_ids(project_ids=None) -> set[int]:
    """Return the ids of the transactions some flag is about (one query)."""
    return set(db.session.scalars(flagged_ids_select(project_ids)))


def group_by_kind(flags) -> dict[FlagKind, list[Flag]]:
    """Return ``{kind: [flags]}`` in display order, kinds without flags left out."""
    groups: dict[FlagKind, list[Flag]] = {}
    for kind in FlagKind:
        found = [f for f in flags if f.kind == kind]
        if found:
            groups[kind] = found
    return groups
