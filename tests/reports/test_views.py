"""Report downloads: who gets which report, caching by data version, ETag and 304, audit events."""

import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.projects.models import Project
from tests.reports.conftest import pdf_text


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).all()


def _rename(app, code: str, title: str) -> None:
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        project.title = title
        db.session.commit()


def test_public_report_of_a_published_project(app, client, make_project):
    make_project("harbour-bridge", title="Harbour Bridge", published=True)

    response = client.get("/projects/harbour-bridge/report.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "harbour-bridge-transparency-report.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["ETag"].strip('"') and len(response.headers["ETag"]) == 66
    assert "Harbour Bridge" in pdf_text(response.data)


def test_no_public_report_of_an_unpublished_or_unknown_project(app, client, auth, make_project):
    make_project("draft-road", published=False)

    assert client.get("/projects/draft-road/report.pdf").status_code == 404
    assert client.get("/projects/no-such-project/report.pdf").status_code == 404
    # Not even for staff who can see the project: the public report is what the public reads.
    auth.login(auth.make_user(Role.ADMIN).email)
    assert client.get("/projects/draft-road/report.pdf").status_code == 404
    assert _events(app, "report.generate") == []


def test_a_report_is_built_once_per_data_version_and_every_download_is_audited(
    app, client, make_project
):
    make_project("harbour-bridge", title="Harbour Bridge", published=True)

    first = client.get("/projects/harbour-bridge/report.pdf")
    second = client.get("/projects/harbour-bridge/report.pdf")

    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    assert len(_events(app, "report.generate")) == 1
    downloads = _events(app, "report.download")
    assert len(downloads) == 2
    assert downloads[0].actor == "anonymous"
    assert downloads[0].client_ip == "127.0.0.1"
    assert downloads[0].entity_type == "Project"
    assert "Downloaded: the transparency report of harbour-bridge" in downloads[0].summary

    _rename(app, "harbour-bridge", "Harbour Bridge (renamed)")
    third = client.get("/projects/harbour-bridge/report.pdf")

    assert third.headers["ETag"] != first.headers["ETag"]
    assert "Harbour Bridge (renamed)" in pdf_text(third.data)
    assert len(_events(app, "report.generate")) == 2


def test_matching_if_none_match_answers_304_without_a_download(app, client, make_project):
    make_project("harbour-bridge", published=True)
    etag = client.get("/projects/harbour-bridge/report.pdf").headers["ETag"]

    response = client.get("/projects/harbour-bridge/report.pdf", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert len(_events(app, "report.download")) == 1

    _rename(app, "harbour-bridge", "Changed")
    stale = client.get("/projects/harbour-bridge/report.pdf", headers={"If-None-Match": etag})
    assert stale.status_code == 200
    assert stale.headers["ETag"] != etag


def test_downloads_do_not_change_the_data_version(app, client, make_project):
    make_project("harbour-bridge", published=True)
    etags = {client.get("/projects/harbour-bridge/report.pdf").headers["ETag"] for _ in range(3)}
    assert len(etags) == 1


def test_the_cache_keeps_one_file_per_report(app, client, make_project, tmp_path):
    make_project("harbour-bridge", published=True)
    client.get("/projects/harbour-bridge/report.pdf")
    _rename(app, "harbour-bridge", "Changed")
    client.get("/projects/harbour-bridge/report.pdf")
    client.get("/reports/portfolio.pdf")

    with app.app_context():
        from pptracker.reports import cache

        names = sorted(p.name.split(".")[0] for p in cache.folder().glob("*.pdf"))
    assert names == ["portfolio", "project-harbour-bridge"]


def test_portfolio_report_is_public(app, client, make_project):
    make_project("harbour-bridge", title="Harbour Bridge", published=True)
    make_project("draft-road", title="Secret Draft Road", published=False)

    response = client.get("/reports/portfolio.pdf")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, no-cache"
    text = pdf_text(response.data)
    assert "Harbour Bridge" in text
    assert "Secret Draft Road" not in text
    (event,) = _events(app, "report.download")
    assert event.entity_type == "Report"


def test_spending_report_is_for_auditors(app, client, auth, make_project):
    make_project("draft-road", title="Draft Road", published=False)

    assert client.get("/audit/reports/spending.pdf").status_code == 302
    auth.login(auth.make_user(Role.MANAGER).email)
    assert client.get("/audit/reports/spending.pdf?project=draft-road").status_code == 403
    auth.logout()
    auth.login(auth.make_user(Role.AUDITOR).email)

    response = client.get("/audit/reports/spending.pdf?project=draft-road")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Draft Road" in pdf_text(response.data)
    (event,) = _events(app, "report.download")
    assert event.actor.startswith("auditor")
    assert client.get("/audit/reports/spending.pdf").status_code == 200
    assert client.get("/audit/reports/spending.pdf?project=nope").status_code == 404


def test_report_links_on_the_pages(app, client, auth, make_project):
    make_project("harbour-bridge", title="Harbour Bridge", published=True)

    home = client.get("/").get_data(as_text=True)
    assert "/reports/portfolio.pdf" in home
    page = client.get("/projects/harbour-bridge").get_data(as_text=True)
    assert "/projects/harbour-bridge/report.pdf" in page

    auth.login(auth.make_user(Role.AUDITOR).email)
    assert "/audit/reports/spending.pdf" in client.get("/audit/spending/").get_data(as_text=True)
    flags = client.get("/audit/flags/?project=harbour-bridge").get_data(as_text=True)
    assert "/audit/reports/spending.pdf?project=harbour-bridge" in flags


def test_a_head_request_is_not_a_download(app, client, make_project):
    make_project("harbour-bridge", published=True)

    response = client.head("/projects/harbour-bridge/report.pdf")

    assert response.status_code == 200
    assert response.headers["ETag"]
    assert _events(app, "report.download") == []


def test_a_report_that_cannot_be_signed_is_unavailable_not_unsigned(
    app, client, make_project, monkeypatch
):
    from pptracker.reports import signing

    make_project("harbour-bridge", published=True)
    monkeypatch.setattr(signing, "configured", lambda: True)
    monkeypatch.setattr(signing, "fingerprint", lambda: "f" * 64)

    def expired(*_args, **_kwargs):
        raise signing.SigningError("REPORT_SIGNING_CERT: the certificate expired on 2026-01-01")

    monkeypatch.setattr(signing, "sign", expired)

    response = client.get("/projects/harbour-bridge/report.pdf")

    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "cannot be signed at the moment" in body
    assert "REPORT_SIGNING_CERT" not in body  # the reason goes to the log only
    assert _events(app, "report.generate") == []
    assert _events(app, "report.download") == []
    with app.app_context():
        from pptracker.reports import cache

        assert list(cache.folder().glob("*.pdf")) == []
