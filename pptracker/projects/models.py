"""The PPP project (the aggregate every module hangs on) and its parties."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.database import Audited, Base, SoftDeleteMixin, TimestampMixin, VersionedMixin

#: Which users manage which projects.
project_managers = sa.Table(
    "project_managers",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Party(Audited, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """An organisation taking part in projects (OC4IDS ``Organization``)."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    #: OC4IDS partyRole codes (plus the PPP profile's), e.g. ``["publicAuthority"]``.
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Organisation identifier scheme (org-id.guide list code, e.g. ``GB-COH``).
    identifier_scheme: Mapped[str | None] = mapped_column(sa.String(40))
    identifier_id: Mapped[str | None] = mapped_column(sa.String(80))
    #: ISO 3166-1 alpha-2 country code.
    country: Mapped[str | None] = mapped_column(sa.String(2))
    street_address: Mapped[str | None] = mapped_column(sa.String(200))
    locality: Mapped[str | None] = mapped_column(sa.String(100))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_telephone: Mapped[str | None] = mapped_column(sa.String(40))
    url: Mapped[str | None] = mapped_column(sa.String(300))

    def __repr__(self) -> str:
        return f"<Party id={self.id} name={self.name!r}>"


class Project(Audited, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A public-private partnership: one infrastructure project."""

    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint("budget_amount >= 0", "budget_nonnegative"),
        sa.CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
            "planned_end_after_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public, stable and URL-safe; the OC4IDS id is ``<prefix>-<code>``.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    #: OC4IDS projectSector code.
    sector: Mapped[str] = mapped_column(sa.String(40), index=True)
    #: OC4IDS projectType code.
    type: Mapped[str] = mapped_column(sa.String(20))
    #: OC4IDS projectStatus code.
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: Key of ``codelists.PPP_MODELS``.
    ppp_model: Mapped[str] = mapped_column(sa.String(30), index=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    #: WGS 84 point; coordinates are measurements, not money, so float is right.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    public_authority_id: Mapped[int] = mapped_column(sa.ForeignKey("parties.id"), index=True)
    private_party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parties.id"), index=True)
    #: ISO 4217 code of the project's currency.
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Approved project budget, in ``currency``.
    budget_amount: Mapped[Decimal | None]
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    published: Mapped[bool] = mapped_column(default=False, index=True)
    published_at: Mapped[datetime | None]

    public_authority: Mapped[Party] = relationship(foreign_keys=[public_authority_id])
    private_party: Mapped[Party | None] = relationship(foreign_keys=[private_party_id])
    managers: Mapped[list["User"]] = relationship(  # noqa: F821 - auth.models
        secondary=project_managers, order_by="User.name"
    )

    def __repr__(self) -> str:
        return f"<Project id={self.id} code={self.code!r}>"
