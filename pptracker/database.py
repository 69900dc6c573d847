"""Declarative base, column types and mixins shared by every model."""

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The area packages whose models make up the schema, in dependency order.
MODEL_MODULES = (
    "pptracker.auth.models",
    "pptracker.projects.models",
    "pptracker.audit.models",
    "pptracker.contracts.models",
    "pptracker.documents.models",
    "pptracker.milestones.models",
    "pptracker.budgets.models",
    "pptracker.operations.models",
    "pptracker.feedback.models",
)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in UTC (contractual dates are calendar days)."""
    return utcnow().date()


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always stored and returned as aware UTC.

    SQLite keeps no zone and hands back naive values; PostgreSQL converts to
    the session's zone. Normalising here means no caller ever compares a
    naive with an aware datetime.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(sa.types.TypeDecorator):
    """An amount of money with two decimals, exact on every engine.

    PostgreSQL stores ``NUMERIC(18, 2)``. SQLite has no exact decimal type
    (it would keep a float), so there the value is stored as an integer
    number of hundredths: sums and comparisons in SQL stay exact too.
    """

    impl = sa.Numeric(18, 2)
    cache_ok = True
    _CENT = Decimal("0.01")

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        value = Decimal(value)
        if value != value.quantize(self._CENT):
            raise ValueError(f"money has more than two decimals: {value}")
        return int(value.scaleb(2)) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-2).quantize(self._CENT)
        return Decimal(value).quantize(self._CENT)

    @property
    def python_type(self):
        return Decimal


class ExactDecimal(sa.types.TypeDecorator):
    """A non-money decimal (an exchange rate), exact on every engine.

    PostgreSQL stores ``NUMERIC(precision, scale)``; SQLite, which would keep
    a float, stores the decimal's text.
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 8):
        super().__init__(precision, scale)
        self.precision, self.scale = precision, scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(self.precision + 2))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("exact decimals must be Decimal, never float")
        value = Decimal(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(str(value))

    @property
    def python_type(self):
        return Decimal


class Base(DeclarativeBase):
    """Base of every model: constraint naming convention and shared types."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), Decimal: Money()},
    )


class Audited:
    """Marks a model whose every create, update and delete is audited.

    ``audit/capture.py`` records the changes at flush. A model that is not
    audited must say why in ``__audit_exempt__`` (a test checks every one).
    """

    #: Columns left out of the recorded diff (bookkeeping, not facts).
    __audit_ignore__: frozenset[str] = frozenset({"id", "updated_at", "created_at", "version"})
    #: Columns whose values are never written to the log, only that they changed.
    __audit_redact__: frozenset[str] = frozenset()


class TimestampMixin:
    """``created_at`` / ``updated_at`` in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """A ``version`` counter for optimistic locking.

    SQLAlchemy adds ``WHERE version = <loaded>`` to every UPDATE, so a
    concurrent write fails at flush instead of being silently overwritten;
    forms also carry the version they were opened at (see ``check_version``).
    The counter moves only when a user-visible column changes (see
    ``_bump_versions``): bookkeeping such as a last sign-in time must not make
    an administrator's open form stale.
    """

    #: Columns whose change does not make a new version.
    __unversioned__: frozenset[str] = frozenset({"updated_at", "last_sign_in_at"})

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805 - declared_attr receives the class
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}


def _bump_versions(session, _context, _instances) -> None:
    for obj in session.dirty:
        if not isinstance(obj, VersionedMixin) or not session.is_modified(obj):
            continue
        state = sa.inspect(obj)
        changed = {
            attr.key
            for attr in state.attrs
            if attr.key not in obj.__unversioned__
            and attr.key != "version"
            and attr.history.has_changes()
        }
        if changed:
            obj.version = state.committed_state.get("version", obj.version) + 1


sa.event.listen(Session, "before_flush", _bump_versions)


class SoftDeleteMixin:
    """Rows are marked deleted, never removed, so history still resolves."""

    is_deleted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    deleted_at: Mapped[datetime | None]


def import_models() -> None:
    """Import every area's models so the metadata holds the whole schema."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
