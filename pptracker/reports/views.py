"""Report downloads: the public project and portfolio reports, the auditors' spending report.

Each answers with the cached bytes of the current data version, an ETag
that is the hash of the report's inputs, and 304 when the reader already
holds that version (no bytes sent, so no download recorded).
"""

import os

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from werkzeug.wsgi import wrap_file

from pptracker.audit.models import AuditChainHead
from pptracker.extensions import db
from pptracker.permissions import Action, permission_required, public
from pptracker.projects.models import Project
from pptracker.projects.queries import get_project
from pptracker.reports import services, signing, version

bp = Blueprint("reports", __name__)

#: Readers may keep a report, but must ask whether it is still current:
#: the data can change at any moment, and asking costs a 304.
PUBLIC_CACHING = "public, no-cache"
#: Internal reports are not for shared caches.
PRIVATE_CACHING = "private, no-cache"


#: A published project's id and code, beside the data version: the one
#: statement a cached download needs before it answers.
_PUBLISHED_PROJECT = (
    sa.select(Project.id, Project.code, *version.COLUMNS)
    .join(AuditChainHead, version.HEAD_ROW)
    .where(
        Project.code == sa.bindparam("code"),
        Project.published,
        Project.is_deleted.is_(False),
    )
)


def _serve(spec: services.ReportSpec, caching: str, at: version.DataVersion) -> Response:
    key = spec.key(at)
    headers = {"ETag": f'"{key}"', "Cache-Control": caching}
    if request.if_none_match.contains(key):
        return Response(status=304, headers=headers)
    try:
        report = services.get(spec, version=at, key=key)
    except signing.SigningError as error:
        # Signing is configured but cannot be done (say, the certificate
        # expired): an unsigned copy would pass for what readers were
        # promised, so the report is unavailable. The reason (which may name
        # server paths) goes to the log, not to the reader.
        current_app.logger.error("cannot sign the %s: %s", spec.title, error)
        abort(503, "The report cannot be signed at the moment; please try again later.")
    if report.built:
        db.session.commit()  # the build's own event
    if request.method != "HEAD":
        services.record_download(report)
    headers["Content-Disposition"] = f'inline; filename="{spec.filename}"'
    if report.file is None:
        return Response(report.content, mimetype="application/pdf", headers=headers)
    # The cached file as it is: the server may send it without copying it
    # through Python (sendfile), and closes it when done.
    size = os.fstat(report.file.fileno()).st_size
    response = Response(
        wrap_file(request.environ, report.file),
        mimetype="application/pdf",
        headers=headers,
        direct_passthrough=True,
    )
    response.content_length = size
    return response


@bp.get("/projects/<code>/report.pdf")
@public
def project(code: str):
    """The project's public transparency report."""
    # The public report exists for published projects only, whoever asks: it
    # is what the public may read, not a preview.
    row = db.session.connection().execute(_PUBLISHED_PROJECT, {"code": code}).one_or_none()
    if row is None:
        abort(404)
    return _serve(services.project_spec(row), PUBLIC_CACHING, version.of(row))


@bp.get("/reports/portfolio.pdf")
@public
def portfolio():
    """The public portfolio report: every published project."""
    return _serve(services.portfolio_spec(), PUBLIC_CACHING, version.current())


@bp.get("/audit/reports/spending.pdf")
@permission_required(Action.VIEW_SPENDING)
def spending():
    """The auditors' spending report of one project (``?project=CODE``) or of the portfolio."""
    code = request.args.get("project", "").strip()
    project = None
    if code:
        project = get_project(code)
        if project is None:
            abort(404, f"There is no project with the code {code!r}.")
    return _serve(services.spending_spec(project), PRIVATE_CACHING, version.current())
