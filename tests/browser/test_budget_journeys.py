"""Budgets in Chromium: a manager records a payment, an auditor sees it flagged.

Every page is checked with axe-core after each navigation and submit. The live
server holds the demo budgets (``pptracker.demo.budgets``): on the toll road the
monthly payments to the private party carry references such as
``COAS-202401-014``. The test pays one of those invoices a second time, with a
description of its own, so it finds its payment whatever else the worker's
database holds.
"""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_audit_journeys import sign_out
from tests.browser.test_journeys import (
    AUDITOR,
    DEMO_CODE,
    DEMO_TITLE,
    MANAGER,
    assert_accessible,
    goto,
    sign_in,
)

pytestmark = pytest.mark.browser

#: The toll road's private party, paid monthly against invoices "COAS-YYYYMM-NNN".
PAYEE = "Coastal Motorways SPV S.A."
INVOICE = re.compile(r"COAS-\d{6}-\d{3}")
CONSTRUCTION_LINE = "CAP-01 – Design and construction"


# --- helpers ---------------------------------------------------------------


def existing_invoice(page: Page) -> str:
    """Read the reference of a demo payment to ``PAYEE`` from the transactions list."""
    payment = (
        page.get_by_role("row")
        .filter(has=page.get_by_role("cell", name="Payment", exact=True))
        .filter(has_text=PAYEE)
        .filter(has_text=INVOICE)
        .first
    )
    expect(payment).to_be_visible()
    found = INVOICE.search(payment.inner_text())
    assert found, payment.inner_text()
    return found.group(0)


def save_transaction(page: Page) -> None:
    page.get_by_role("button", name="Save transaction").click()


def expect_field_error(page: Page, label: str, message: str) -> None:
    """The error sits beside the field, is its description, and is in the summary."""
    control = page.get_by_label(label, exact=True)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_accessible_description(re.compile(re.escape(message)))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(rf"^{re.escape(label)}: "))).to_be_visible()


# --- journeys --------------------------------------------------------------


