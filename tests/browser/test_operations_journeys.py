"""Operations in Chromium: a manager records a month of KPIs with one failure and sees the
deduction; the public reads a project's operations without its confidential tariff.

Every page is checked with axe-core after each navigation and submit. The live
server holds the demo operations (``pptracker.demo.operations``): the schools
bundle has four monthly KPIs, observations up to last month and a monthly
availability payment of GBP 950,000 from which a failed "Teaching spaces
available" deducts 2 % per failure event.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from pptracker.database import today
from tests.browser.test_journeys import AUDITOR, assert_accessible, goto, sign_in

pytestmark = pytest.mark.browser

SCHOOLS = "schools-bundle-phase-1"
SCHOOLS_MANAGER = "manager2@example.org"
WATER = "lakeside-water-treatment"


def test_manager_records_a_month_with_one_failure_and_sees_the_deduction(page: Page, demo_password):
    month = f"{today():%Y-%m}"  # started, and not recorded by the demo
    sign_in(page, SCHOOLS_MANAGER, demo_password)

    goto(page, f"/projects/{SCHOOLS}/operations/")
    expect(page.get_by_role("heading", level=2, name="Operations")).to_be_visible()
    nav = page.get_by_role("navigation", name="Operations sections")
    nav.get_by_role("link", name="KPIs and deductions").click()
    expect(page.get_by_role("heading", name="KPIs and deductions")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Record a period").click()
    expect(page.get_by_role("heading", level=1, name="Record a period of KPIs")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Contract").select_option(index=1)
    page.get_by_label("KPIs measured").select_option("Monthly")
    page.get_by_label("Period").fill(month)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name=f"Record {month}")).to_be_visible()
    assert_accessible(page)

    # A value of the wrong type: nothing is recorded, the row says why, input is kept.
    availability = page.get_by_label("Value of AV-1 Teaching spaces available")
    availability.fill("about 98")
    page.get_by_label("Value of SQ-1", exact=False).fill("98.5")
    page.get_by_role("button", name=f"Record {month}").click()
    expect(page.get_by_role("heading", name=re.compile("Nothing was recorded"))).to_be_visible()
    expect(availability).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Value of SQ-1", exact=False)).to_have_value("98.5")
    assert_accessible(page)

    # The month: one failure (98.7 % against at least 99.5 %), three KPIs met.
    availability.fill("98.7")
    page.get_by_label("Value of HD-1", exact=False).fill("2")
    page.get_by_label("Value of RP-1", exact=False).fill("1")
    page.get_by_role("button", name=f"Record {month}").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text(
        f"4 observations recorded for {month}; 1 failed: deduction 19,000.00 GBP."
    )
    assert_accessible(page)

    # The KPI's page shows the failed month and its deduction.
    page.get_by_role("link", name="AV-1 – Teaching spaces available").first.click()
    row = page.get_by_role("row").filter(has_text=month)
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("19,000.00")
    assert_accessible(page)

    # The payment schedule takes the deduction off the month's availability payment.
    page.get_by_role("navigation", name="Operations sections").get_by_role(
        "link", name="Payment schedule"
    ).click()
    payment = page.get_by_role("row").filter(has_text=re.compile(rf"^\s*{month}\s")).first
    expect(payment).to_contain_text("19,000.00")
    expect(payment).to_contain_text("931,000.00")
    assert_accessible(page)


def test_public_reads_operations_without_the_confidential_tariff(page: Page):
    goto(page, f"/projects/{WATER}/operations/")
    expect(page.get_by_role("heading", name="Tariffs in force")).to_be_visible()
    nav = page.get_by_role("navigation", name="Operations sections")
    for link, heading in [
        ("KPIs and deductions", "KPIs and deductions"),
        ("Payment schedule", re.compile("Payment schedule")),
        ("Tariffs", "Tariffs"),
        ("Demand and revenue", "Demand and revenue"),
    ]:
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        assert_accessible(page)
        expect(page.locator("body")).not_to_contain_text("industrial offtaker")
    expect(page.get_by_role("img").first).to_be_visible()  # the forecast-against-actual chart

    nav.get_by_role("link", name="Tariffs", exact=True).click()
    expect(page.locator("body")).to_contain_text("single-offtaker price")
    expect(page.get_by_text("Bulk treated water, residential supply").first).to_be_visible()


def test_auditor_sees_the_payment_paid_without_its_deduction(page: Page, demo_password):
    sign_in(page, AUDITOR[0], demo_password)
    goto(page, "/audit/flags/")
    flag = page.get_by_text("Scheduled payment paid other than due").first
    expect(flag).to_be_visible()
    expect(page.locator("body")).to_contain_text(SCHOOLS)


def _lakeside_ids(browser_app) -> dict:
    """Ids of one record of each operations kind on the lakeside project (demo data)."""
    import sqlalchemy as sa

    from pptracker.extensions import db
    from pptracker.operations import models as m
    from pptracker.projects.models import Project

    with browser_app.app_context():
        project_id = db.session.scalar(sa.select(Project.id).where(Project.code == WATER))

        def first(model, *where):
            return db.session.scalar(
                sa.select(model.id).where(model.project_id == project_id, *where).order_by(model.id)
            )

        return {
            "kpi": first(m.Kpi),
            "observation": first(m.KpiObservation),
            "failure": first(m.PerformanceFailure),
            "payment": first(m.ScheduledPayment),
            "tariff": first(m.Tariff, m.Tariff.confidential.is_(False)),
            "series": first(m.DemandSeries),
        }


def test_every_operations_form_is_accessible_empty_and_with_errors(
    page: Page, demo_password, browser_app
):
    ids = _lakeside_ids(browser_app)
    manage = f"/manage/projects/{WATER}/operations"
    sign_in(page, "manager@example.org", demo_password)
    reading = [
        f"/projects/{WATER}/operations/kpis/{ids['kpi']}",
        f"/projects/{WATER}/operations/failures/",
        f"/projects/{WATER}/operations/tariffs/{ids['tariff']}",
    ]
    for path in reading:
        goto(page, path)
    forms = [
        f"{manage}/kpis/new",
        f"{manage}/kpis/{ids['kpi']}/edit",
        f"{manage}/kpis/{ids['kpi']}/observations/new",
        f"{manage}/observations/{ids['observation']}/edit",
        f"{manage}/failures/new",
        f"{manage}/failures/{ids['failure']}/edit",
        f"{manage}/kpis/import",
        f"{manage}/payments/new",
        f"{manage}/payments/{ids['payment']}/edit",
        f"{manage}/payments/series",
        f"{manage}/payments/import",
        f"{manage}/tariffs/new",
        f"{manage}/tariffs/{ids['tariff']}/edit",
        f"{manage}/tariffs/{ids['tariff']}/rates/new",
        f"{manage}/tariffs/import",
        f"{manage}/demand/new",
        f"{manage}/demand/{ids['series']}/edit",
        f"{manage}/demand/{ids['series']}/years",
        f"{manage}/demand/import",
    ]
    for path in forms:
        goto(page, path)
        # Submit the form as it opened: a new record's empty form comes back with its
        # errors, an edit saves the record unchanged; either page stays accessible.
        fields = page.locator("input:not([type='hidden']), select, textarea")
        form = page.locator("main form[method='post']").filter(has=fields).first
        form.locator("button[type='submit'], input[type='submit']").last.click()
        page.wait_for_load_state("load")
        assert_accessible(page)
