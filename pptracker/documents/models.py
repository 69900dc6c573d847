"""Uploaded documents and what they belong to."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.confidentiality import ConfidentialMixin
from pptracker.database import Audited, Base, SoftDeleteMixin, TimestampMixin, VersionedMixin


class Document(Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A file attached to a project (and optionally to one of its contracts or amendments).

    The bytes live under ``instance/documents/`` named by their SHA-256, so a
    file uploaded twice is stored once; this row holds what the file is.
    """

    __tablename__ = "documents"
    __table_args__ = (sa.CheckConstraint("size >= 0", "size_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("amendments.id"), index=True)
    #: Evidence for a milestone's progress.
    milestone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("milestones.id"), index=True)
    #: Evidence for a KPI observation.
    kpi_observation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("kpi_observations.id"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    #: OC4IDS documentType code (an open list; PPP codes allowed).
    document_type: Mapped[str] = mapped_column(sa.String(60))
    #: The name it was uploaded under, cleaned; only ever shown, never a path.
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: Recognised from the content, not from the name.
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Meant for the public (on a published project, unless confidential).
    public: Mapped[bool] = mapped_column(default=False)

    project: Mapped["Project"] = relationship()  # noqa: F821
    uploaded_by: Mapped["User | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<Document id={self.id} {self.title!r} {self.media_type}>"
