"""Open data downloads: the tables as CSV and JSON, and the OC4IDS project packages.

Everything here is public and shows only published, live projects and
their public records, whoever asks. Exports are streamed (constant memory)
and carry an ETag of the data version and the settings that shape them:
a reader holding the current copy gets a 304 before anything is read.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wsgi import wrap_file

from pptracker.csvutil import csv_download, stream_csv
from pptracker.opendata import files, oc4ids, queries
from pptracker.opendata.jsonout import stream_array
from pptracker.opendata.settings import Settings
from pptracker.opendata.tables import TABLES
from pptracker.pagecache import cached_page
from pptracker.permissions import public
from pptracker.reports import version

bp = Blueprint("opendata", __name__, template_folder="templates")

#: Anyone may keep a copy, but must ask whether it is still current (a 304 is cheap).
CACHING = "public, no-cache"
JSON_MIMETYPE = "application/json"


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _not_modified(key: str) -> Response | None:
    if request.if_none_match.contains(key):
        return Response(status=304, headers={"ETag": f'"{key}"', "Cache-Control": CACHING})
    return None


def _cached(response: Response, key: str) -> Response:
    response.headers["ETag"] = f'"{key}"'
    response.headers["Cache-Control"] = CACHING
    return response


def _links(settings: Settings) -> oc4ids.Links:
    return oc4ids.Links(
        document=lambda doc_id: settings.url(url_for("documents.download", doc_id=doc_id)),
        report=lambda code: settings.url(url_for("reports.project", code=code)),
    )


def _policy_url(settings: Settings) -> str:
    return settings.url(url_for("opendata.index", _anchor="policy"))


@bp.get("/opendata/")
@public
@cached_page
def index():
    """The open data page: the datasets, their fields, the licence and the publication policy."""
    config = current_app.config
    return render_template(
        "opendata/index.html",
        tables=TABLES.values(),
        counts=queries.counts(),
        version=version.current(),
        prefix=config["OC4IDS_PREFIX"],
        license_url=config["OPENDATA_LICENSE_URL"],
        license_title=config["OPENDATA_LICENSE_TITLE"],
        publisher=config["OPENDATA_PUBLISHER_NAME"],
        contact_email=config["OPENDATA_CONTACT_EMAIL"],
    )


@bp.get("/opendata/<name>.<any(csv, json):fmt>")
@public
def table(name: str, fmt: str):
    """One table of the open data, as CSV or as a JSON array of objects."""
    spec = TABLES.get(name)
    if spec is None:
        abort(404)
    settings = _settings()
    key = settings.etag(f"{name}.{fmt}", version.current())
    not_modified = _not_modified(key)
    if not_modified is not None:
        return not_modified
    kept = files.open_file(f"{name}.{fmt}", key)
    if kept is None:
        rows = spec.rows(settings)
        if fmt == "csv":
            body = stream_csv(spec.header, (_csv_cells(row) for row in rows))
        else:
            header = spec.header
            body = stream_array(dict(zip(header, row, strict=True)) for row in rows)
        body = stream_with_context(files.tee(f"{name}.{fmt}", key, body))
    else:
        body = _sent_file(kept)
    if fmt == "csv":
        response = csv_download(body, f"{name}.csv")
    else:
        response = Response(body, mimetype=JSON_MIMETYPE)
    response.direct_passthrough = kept is not None
    return _cached(response, key)


def _sent_file(kept):
    # The server may send the file itself (sendfile) instead of Python reading it.
    return wrap_file(request.environ, kept)


def _csv_cells(row: tuple) -> list:
    # CSV has no booleans: the same words as JSON.
    return ["true" if v is True else "false" if v is False else v for v in row]


@bp.get("/opendata/oc4ids.json", endpoint="oc4ids")
@public
def oc4ids_package():
    """The OC4IDS project package of every published project, streamed."""
    settings = _settings()
    at = version.current()
    key = settings.etag("oc4ids", at)
    not_modified = _not_modified(key)
    if not_modified is not None:
        return not_modified
    kept = files.open_file("oc4ids", key)
    if kept is not None:
        return _cached(
            Response(_sent_file(kept), mimetype=JSON_MIMETYPE, direct_passthrough=True), key
        )
    head = oc4ids.package_head(
        settings,
        at,
        uri=settings.url(url_for("opendata.oc4ids")),
        policy_url=_policy_url(settings),
    )
    body = oc4ids.stream_package(
        head,
        queries.project_batches(settings.projects_per_batch),
        settings,
        _links(settings),
        as_of=at.today,
    )
    body = stream_with_context(files.tee("oc4ids", key, body))
    return _cached(Response(body, mimetype=JSON_MIMETYPE), key)


@bp.get("/projects/<code>/oc4ids.json")
@public
def project_oc4ids(code: str):
    """The OC4IDS project package of one published project."""
    # Published projects only, whoever asks: this is what the public may read.
    found = queries.published_project(code)
    if found is None:
        abort(404)
    project, at = found
    settings = _settings()
    key = settings.etag(f"oc4ids/{project.code}", at)
    not_modified = _not_modified(key)
    if not_modified is not None:
        return not_modified
    head = oc4ids.package_head(
        settings,
        at,
        uri=settings.url(url_for("opendata.project_oc4ids", code=project.code)),
        policy_url=_policy_url(settings),
    )
    batch = queries.load_batch([project])
    body = "".join(
        oc4ids.stream_package(head, iter([batch]), settings, _links(settings), as_of=at.today)
    )
    return _cached(Response(body, mimetype=JSON_MIMETYPE), key)
