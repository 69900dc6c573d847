"""The confidential flag shared by every disclosable record."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


class ConfidentialMixin:
    """A record that may be withheld from the public, with the reason why.

    Confidential records never reach a public page, export or report; a
    redaction notice with the reason stands in their place (see
    ``pptracker.disclosure``).
    """

    confidential: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Why it is withheld (e.g. "commercially sensitive pricing, clause 12").
    confidential_reason: Mapped[str | None] = mapped_column(sa.String(500))
