"""Reports in the browser: the public takes a project's report and the portfolio's; an auditor
takes a spending report. Every page visited is checked with axe-core."""

import io

import pypdf
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import AUDITOR, DEMO_CODE, DEMO_TITLE, goto, sign_in

pytestmark = pytest.mark.browser


def _text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_public_downloads_a_project_report_and_the_portfolio_report(page: Page):
    goto(page, f"/projects/{DEMO_CODE}")

    link = page.get_by_role("link", name="Transparency report (PDF)")
    expect(link).to_have_attribute("href", f"/projects/{DEMO_CODE}/report.pdf")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = _text(response.body())
    assert DEMO_TITLE in " ".join(text.split())
    assert "Page 1 of" in text

    goto(page, "/")
    portfolio = page.get_by_role("link", name="Portfolio report (PDF)").first
    response = page.request.get(portfolio.get_attribute("href"))
    assert response.status == 200
    assert DEMO_TITLE in " ".join(_text(response.body()).split())


def test_an_auditor_takes_the_spending_report_of_a_project(page: Page, demo_password):
    sign_in(page, AUDITOR[0], demo_password)
    goto(page, f"/audit/flags/?project={DEMO_CODE}")

    link = page.get_by_role("link", name="Spending report (PDF)")
    response = page.request.get(link.get_attribute("href"))

    assert response.status == 200
    assert response.headers["cache-control"] == "private, no-cache"
    text = " ".join(_text(response.body()).split())
    assert DEMO_TITLE in text

    goto(page, "/audit/spending/")
    expect(page.get_by_role("link", name="of the portfolio")).to_be_visible()
