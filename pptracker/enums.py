"""Storing Python enums by value, the one choice for the whole schema."""

from enum import StrEnum

import sqlalchemy as sa


def enum_column(enum: type[StrEnum], length: int = 32) -> sa.Enum:
    """Return a portable column type storing ``enum`` members by value.

    A VARCHAR with a CHECK constraint, not a native PostgreSQL enum, so the
    same migration runs on SQLite and the stored text is readable.
    """
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=enum.__name__.lower(),
    )
