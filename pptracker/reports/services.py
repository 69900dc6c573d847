"""Getting a report: from the cache when its data have not changed, else built, signed and kept.

A report's cache key is a hash of everything its bytes depend on: which
report, the data version (the last change in the audit chain), the public
address printed in it, the signing certificate, and ``LAYOUT`` (raised when
the code draws reports differently). Reads do not move the data version,
so every download of a version gets the same bytes, signature included,
and a reader's ``If-None-Match`` can be answered without building anything.

Every build is an audit event (``report.generate``), and so is every
download (``report.download``, recorded by the caller).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app

from pptracker.audit.services import record, record_read
from pptracker.extensions import db
from pptracker.projects.models import Project
from pptracker.reports import (
    cache,
    portfolio_data,
    portfolio_report,
    project_data,
    project_report,
    signing,
    spending_data,
    spending_report,
)
from pptracker.reports.version import DataVersion, current

#: Raise when a change to the code changes the bytes of a report built from
#: the same data, so the cached copies are rebuilt.
LAYOUT = "1"


@dataclass(frozen=True)
class ReportSpec:
    """One report to get: what it is called, for whom, and how to build it.

    :param name: its cache name ("project-<code>", "portfolio", "spending-<code>").
    :param public: public reports are signed when signing is configured.
    :param project_id: the project it is about (for the audit event), or None.
    :param build: data version → unsigned PDF bytes.
    :param settings: configuration the report's content depends on (flag thresholds).
    """

    name: str
    title: str
    filename: str
    public: bool
    project_id: int | None
    build: Callable[[DataVersion], bytes]
    settings: tuple = ()

    def key(self, version: DataVersion) -> str:
        """Return the hash of the report's inputs: its cache key and ETag."""
        parts = [
            LAYOUT,
            self.name,
            version.seq,
            version.hash,
            base_url(),
            signing.fingerprint() if self.public else None,
            *self.settings,
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Report:
    """A report, its key (the ETag), and whether this call built it.

    A report just built holds its ``content``; one from the cache holds the
    open cache ``file`` instead, for the server to send as it is (``read``
    gives the bytes and closes it).
    """

    spec: ReportSpec
    version: DataVersion
    key: str
    built: bool
    content: bytes | None = None
    file: BinaryIO | None = None

    def read(self) -> bytes:
        """Return the PDF's bytes."""
        if self.content is not None:
            return self.content
        with self.file:
            return self.file.read()


def base_url() -> str:
    """Return the public site's address, as printed in reports."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def project_spec(project) -> ReportSpec:
    """Return the spec of a project's public transparency report.

    :param project: anything with the project's ``id`` and ``code`` (a row is
        enough: the project itself is loaded only when the report is built).
    """
    project_id = project.id

    def build(version: DataVersion) -> bytes:
        live = db.session.get(Project, project_id)
        return project_report.render(project_data.assemble(live, version, base_url=base_url()))

    return ReportSpec(
        name=f"project-{project.code}",
        title=f"transparency report of {project.code}",
        filename=f"pptracker-{project.code}-transparency-report.pdf",
        public=True,
        project_id=project_id,
        build=build,
    )


def portfolio_spec() -> ReportSpec:
    """Return the spec of the public portfolio report."""

    def build(version: DataVersion) -> bytes:
        return portfolio_report.render(portfolio_data.assemble(version, base_url=base_url()))

    return ReportSpec(
        name="portfolio",
        title="portfolio report",
        filename="pptracker-portfolio-report.pdf",
        public=True,
        project_id=None,
        build=build,
    )


def spending_spec(project=None) -> ReportSpec:
    """Return the spec of the auditors' spending report of ``project`` (None: the portfolio)."""

    def build(version: DataVersion) -> bytes:
        return spending_report.render(spending_data.assemble(project, version))

    scope = project.code if project is not None else "portfolio"
    return ReportSpec(
        name=f"spending-{scope}",
        title=f"spending report of {scope}",
        filename=f"pptracker-{scope}-spending-report.pdf",
        public=False,
        project_id=project.id if project is not None else None,
        build=build,
        # The red-flag rules read these thresholds.
        settings=(
            current_app.config["PAYMENTS_AHEAD_MARGIN"],
            current_app.config["AMENDMENT_VALUE_FLAG_PERCENT"],
        ),
    )


def get(spec: ReportSpec, *, version: DataVersion | None = None, key: str | None = None) -> Report:
    """Return ``spec``'s report at the current data version: cached, or built now.

    A build is recorded as a ``report.generate`` event, written when the
    caller commits.

    :param version: the data version, when the caller has read it already.
    :param key: ``spec.key(version)``, when the caller has computed it already.
    """
    version = version or current()
    key = key or spec.key(version)
    cached = cache.open_file(spec.name, key)
    if cached is not None:
        return Report(spec, version, key, built=False, file=cached)
    content = spec.build(version)
    if spec.public and signing.configured():
        content = signing.sign(
            content,
            signed_at=version.at,
            reason=f"pptracker {spec.title}, data as of event {version.seq}",
        )
    cache.put(spec.name, key, content)
    record("report.generate", **_about(spec, version, "Generated"))
    return Report(spec, version, key, built=True, content=content)


def build_unsigned(spec: ReportSpec) -> Report:
    """Build ``spec``'s report without signing or caching it: the reproducible bytes."""
    version = current()
    content = spec.build(version)
    record("report.generate", **_about(spec, version, "Generated (unsigned)"))
    return Report(spec, version, spec.key(version), built=True, content=content)


def record_download(report: Report) -> None:
    """Record that ``report`` was downloaded: a read, written with the others of the moment."""
    record_read("report.download", **_about(report.spec, report.version, "Downloaded"))


def _about(spec: ReportSpec, version: DataVersion, verb: str) -> dict:
    about = {"summary": f"{verb}: the {spec.title}, data as of event {version.seq}"}
    if spec.project_id is None:
        return {**about, "entity_type": "Report"}
    return {
        **about,
        "entity_type": "Project",
        "entity_id": spec.project_id,
        "project_id": spec.project_id,
    }
