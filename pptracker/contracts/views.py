"""Contract pages: readable by anyone the project is visible to, edited by its managers."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.audit import queries as audit_queries
from pptracker.codelists import RISK_CATEGORIES
from pptracker.codelists import title as codelist_title
from pptracker.contracts import queries, services
from pptracker.contracts.forms import (
    ALLOCATIONS,
    AmendmentForm,
    CommitmentForm,
    ConfidentialityForm,
    ContractForm,
    RiskForm,
)
from pptracker.disclosure import disclose, may_see_confidential
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, check_button, form_status, show_conflict
from pptracker.permissions import Action, can, permission_required, require
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404
from pptracker.projects.queries import live_parties
from pptracker.services import check_version

bp = Blueprint("contracts", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>"


def _contract_label(_contract) -> str:
    return "A contract"  # its reference and title are withheld too


def _amendment_label(amendment) -> str:
    return f"Amendment {amendment.number} ({amendment.type.value}, {amendment.amended_on})"


def _row_label(kind):
    return lambda item: f"One {kind}"


def _load_contract(project, contract_id: int):
    contract = queries.get_contract(project.id, contract_id)
    if contract is None:
        abort(404)
    return contract


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/contracts/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """List a project's contracts and fiscal commitments, as the viewer may see them."""
    project = visible_project_or_404(code)
    hide = not may_see_confidential(current_user, project)
    contracts = queries.contracts_of(project.id)
    rows = [
        (
            item,
            None
            if getattr(item, "redacted", False)
            else queries.terms(item, hide_confidential=hide),
        )
        for item in disclose(
            contracts, user=current_user, project=project, kind="contract", label=_contract_label
        )
    ]
    commitments = disclose(
        queries.commitments_of(project.id),
        user=current_user,
        project=project,
        kind="fiscal commitment",
        label=_row_label("fiscal commitment"),
    )
    return render_template(
        "contracts/index.html",
        project=project,
        rows=rows,
        commitments=commitments,
        totals=queries.commitment_totals(commitments),
        can_edit=can(current_user, Action.EDIT_CONTRACTS, project),
        button_form=EmptyForm(),
    )


@bp.route("/projects/<code>/contracts/<int:contract_id>")
@permission_required(Action.VIEW_PROJECT)
def detail(code: str, contract_id: int):
    """Show a contract: terms, change history, parties, risks, commitments, documents."""
    project = visible_project_or_404(code)
    contract = _load_contract(project, contract_id)
    see_all = may_see_confidential(current_user, project)
    if contract.confidential and not see_all:
        return render_template(
            "contracts/redacted.html",
            project=project,
            notice=disclose(
                [contract],
                user=current_user,
                project=project,
                kind="contract",
                label=_contract_label,
            )[0],
        )
    amendments = disclose(
        contract.amendments,
        user=current_user,
        project=project,
        kind="amendment",
        label=_amendment_label,
    )
    risks = disclose(
        queries.risks_of(contract.id),
        user=current_user,
        project=project,
        kind="risk allocation",
        label=_row_label("risk allocation"),
    )
    commitments = disclose(
        queries.commitments_of(project.id, contract.id),
        user=current_user,
        project=project,
        kind="fiscal commitment",
        label=_row_label("fiscal commitment"),
    )
    return render_template(
        "contracts/detail.html",
        project=project,
        contract=contract,
        terms=queries.terms(contract, hide_confidential=not see_all),
        amendments=amendments,
        masked=queries.masked_old_figures([] if see_all else contract.amendments),
        risks=risks,
        matrix=queries.risk_matrix(r for r in risks if not getattr(r, "redacted", False)),
        allocations=ALLOCATIONS,
        risk_categories=RISK_CATEGORIES,
        commitments=commitments,
        totals=queries.commitment_totals(commitments),
        documents=_documents(project, contract),
        can_edit=can(current_user, Action.EDIT_CONTRACTS, project),
        button_form=EmptyForm(),
        confidentiality_form=ConfidentialityForm(),
    )


