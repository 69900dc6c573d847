"""Form pieces shared by every area."""

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.services import check_version

T = TypeVar("T")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons (publish, delete)."""


def check_button() -> None:
    """Refuse (400) a POST button whose CSRF token is missing or expired."""
    if not EmptyForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")


class CsvImportForm(FlaskForm):
    """Upload a CSV file to import; the importer checks its size, rows and content."""

    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file to import.")],
        render_kw={"accept": ".csv,text/csv"},
    )


def csv_import_form(what: str, *, max_rows: int, max_bytes: int) -> CsvImportForm:
    """Return the upload form for an importer of ``what`` ("milestones") with its limits."""
    form = CsvImportForm()
    form.file.description = (
        f"UTF-8 CSV in the template's format, at most {max_rows:,} {what} "
        f"and {max_bytes // (1024 * 1024)} MB."
    )
    return form


class VersionField(HiddenField):
    """The record version the form was opened at, for optimistic locking."""

    def __init__(self, **kwargs):
        super().__init__("Version", **kwargs)


def optional_int(value):
    """Coerce a select's value to an id; the blank choice means None."""
    return int(value) if value not in (None, "", "None") else None


def contract_choices(contracts) -> dict:
    """Return the select choices for a project's contracts, after a blank "choose" one."""
    return {"": "Choose a contract"} | {c.id: f"{c.reference} – {c.title}" for c in contracts}


def blank_to_none(value):
    """Filter: an empty string from a form means "no value"."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def attach_error(form, error) -> None:
    """Show a service's ``DomainError`` beside its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def show_conflict(form, record, error) -> None:
    """Keep the user's edits after a version conflict and show what changed.

    The form keeps what the user typed; each field whose saved value is now
    different gets a note with that value, and the version moves to the
    current one, so saving again is a deliberate choice. Nothing is lost.
    """
    form.form_errors.append(error.message)
    for name, field in form._fields.items():
        if name in ("version", "csrf_token", "password") or not hasattr(record, name):
            continue
        current = getattr(record, name)
        current = getattr(current, "value", current)  # enums
        if current != field.data and not (current in (None, "") and field.data in (None, "")):
            field.conflict_note = (
                f"Now saved as: {current if current not in (None, '') else '(empty)'}"
            )
    form.version.data = record.version


def form_status(form) -> int:
    """Return the status a re-rendered form answers with: 409 after a version
    conflict (``save``), 400 when it holds errors, else 200."""
    if getattr(form, "conflict", False):
        return 409
    return 400 if form.errors or form.form_errors else 200


def save(form, work: Callable[[], T], *, record=None) -> tuple[bool, T | None]:
    """Run a validated form's service call and commit it, or show why it was refused.

    :param work: the service call; a ``DomainError`` it raises rolls the
        transaction back and goes on the form (beside its field, or above it).
    :param record: the record an edit form changes: first checked against the
        version the form was opened at. A conflict rolls back, keeps the
        user's edits with what changed (``show_conflict``), and makes
        ``form_status`` answer 409.
    :return: ``(True, work's result)`` once committed, else ``(False, None)``.
    """
    try:
        if record is not None:
            check_version(record, form.version.data)
        result = work()
    except ConflictError as error:
        db.session.rollback()
        show_conflict(form, record, error)
        form.conflict = True
        return False, None
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return False, None
    db.session.commit()
    return True, result


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
