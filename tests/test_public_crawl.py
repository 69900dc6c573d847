"""Crawl every public URL of the demo as a member of the public: nothing withheld may show.

The crawl starts at the home page, the project list and the open-data page,
follows every same-site link and GET form a page offers, and reads every
answer (HTML, CSV, JSON, PDF). No page may fail, and no withheld text may
appear: unpublished projects, confidential records, non-public documents,
feedback that is not published, feedback emails and moderators' reasons.
"""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import sqlalchemy as sa

from pptracker.extensions import db
from pptracker.projects.models import Project
from tests.demo_secrets import leaks, secrets
from tests.reports.conftest import pdf_text

#: Not the public site: signing in, the back office, the audit area, assets.
NOT_PUBLIC = ("/login", "/logout", "/manage", "/admin", "/audit", "/static", "/bootstrap")
#: Enough for the demo's public site many times over; a crawl that goes past it is looping.
MAX_PAGES = 1500


class _Links(HTMLParser):
    """Collect the targets of links, images, stylesheets and GET forms."""

    def __init__(self):
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link") and attrs.get("href"):
            self.targets.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.targets.append(attrs["src"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.targets.append(attrs.get("action") or "")


def _links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for target in parser.targets:
        url = urldefrag(urljoin(base, target)).url
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            if not url.startswith("http://localhost/"):
                continue  # another site: not ours to crawl
            url = url.removeprefix("http://localhost")
        if url.startswith("/") and not url.startswith(NOT_PUBLIC):
            found.append(url)
    return found


def _text(response) -> str:
    kind = response.mimetype
    if kind == "application/pdf":
        return pdf_text(response.data)
    if kind.startswith("text/") or kind.endswith("json"):
        return response.get_data(as_text=True)
    return ""


def crawl(client, start: list[str]) -> dict[str, str]:
    """Fetch everything reachable from ``start``; return each URL's text. Fails on any error."""
    queue, seen, texts, broken = list(start), set(start), {}, []
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code != 200:
            broken.append(f"{url}: {response.status_code}")
            continue
        text = _text(response)
        texts[url] = text
        if response.mimetype == "text/html":
            for link in _links(url, text):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
        assert len(seen) < MAX_PAGES, "the crawl does not end: a link loop?"
    assert broken == [], "public links that do not work:\n" + "\n".join(broken)
    return texts


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        published = db.session.scalars(
            sa.select(Project.code).where(Project.published, Project.is_deleted.is_(False))
        ).all()
        hidden = db.session.scalars(
            sa.select(Project.code).where(sa.or_(Project.published.is_(False), Project.is_deleted))
        ).all()
        return published, hidden, secrets()


def test_no_public_url_shows_anything_withheld(demo, client):
    published, _hidden, withheld = demo
    texts = crawl(client, ["/", "/projects/", "/opendata/"])

    # The crawl reached every published project's page, report and data.
    for code in published:
        for url in (f"/projects/{code}", f"/projects/{code}/report.pdf"):
            assert url in texts, f"{url} is not linked from the public site"
        assert any(u.startswith(f"/projects/{code}/oc4ids.json") for u in texts), code
    assert any(u.startswith("/opendata/oc4ids.json") for u in texts)
    assert len(texts) > 50
    # The demo holds each kind of withheld record, so the search below means something.
    kinds = " ".join(withheld.values())
    for kind in (
        "unpublished project",
        "confidential amendment",
        "confidential tariff",
        "withheld document",
        "email of feedback",
        "pending feedback",
        "hidden feedback",
        "moderator's reason",
    ):
        assert kind in kinds, f"the demo has no {kind} to look for"

    assert leaks(texts, withheld) == []


def test_unpublished_projects_are_not_found_on_any_public_url(demo, client):
    _published, hidden, _withheld = demo
    assert hidden
    for code in hidden:
        for path in (
            "",
            "/report.pdf",
            "/oc4ids.json",
            "/feedback",
            "/contracts/",
            "/milestones/",
            "/budget/",
            "/operations/",
        ):
            response = client.get(f"/projects/{code}{path}")
            assert response.status_code == 404, f"/projects/{code}{path}"
