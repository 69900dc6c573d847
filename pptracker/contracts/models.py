"""A project's contracts, their parties, amendments, risk allocation and fiscal commitments."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.confidentiality import ConfidentialMixin
from pptracker.database import Audited, Base, SoftDeleteMixin, TimestampMixin, VersionedMixin
from pptracker.enums import enum_column


class ContractStatus(StrEnum):
    """OC4IDS contractingProcessStatus."""

    PRE_AWARD = "pre-award"
    ACTIVE = "active"
    CLOSED = "closed"


class PaymentMechanism(StrEnum):
    """Who pays the private party."""

    USER_PAYS = "userPays"
    GOVERNMENT_PAYS = "governmentPays"
    HYBRID = "hybrid"


class AmendmentType(StrEnum):
    """OC4IDS modificationType."""

    DURATION = "duration"
    VALUE = "value"
    SCOPE = "scope"


class Allocation(StrEnum):
    """Who bears a risk."""

    PUBLIC = "public"
    PRIVATE = "private"
    SHARED = "shared"


class CommitmentType(StrEnum):
    """Kinds of government support (World Bank disclosure framework, section VI)."""

    GUARANTEE = "guarantee"
    SUBSIDY = "subsidy"
    AVAILABILITY_PAYMENT = "availabilityPayment"
    SERVICE_PAYMENT = "servicePayment"
    LAND_OR_ASSET_TRANSFER = "landOrAssetTransfer"
    OTHER = "other"


class CommitmentNature(StrEnum):
    """Direct (certain) or contingent (triggered by an event) fiscal commitment."""

    DIRECT = "direct"
    CONTINGENT = "contingent"


#: Triggers refusing any change of a contract's initial value and period once
#: it is signed (a pre-award estimate may still be corrected), and any change
#: or deletion of an amendment's facts. The migration carries its own copy
#: (migrations never import models).
FROZEN_MESSAGE_CONTRACT = "the initial value and period of a contract are never overwritten"
FROZEN_MESSAGE_AMENDMENT = "amendments are append-only"
_INITIAL = ("initial_value", "currency", "initial_start", "initial_end", "signature_date")
_AMENDMENT_FACTS = (
    "contract_id",
    "number",
    "amended_on",
    "type",
    "rationale",
    "description",
    "approved_by",
    "approved_on",
    "old_value",
    "new_value",
    "old_start",
    "new_start",
    "old_end",
    "new_end",
)


def _changed(columns, op: str) -> str:
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


FROZEN_DDL = {
    "sqlite": [
        "CREATE TRIGGER contracts_initial_frozen BEFORE UPDATE ON contracts "
        f"WHEN OLD.signature_date IS NOT NULL AND ({_changed(_INITIAL, 'IS NOT')}) "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE_CONTRACT}'); END",
        "CREATE TRIGGER amendments_frozen BEFORE UPDATE ON amendments "
        f"WHEN {_changed(_AMENDMENT_FACTS, 'IS NOT')} "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE_AMENDMENT}'); END",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE_AMENDMENT}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END $$",
        "CREATE TRIGGER contracts_initial_frozen BEFORE UPDATE ON contracts FOR EACH ROW "
        f"WHEN (OLD.signature_date IS NOT NULL AND ({_changed(_INITIAL, 'IS DISTINCT FROM')})) "
        f"EXECUTE FUNCTION refuse_change('{FROZEN_MESSAGE_CONTRACT}')",
        "CREATE TRIGGER amendments_frozen BEFORE UPDATE ON amendments FOR EACH ROW "
        f"WHEN ({_changed(_AMENDMENT_FACTS, 'IS DISTINCT FROM')}) "
        f"EXECUTE FUNCTION refuse_change('{FROZEN_MESSAGE_AMENDMENT}')",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments FOR EACH ROW "
        f"EXECUTE FUNCTION refuse_change('{FROZEN_MESSAGE_AMENDMENT}')",
    ],
}


class Contract(Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """One contract of a project (the PPP concession itself, design, construction …)."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "reference", name="uq_contracts_project_reference"),
        sa.CheckConstraint("initial_value >= 0", "initial_value_nonnegative"),
        sa.CheckConstraint(
            "number_of_tenderers IS NULL OR number_of_tenderers >= 0", "tenderers_nonnegative"
        ),
        sa.CheckConstraint(
            "initial_end IS NULL OR initial_start IS NULL OR initial_end >= initial_start",
            "initial_end_after_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    #: The contract's own reference, unique within the project (e.g. ``MT-2015/07``).
    reference: Mapped[str] = mapped_column(sa.String(60))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: OC4IDS contractNature codes, plus ``operation`` (PPP contracts operate assets).
    nature: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[ContractStatus] = mapped_column(enum_column(ContractStatus, 16))
    #: OCDS method: open, selective, limited, direct.
    procurement_method: Mapped[str | None] = mapped_column(sa.String(20))
    procurement_method_details: Mapped[str | None] = mapped_column(sa.String(500))
    number_of_tenderers: Mapped[int | None]
    payment_mechanism: Mapped[PaymentMechanism] = mapped_column(enum_column(PaymentMechanism, 20))
    signature_date: Mapped[date | None]
    financial_close_date: Mapped[date | None]
    #: Contract value at signature, in ``currency``; never overwritten.
    initial_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Contract period at signature; never overwritten.
    initial_start: Mapped[date | None]
    initial_end: Mapped[date | None]

    project: Mapped["Project"] = relationship()  # noqa: F821
    parties: Mapped[list["ContractParty"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractParty.id"
    )
    amendments: Mapped[list["Amendment"]] = relationship(
        back_populates="contract", order_by="Amendment.number"
    )

    def __repr__(self) -> str:
        return f"<Contract id={self.id} ref={self.reference!r}>"


class ContractParty(Audited, Base):
    """A party to a contract, in one role (supplier, privateParty, lender …)."""

    __tablename__ = "contract_parties"
    __table_args__ = (
        sa.UniqueConstraint(
            "contract_id", "party_id", "role", name="uq_contract_parties_contract_party_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("parties.id"), index=True)
    #: OC4IDS partyRole (or PPP profile) code.
    role: Mapped[str] = mapped_column(sa.String(40))

    contract: Mapped[Contract] = relationship(back_populates="parties")
    party: Mapped["Party"] = relationship()  # noqa: F821

    @property
    def project_id(self) -> int | None:
        """The project of the contract, for the audit log."""
        return self.contract.project_id if self.contract else None

    def __repr__(self) -> str:
        return f"<ContractParty contract={self.contract_id} party={self.party_id} {self.role}>"


class Amendment(Audited, ConfidentialMixin, TimestampMixin, Base):
    """A change to a contract's value, period or scope: appended, never edited.

    ``old_*`` hold the contract's current value or period just before the
    amendment, ``new_*`` what it became; the contract's current terms are
    derived from the latest amendments (see ``contracts.queries``).
    """

    __tablename__ = "amendments"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "number", name="uq_amendments_contract_number"),
        sa.CheckConstraint("new_value IS NULL OR new_value >= 0", "new_value_nonnegative"),
        sa.CheckConstraint(
            "new_end IS NULL OR new_start IS NULL OR new_end >= new_start", "new_end_after_start"
        ),
        sa.CheckConstraint("length(rationale) > 0", "rationale_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    #: 1, 2, 3 … within the contract.
    number: Mapped[int]
    amended_on: Mapped[date]
    type: Mapped[AmendmentType] = mapped_column(enum_column(AmendmentType, 16))
    rationale: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who approved it (a person or body) and when.
    approved_by: Mapped[str] = mapped_column(sa.String(200))
    approved_on: Mapped[date]
    old_value: Mapped[Decimal | None]
    new_value: Mapped[Decimal | None]
    old_start: Mapped[date | None]
    new_start: Mapped[date | None]
    old_end: Mapped[date | None]
    new_end: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship(back_populates="amendments")

    def __repr__(self) -> str:
        return f"<Amendment contract={self.contract_id} no={self.number} {self.type}>"


class RiskAllocation(
    Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base
):
    """Who bears one category of risk under a contract."""

    __tablename__ = "risk_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    #: A code of ``codelists.RISK_CATEGORIES``.
    category: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    allocation: Mapped[Allocation] = mapped_column(enum_column(Allocation, 16))
    mitigation: Mapped[str] = mapped_column(sa.Text, default="")

    contract: Mapped[Contract] = relationship()

    def __repr__(self) -> str:
        return f"<RiskAllocation contract={self.contract_id} {self.category}={self.allocation}>"


class FiscalCommitment(
    Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base
):
    """A government guarantee, subsidy or payment obligation under a project."""

    __tablename__ = "fiscal_commitments"
    __table_args__ = (
        sa.CheckConstraint("max_exposure >= 0", "max_exposure_nonnegative"),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", "end_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    type: Mapped[CommitmentType] = mapped_column(enum_column(CommitmentType, 24))
    nature: Mapped[CommitmentNature] = mapped_column(enum_column(CommitmentNature, 16))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The most the government can have to pay, in ``currency``.
    max_exposure: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]

    contract: Mapped[Contract | None] = relationship()

    def __repr__(self) -> str:
        return f"<FiscalCommitment id={self.id} {self.type} {self.max_exposure} {self.currency}>"


for _dialect, _statements in FROZEN_DDL.items():
    for _statement in _statements:
        table = Amendment.__table__ if " ON amendments" in _statement else Contract.__table__
        if _statement.startswith("CREATE OR REPLACE FUNCTION"):
            table = Contract.__table__
        sa.event.listen(table, "after_create", sa.DDL(_statement).execute_if(dialect=_dialect))