def _documents(project, contract):
    from pptracker.documents.queries import documents_of

    internal = can(current_user, Action.VIEW_CONFIDENTIAL, project)
    documents = db.session.scalars(
        documents_of(project.id, contract_id=contract.id, include_internal=internal)
    ).all()

    return disclose(
        documents,
        user=current_user,
        project=project,
        kind="document",
        # The title of a withheld document can itself be what is withheld.
        label=lambda d: f"A document ({codelist_title('documentType', d.document_type)})",
    )


@bp.route(f"{MANAGE}/contracts/<int:contract_id>/history")
@permission_required(Action.VIEW_HISTORY)
def history(code: str, contract_id: int):
    """Show every audit event of the contract and of what hangs on it."""
    project = visible_project_or_404(code)
    require(Action.VIEW_HISTORY, project)
    contract = _load_contract(project, contract_id)
    related = {
        "Contract": [contract.id],
        "Amendment": [a.id for a in contract.amendments],
        "ContractParty": [p.id for p in contract.parties],
        "RiskAllocation": [r.id for r in queries.risks_of(contract.id)],
    }
    page = audit_queries.event_page(
        audit_queries.related_events(related), before=_int_arg("before"), after=_int_arg("after")
    )
    return render_template(
        "audit/history.html",
        subject=f"{contract.reference} – {contract.title}",
        page=page,
        tabs=None,
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


# --- contracts ----------------------------------------------------------------------------


def _party_choices() -> dict[int, str]:
    return {p.id: p.name for p in db.session.scalars(live_parties())}


def _fill_parties(form, contract) -> None:
    for entry, link in zip(form.parties, contract.parties, strict=False):
        entry.party_id.data, entry.role.data = link.party_id, link.role


@bp.route(f"{MANAGE}/contracts/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_CONTRACTS)
def new(code: str):
    """Register a contract of the project."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    form = ContractForm(party_choices=_party_choices())
    if request.method == "GET":
        form.currency.data = project.currency
    if form.validate_on_submit():
        try:
            contract = services.create_contract(project, form.to_data())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Contract {contract.reference} registered.", "success")
            return redirect(url_for("contracts.detail", code=code, contract_id=contract.id))
    return render_template(
        "contracts/form.html", form=form, project=project, contract=None
    ), form_status(form)


@bp.route(f"{MANAGE}/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_CONTRACTS)
def edit(code: str, contract_id: int):
    """Edit a contract's details (its signed initial terms stay as they are)."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    contract = _load_contract(project, contract_id)
    form = ContractForm(obj=contract, party_choices=_party_choices())
    if request.method == "GET":
        _fill_parties(form, contract)
    status = None
    if form.validate_on_submit():
        try:
            check_version(contract, form.version.data)
            services.update_contract(contract, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, contract, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Contract {contract.reference} saved.", "success")
            return redirect(url_for("contracts.detail", code=code, contract_id=contract.id))
    return (
        render_template("contracts/form.html", form=form, project=project, contract=contract),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/contracts/<int:contract_id>/delete")
@permission_required(Action.EDIT_CONTRACTS)
def delete(code: str, contract_id: int):
    """Soft-delete a contract (its history stays)."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    contract = _load_contract(project, contract_id)
    check_button()
    services.delete_contract(contract)
    db.session.commit()
    flash(f"Contract {contract.reference} deleted. Its history is kept.", "success")
    return redirect(url_for("contracts.index", code=code))


# --- amendments ---------------------------------------------------------------------------


@bp.route(f"{MANAGE}/contracts/<int:contract_id>/amendments/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_CONTRACTS)
def new_amendment(code: str, contract_id: int):
    """Record an amendment: a new value, period or scope, with its rationale."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    contract = _load_contract(project, contract_id)
    form = AmendmentForm()
    if form.validate_on_submit():
        try:
            amendment = services.add_amendment(contract, form.to_data(), recorder=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Amendment {amendment.number} recorded.", "success")
            return redirect(url_for("contracts.detail", code=code, contract_id=contract.id))
    return render_template(
        "contracts/amendment_form.html",
        form=form,
        project=project,
        contract=contract,
        terms=queries.terms(contract),
    ), form_status(form)


@bp.post(f"{MANAGE}/contracts/<int:contract_id>/amendments/<int:amendment_id>/confidentiality")
@permission_required(Action.EDIT_CONTRACTS)
def amendment_confidentiality(code: str, contract_id: int, amendment_id: int):
    """Withhold an amendment from the public, or release it (its facts never change)."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    contract = _load_contract(project, contract_id)
    amendment = queries.get_amendment(contract.id, amendment_id)
    if amendment is None:
        abort(404)
    form = ConfidentialityForm()
    if form.validate_on_submit():
        try:
            services.set_confidential(
                amendment, form.confidential.data, form.confidential_reason.data
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(
                f"Amendment {amendment.number} is now "
                f"{'confidential' if amendment.confidential else 'public'}.",
                "success",
            )
    else:
        flash(" ".join(m for msgs in form.errors.values() for m in msgs), "danger")

    return redirect(url_for("contracts.detail", code=code, contract_id=contract.id))


# --- risks --------------------------------------------------------------------------------


@bp.route(f"{MANAGE}/contracts/<int:contract_id>/risks/new", methods=["GET", "POST"])
@bp.route(f"{MANAGE}/contracts/<int:contract_id>/risks/<int:risk_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_CONTRACTS)
def risk(code: str, contract_id: int, risk_id: int | None = None):
    """Add or edit a row of the risk allocation matrix."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    contract = _load_contract(project, contract_id)
    existing = None
    if risk_id is not None:
        existing = queries.get_risk(contract.id, risk_id)
        if existing is None:
            abort(404)
    form = RiskForm(obj=existing)
    status = None
    if form.validate_on_submit():
        try:
            if existing is None:
                services.add_risk(contract, form.to_data())
            else:
                check_version(existing, form.version.data)
                services.update_risk(existing, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, existing, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash("Risk allocation saved.", "success")
            return redirect(url_for("contracts.detail", code=code, contract_id=contract.id))
    return (
        render_template(
            "contracts/risk_form.html", form=form, project=project, contract=contract, risk=existing
        ),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/contracts/<int:contract_id>/risks/<int:risk_id>/delete")
@permission_required(Action.EDIT_CONTRACTS)
def delete_risk(code: str, contract_id: int, risk_id: int):
    """Remove a row of the risk matrix (kept in history)."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    contract = _load_contract(project, contract_id)
    existing = queries.get_risk(contract.id, risk_id)
    if existing is None:
        abort(404)
    check_button()
    services.delete_record(existing)
    db.session.commit()
    flash("Risk allocation removed.", "success")
    return redirect(url_for("contracts.detail", code=code, contract_id=contract.id))


# --- fiscal commitments -------------------------------------------------------------------


@bp.route(f"{MANAGE}/commitments/new", methods=["GET", "POST"])
@bp.route(f"{MANAGE}/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_CONTRACTS)
def commitment(code: str, commitment_id: int | None = None):
    """Add or edit a guarantee, subsidy or payment obligation."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    existing = None
    if commitment_id is not None:
        existing = queries.get_commitment(project.id, commitment_id)
        if existing is None:
            abort(404)
    form = CommitmentForm(obj=existing, contracts=queries.contracts_of(project.id))
    if request.method == "GET" and existing is None:
        form.currency.data = project.currency
        if request.args.get("contract", "").isdigit():
            form.contract_id.data = int(request.args["contract"])
    status = None
    if form.validate_on_submit():
        try:
            if existing is None:
                services.add_commitment(project, form.to_data())
            else:
                check_version(existing, form.version.data)
                services.update_commitment(existing, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, existing, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash("Fiscal commitment saved.", "success")
            return redirect(url_for("contracts.index", code=code))
    return (
        render_template(
            "contracts/commitment_form.html", form=form, project=project, commitment=existing
        ),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/commitments/<int:commitment_id>/delete")
@permission_required(Action.EDIT_CONTRACTS)
def delete_commitment(code: str, commitment_id: int):
    """Remove a fiscal commitment (kept in history)."""
    project = editable_project_or_404(code, Action.EDIT_CONTRACTS)
    existing = queries.get_commitment(project.id, commitment_id)
    if existing is None:
        abort(404)
    check_button()
    services.delete_record(existing)
    db.session.commit()
    flash("Fiscal commitment removed.", "success")
    return redirect(url_for("contracts.index", code=code))