def test_duplicate_invoice_recorded_then_flagged(page: Page, demo_password):
    description = f"Certificate paid again {uuid.uuid4().hex[:8]}"
    sign_in(page, MANAGER[0], demo_password)

    # The project's Budget tab.
    goto(page, f"/manage/projects/{DEMO_CODE}")
    tabs = page.get_by_role("navigation", name="Project sections")
    tabs.get_by_role("link", name="Budget", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/projects/{DEMO_CODE}/budget/$"))
    expect(page.get_by_role("heading", level=1, name="Budget")).to_be_visible()
    expect(page.get_by_role("link", name=DEMO_TITLE)).to_be_visible()
    assert_accessible(page)

    # An invoice already paid to the private party, read from the transactions list.
    page.get_by_role("link", name="See every transaction").click()
    expect(page).to_have_url(re.compile(rf"/projects/{DEMO_CODE}/budget/transactions$"))
    expect(page.get_by_role("heading", level=1, name="Transactions")).to_be_visible()
    assert_accessible(page)
    invoice = existing_invoice(page)

    page.get_by_role("link", name="Record a transaction").click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{DEMO_CODE}/budget/transactions/new$"))
    expect(page.get_by_role("heading", level=1, name="Record a transaction")).to_be_visible()
    expect(page.get_by_label("Currency")).to_have_value("EUR")  # the project's
    assert_accessible(page)

    # A negative amount: refused beside the field, what was typed kept.
    page.get_by_label("Kind").select_option("payment")
    page.get_by_label("Amount", exact=True).fill("-5")
    page.get_by_label("Budget line").select_option(label=CONSTRUCTION_LINE)
    page.get_by_label("Payee").select_option(label=PAYEE)
    page.get_by_label("Reference").fill(invoice)
    page.get_by_label("Description").fill(description)
    save_transaction(page)
    expect_field_error(page, "Amount", "The amount is more than zero")
    expect(page.locator("#amount-error")).to_be_visible()
    expect(page.get_by_label("Amount", exact=True)).to_have_value("-5")
    expect(page.get_by_label("Reference")).to_have_value(invoice)
    expect(page.get_by_label("Payee")).to_have_value(re.compile(r"^\d+$"))
    assert_accessible(page)

    # A foreign currency without its rate: refused beside the rate.
    page.get_by_label("Amount", exact=True).fill("9187500.00")
    page.get_by_label("Currency").select_option("USD")
    save_transaction(page)
    expect_field_error(page, "Exchange rate", "The amount is in USD: give the rate to EUR")
    expect(page.locator("#rate-error")).to_be_visible()
    expect(page.get_by_label("Amount", exact=True)).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # Nothing was saved.
    goto(page, f"/projects/{DEMO_CODE}/budget/transactions")
    expect(page.get_by_text(description)).to_have_count(0)

    # The same invoice, in euros: recorded.
    page.get_by_role("link", name="Record a transaction").click()
    assert_accessible(page)
    page.get_by_label("Kind").select_option("payment")
    page.get_by_label("Amount", exact=True).fill("9187500.00")
    page.get_by_label("Budget line").select_option(label=CONSTRUCTION_LINE)
    page.get_by_label("Payee").select_option(label=PAYEE)
    page.get_by_label("Reference").fill(invoice)
    page.get_by_label("Description").fill(description)
    save_transaction(page)
    expect(page).to_have_url(re.compile(rf"/projects/{DEMO_CODE}/budget/transactions$"))
    expect(page.get_by_role("status")).to_contain_text("Payment recorded.")
    mine = page.get_by_role("row").filter(has_text=description)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(invoice)
    expect(mine).to_contain_text(PAYEE)
    expect(mine).to_contain_text("9,187,500.00 EUR")
    assert_accessible(page)
    paid_on = mine.get_by_role("cell").first.inner_text().strip()
    edit_href = mine.get_by_role("link", name=re.compile(r"^Edit")).get_attribute("href")
    tx_id = re.search(r"/transactions/(\d+)/edit$", edit_href or "")
    assert tx_id, edit_href
    tx_link = f"Transaction {tx_id.group(1)}"
    sign_out(page)
    assert_accessible(page)

    # The auditor's red flags name the invoice paid twice, with links to the records.
    sign_in(page, AUDITOR[0], demo_password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    assert_accessible(page)
    page.get_by_role("navigation", name="Audit").get_by_role("link", name="Red flags").click()
    expect(page).to_have_url(re.compile(r"/audit/flags/$"))
    expect(page.get_by_role("heading", level=1, name="Red flags")).to_be_visible()
    assert_accessible(page)
    duplicates = page.get_by_role("region", name=re.compile(r"^The same invoice paid twice"))
    flag = duplicates.get_by_role("listitem").filter(has_text=invoice)
    expect(flag).to_have_count(1)
    expect(flag).to_contain_text(f"2 payments to {PAYEE} carry the reference “{invoice}”")
    expect(flag).to_contain_text(DEMO_CODE)
    expect(flag.get_by_role("link", name=re.compile(r"^Transaction \d+$"))).to_have_count(2)
    flag.get_by_role("link", name=tx_link, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/projects/{DEMO_CODE}/budget/transactions$"))
    expect(page.get_by_role("row").filter(has_text=description)).to_contain_text(invoice)
    assert_accessible(page)

    # The spending list, flagged only, lists the payment (and the one it repeats).
    goto(page, "/audit/")
    page.get_by_role("navigation", name="Audit").get_by_role("link", name="Spending").click()
    expect(page).to_have_url(re.compile(r"/audit/spending/$"))
    expect(page.get_by_role("heading", level=1, name="Spending across projects")).to_be_visible()
    assert_accessible(page)
    filters = page.get_by_role("search", name="Filter the transactions")
    filters.get_by_label("Project code").fill(DEMO_CODE)
    filters.get_by_label("Flagged only").check()
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/audit/spending/\?.*flagged=y"))
    expect(filters.get_by_label("Flagged only")).to_be_checked()
    assert_accessible(page)
    paid_twice = page.get_by_role("row").filter(has_text=invoice)
    expect(paid_twice).to_have_count(2)
    row = paid_twice.filter(has_text=paid_on)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"– → {PAYEE}")
    expect(row).to_contain_text("9,187,500.00 EUR")
    # Its badge leads back to the project's red flags.
    row.get_by_role("link", name="Flagged").click()
    expect(page).to_have_url(re.compile(rf"/audit/flags/\?project={DEMO_CODE}$"))
    expect(page.get_by_role("heading", level=1, name=f"Red flags of {DEMO_TITLE}")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=invoice)).to_have_count(1)
    assert_accessible(page)
