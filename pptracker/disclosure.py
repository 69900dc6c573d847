"""What the public may see: the one rule for confidential records.

Every public page, export and report goes through here, so a confidential
contract, amendment, risk, commitment or document never reaches the public:
a ``Redacted`` notice with the reason stands in its place.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from pptracker.budgets.models import Transaction
from pptracker.contracts.models import Amendment, Contract
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.operations.models import Kpi, KpiObservation, ScheduledPayment
from pptracker.permissions import Action, can


@dataclass(frozen=True)
class Redacted:
    """Stands in for a withheld record: what it is, and why it is withheld."""

    kind: str
    label: str
    reason: str

    redacted = True


def may_see_confidential(user, project) -> bool:
    """Tell whether ``user`` may see the confidential records of ``project``."""
    return can(user, Action.VIEW_CONFIDENTIAL, project)


def disclose(items: Iterable, *, user, project, kind: str, label: Callable[[object], str]) -> list:
    """Return ``items`` as ``user`` may see them: confidential ones become ``Redacted``.

    :param kind: what the items are, for the notice ("contract", "amendment" …).
    :param label: names an item in its notice without revealing its content.
    """
    if may_see_confidential(user, project):
        return list(items)
    return [
        Redacted(kind, label(item), item.confidential_reason or "withheld")
        if item.confidential
        else item
        for item in items
    ]


def public_only(model) -> sa.ColumnElement[bool]:
    """Return the SQL condition for rows of ``model`` the public may see (exports, reports)."""
    condition = model.confidential.is_(False)
    if hasattr(model, "is_deleted"):
        condition = sa.and_(condition, model.is_deleted.is_(False))
    return condition


def is_redacted(item) -> bool:
    """Tell whether ``item`` is a redaction notice (for templates)."""
    return isinstance(item, Redacted)


#: Why a record of a deleted contract is withheld from the public.
WITHDRAWN = "its contract was withdrawn"


def withheld_reason(
    record,
    contract,
    *,
    withdrawn: str = WITHDRAWN,
    of_contract: Callable[[str], str] = str,
) -> str | None:
    """Return why the public may not see ``record``, or None when it may.

    A record is withheld when its contract is deleted or confidential, or when
    it is confidential itself; the contract's reason comes first.

    :param record: anything with ``confidential`` and ``confidential_reason``
        (None for a record that inherits its contract's confidentiality only).
    :param withdrawn: the reason given for a deleted contract.
    :param of_contract: words the contract's reason (e.g. "its contract is
        confidential (…)"); by default the reason as it stands.
    """
    if contract.is_deleted:
        return withdrawn
    if contract.confidential:
        return of_contract(contract.confidential_reason or "withheld")
    if record is not None and record.confidential:
        return record.confidential_reason or "withheld"
    return None


def notices(reasons: Iterable[str], kind: str, plural: str) -> list[Redacted]:
    """Return one notice per reason, counting the records withheld for it ("3 KPIs").

    :param kind: one record in words ("KPI"); ``plural``: several ("KPIs").
    """
    counts = Counter(reason or "withheld" for reason in reasons)
    return [
        Redacted(kind, f"{n} {kind if n == 1 else plural}", reason)
        for reason, n in sorted(counts.items())
    ]


def notice(kind: str, contract, reason: str) -> Redacted:
    """Return the notice for one withheld record of ``contract``.

    It names the contract unless the contract is withheld too.
    """
    if contract.confidential or contract.is_deleted:
        return Redacted(kind, f"A {kind} of a withheld contract", reason)
    return Redacted(kind, f"A {kind} of contract {contract.reference}", reason)


def withhold(pairs: Iterable[tuple], *, hide_confidential: bool, kind: Callable[[object], str]):
    """Split ``(record, contract)`` pairs into those shown and notices for those withheld.

    :param hide_confidential: True for the public; otherwise every pair is shown.
    :param kind: names a withheld record's kind for its notice ("tariff").
    :return: the pairs shown, in order, and one ``notice`` per record withheld.
    """
    shown, withheld = [], []
    for record, contract in pairs:
        reason = withheld_reason(record, contract) if hide_confidential else None
        if reason is None:
            shown.append((record, contract))
        else:
            withheld.append(notice(kind(record), contract, reason))
    return shown, withheld


# --- what the public may see, as SQL ------------------------------------------------------
# Each condition names its own aliases, so it never correlates with a table
# the enclosing query happens to join.


def _public_contract_id(column) -> sa.ColumnElement[bool]:
    contract = aliased(Contract)
    return sa.exists().where(contract.id == column, public_only(contract))


def public_transaction() -> sa.ColumnElement[bool]:
    """Return the condition for the transactions the public may see.

    A transaction is withheld when it is deleted, when its contract is
    confidential or deleted, or when it settles a scheduled payment the
    public may not see (confidential, or of a withheld contract).
    """
    payment, payment_contract = aliased(ScheduledPayment), aliased(Contract)
    return sa.and_(
        Transaction.is_deleted.is_(False),
        sa.or_(Transaction.contract_id.is_(None), _public_contract_id(Transaction.contract_id)),
        sa.or_(
            Transaction.scheduled_payment_id.is_(None),
            sa.exists().where(
                payment.id == Transaction.scheduled_payment_id,
                payment.confidential.is_(False),
                payment_contract.id == payment.contract_id,
                public_only(payment_contract),
            ),
        ),
    )


def public_amendment() -> sa.ColumnElement[bool]:
    """Return the condition for the amendments the public may see (of a public contract)."""
    return sa.and_(Amendment.confidential.is_(False), _public_contract_id(Amendment.contract_id))


def public_document() -> sa.ColumnElement[bool]:
    """Return the condition for the documents the public may see.

    Meant for the public, not confidential, live; and not attached to a
    withheld contract, amendment or KPI.
    """
    amendment, amendment_contract = aliased(Amendment), aliased(Contract)
    observation, kpi, kpi_contract = aliased(KpiObservation), aliased(Kpi), aliased(Contract)
    return sa.and_(
        Document.public.is_(True),
        public_only(Document),
        sa.or_(Document.contract_id.is_(None), _public_contract_id(Document.contract_id)),
        sa.or_(
            Document.amendment_id.is_(None),
            sa.exists().where(
                amendment.id == Document.amendment_id,
                amendment.confidential.is_(False),
                amendment_contract.id == amendment.contract_id,
                public_only(amendment_contract),
            ),
        ),
        sa.or_(
            Document.kpi_observation_id.is_(None),
            sa.exists().where(
                observation.id == Document.kpi_observation_id,
                kpi.id == observation.kpi_id,
                public_only(kpi),
                kpi_contract.id == kpi.contract_id,
                public_only(kpi_contract),
            ),
        ),
    )


def document_is_public(document) -> bool:
    """Tell whether the public may download ``document`` (one statement)."""
    visible = sa.exists().where(Document.id == document.id, public_document())
    return bool(db.session.scalar(sa.select(visible)))
