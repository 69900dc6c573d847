"""Domain errors and the error pages (HTML, or JSON under ``/api``)."""

from flask import jsonify, render_template, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, HTTPException, InternalServerError, RequestEntityTooLarge

from pptracker.permissions import public


class DomainError(Exception):
    """A business rule refused a change; the message is for the user.

    :param field: the form field the message belongs beside, if any.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """Someone else saved the record after this user opened it."""


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(error: HTTPException):
    if _wants_json():
        return jsonify(error=error.name, message=error.description), error.code
    template = (
        f"errors/{error.code}.html" if error.code in (403, 404, 500) else "errors/generic.html"
    )
    return render_template(template, error=error), error.code


def register_error_handlers(app) -> None:
    """Render every HTTP error as a friendly page; never a stack trace."""
    app.register_error_handler(HTTPException, _render)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        # Raised while the body is parsed, often by the CSRF check before any view runs.
        limit = int(app.config["MAX_UPLOAD_MB"])
        return _render(
            RequestEntityTooLarge(
                f"The file is larger than the {limit} MB limit. Nothing was uploaded. "
                "Go back and choose a smaller file, or split or compress it first."
            )
        )

    @app.errorhandler(StaleDataError)
    def stale(_error):
        # Two saves raced past the form's version check; the second loses.
        from pptracker.extensions import db

        db.session.rollback()
        return _render(
            Conflict(
                "Someone else saved this record at the same moment, so your change was not saved. "
                "Reload the page and apply it again."
            )
        )

    @app.errorhandler(Exception)
    def unexpected(error):  # the debugger still catches it in development
        app.logger.exception("unhandled error on %s", request.path)
        return _render(InternalServerError())

    unexpected.permission = "public"
    public(_render)
