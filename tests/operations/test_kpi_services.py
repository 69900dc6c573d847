"""KPI rules: KPIs, observations (met, failed, deductions), edits, deletes, failures, queries."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.database import today
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import kpi_queries
from pptracker.operations.kpi_services import (
    FailureData,
    KpiData,
    ObservationData,
    PeriodErrors,
    create_kpi,
    delete_failure,
    delete_kpi,
    delete_observation,
    record_failure,
    record_observation,
    record_period,
    update_failure,
    update_kpi,
    update_observation,
)
from pptracker.operations.models import (
    Comparison,
    DeductionBasis,
    FailureCategory,
    Frequency,
    Kpi,
    KpiObservation,
    KpiSource,
    KpiUnit,
    PerformanceFailure,
)
from pptracker.projects.queries import get_project

_today = today()
NEXT_MONTH = f"{_today.year + _today.month // 12}-{_today.month % 12 + 1:02d}"


@pytest.fixture
def setup(app, make_project, make_contract, make_kpi):
    """A project with a contract (2020-02 to 2040-01) and a monthly KPI (≥ 98 %, 500 per event)."""
    make_project("road-1")
    contract = make_contract("road-1")
    kpi_id = make_kpi(contract)
    return contract, kpi_id


def _kpi_data(contract_id, **overrides) -> KpiData:
    values = dict(
        contract_id=contract_id,
        code="RQ-1",
        name="Ride quality",
        category=FailureCategory.SERVICE_QUALITY,
        unit=KpiUnit.COUNT,
        comparison=Comparison.AT_MOST,
        target=Decimal("3"),
        frequency=Frequency.QUARTERLY,
        source=KpiSource.INDEPENDENT_ENGINEER,
    )
    values.update(overrides)
    return KpiData(**values)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _failures():
    return db.session.scalars(
        sa.select(PerformanceFailure).where(PerformanceFailure.is_deleted.is_(False))
    ).all()


# --- KPIs ---------------------------------------------------------------------------------


def test_create_kpi_and_refusals(app, setup, make_project, make_contract):
    contract, _kpi_id = setup
    make_project("other")
    foreign = make_contract("other", reference="X-1")
    with app.app_context():
        project = get_project("road-1")
        kpi = create_kpi(project, _kpi_data(contract.id))
        assert kpi.id and kpi.deduction_basis == DeductionBasis.NONE
        db.session.commit()
        cases = [
            (dict(contract_id=foreign.id), "contract_id", "contract of this project"),
            (dict(code=" "), "code", "needs a code"),
            (dict(code="av-1"), "code", "already has a KPI with the code AV-1"),
            (dict(name=""), "name", "needs a name"),
            (dict(target=Decimal("2.5")), "target", "whole number"),
            (dict(unit=KpiUnit.PERCENT, target=Decimal("130")), "target", "0 to 100"),
            (dict(unit=KpiUnit.YES_NO, target=Decimal("3")), "target", "1 (yes) or 0 (no)"),
            (dict(unit=KpiUnit.HOURS, target=Decimal("-1")), "target", "0 or more"),
            (dict(target="lots"), "target", "not a number"),
            (dict(deduction_basis=DeductionBasis.AMOUNT), "deduction_amount", "amount"),
            (
                dict(deduction_basis=DeductionBasis.AMOUNT, deduction_amount=Decimal("1.234")),
                "deduction_amount",
                "two decimals",
            ),
            (
                dict(deduction_basis=DeductionBasis.PERCENT, deduction_percent=Decimal("101")),
                "deduction_percent",
                "0 to 100",
            ),
            (dict(confidential=True), "confidential_reason", "Say why"),
        ]
        for overrides, field, words in cases:
            data = _kpi_data(contract.id, code=f"N-{len(words)}")
            for key, value in overrides.items():
                setattr(data, key, value)
            with pytest.raises(DomainError) as error:
                create_kpi(project, data)
            assert error.value.field == field, overrides
            assert words in error.value.message, (overrides, error.value.message)
            db.session.rollback()
        assert _count(Kpi) == 2
        # none clears both amounts; number accepts a negative target
        kpi = create_kpi(
            project,
            _kpi_data(
                contract.id,
                code="IX",
                unit=KpiUnit.NUMBER,
                target=Decimal("-2.5"),
                deduction_amount=Decimal("5"),
                deduction_percent=Decimal("5"),
            ),
        )
        assert kpi.deduction_amount is None and kpi.deduction_percent is None


def test_update_and_delete_kpi_keep_history(app, setup):
    contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        kpi = db.session.get(Kpi, kpi_id)
        record_observation(project, ObservationData(kpi_id, "2025-03", Decimal("97")), actor=None)
        db.session.commit()
        data = _kpi_data(
            contract.id,
            code="AV-1",
            unit=KpiUnit.PERCENT,
            comparison=Comparison.AT_LEAST,
            target=Decimal("95"),
            frequency=Frequency.QUARTERLY,
        )
        with pytest.raises(DomainError) as error:
            update_kpi(kpi, data)
        assert error.value.field == "frequency"
        db.session.rollback()
        data.frequency = Frequency.MONTHLY
        update_kpi(kpi, data)
        assert kpi.target == Decimal("95")
        # the observation keeps the result decided when it was written
        assert db.session.scalar(sa.select(KpiObservation.met)) is False
        delete_kpi(kpi)
        db.session.commit()
        assert kpi.is_deleted
        assert _count(KpiObservation) == 1 and len(_failures()) == 1
        with pytest.raises(DomainError, match="deleted"):
            record_observation(
                project, ObservationData(kpi_id, "2025-04", Decimal("99")), actor=None
            )


# --- observations -------------------------------------------------------------------------


def test_met_observation_creates_no_failure(app, setup):
    _contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        obs = record_observation(
            project, ObservationData(kpi_id, "2025-03", "98.5", note=" ok "), actor=None
        )
        db.session.commit()
        assert obs.met is True and obs.events == 0 and obs.note == "ok"
        assert obs.source == KpiSource.OPERATOR
        assert obs.period_start == date(2025, 3, 1) and obs.period_end == date(2025, 3, 31)
        assert _failures() == []
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "KpiObservation")
        ).all()
        assert actions == ["create"]


def test_failed_observation_creates_failure_with_amount_deduction(app, setup):
    contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        obs = record_observation(
            project,
            ObservationData(kpi_id, "2025-03", Decimal("96"), events=3),
            actor=None,
        )
        db.session.commit()
        assert obs.met is False and obs.events == 3
        [failure] = _failures()
        assert failure.observation_id == obs.id and failure.kpi_id == kpi_id
        assert failure.contract_id == contract.id
        assert failure.category == FailureCategory.AVAILABILITY
        assert (failure.period_start, failure.period_end) == (date(2025, 3, 1), date(2025, 3, 31))
        assert failure.penalty_contracted == Decimal("1500.00")
        assert failure.penalty_imposed == Decimal("1500.00")
        assert failure.penalty_paid == Decimal("0.00")
        assert failure.currency == "EUR"
        assert "AV-1" in failure.description and "96 %" in failure.description
        assert "at least 98 %" in failure.description
        assert db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.entity_type == "PerformanceFailure")
        )


def test_failed_without_events_counts_one(app, setup):
    _contract, kpi_id = setup
    with app.app_context():
        obs = record_observation(
            get_project("road-1"), ObservationData(kpi_id, "2025-03", "90"), actor=None
        )
        assert obs.events == 1
        assert _failures()[0].penalty_contracted == Decimal("500.00")


def test_percent_deduction_uses_the_scheduled_payment(
    app, make_project, make_contract, make_kpi, make_scheduled_payment
):
    make_project("road-1")
    contract = make_contract("road-1")
    kpi_id = make_kpi(
        contract,
        deduction_basis=DeductionBasis.PERCENT,
        deduction_amount=None,
        deduction_percent=Decimal("1.5"),
    )
    make_scheduled_payment(contract, gross_amount=Decimal("100000.33"))
    with app.app_context():
        project = get_project("road-1")
        record_observation(project, ObservationData(kpi_id, "2025-03", "97", events=2), actor=None)
        # 1.5 % × 100,000.33 × 2 = 3,000.0099 → 3,000.01 (half up)
        assert _failures()[0].penalty_contracted == Decimal("3000.01")
        db.session.commit()
        with pytest.raises(DomainError) as error:
            record_observation(project, ObservationData(kpi_id, "2025-04", "97"), actor=None)
        assert "payment schedule" in error.value.message
        assert "2025-04" in error.value.message
        db.session.rollback()
        assert _count(KpiObservation) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (dict(period="2025-Q1"), "period", "written like 2025-03"),
        (dict(period="2019-05"), "period", "outside the period of contract"),
        (dict(period=NEXT_MONTH), "period", "has not started yet"),
        (dict(value="ninety"), "value", "not a number"),
        (dict(value="130"), "value", "percentage from 0 to 100"),
        (dict(value=""), "value", "Give the value"),
        (dict(events=-1), "events", "cannot be negative"),
        (dict(events="2.5"), "events", "whole number"),
        (dict(value="99", events=2), "events", "a met KPI has no failure events"),
        (dict(value="90", events=0), "events", "at least one failure event"),
    ],
)
def test_bad_observations_are_refused(app, setup, changes, field, words):
    _contract, kpi_id = setup
    with app.app_context():
        values = dict(kpi_id=kpi_id, period="2025-03", value="97")
        values.update(changes)
        with pytest.raises(DomainError) as error:
            record_observation(get_project("road-1"), ObservationData(**values), actor=None)
        assert error.value.field == field
        assert words in error.value.message
        db.session.rollback()
        assert _count(KpiObservation) == 0 and _count(PerformanceFailure) == 0


@pytest.mark.parametrize(
    ("unit", "target", "bad", "good"),
    [
        (KpiUnit.COUNT, "3", "2.5", "2"),
        (KpiUnit.YES_NO, "1", "3", "1"),
        (KpiUnit.MINUTES, "30", "-5", "12.5"),
    ],
)
def test_values_must_fit_the_unit(
    app, make_project, make_contract, make_kpi, unit, target, bad, good
):
    make_project("road-1")
    contract = make_contract("road-1")
    kpi_id = make_kpi(contract, unit=unit, target=Decimal(target), comparison=Comparison.AT_MOST)
    with app.app_context():
        project = get_project("road-1")
        with pytest.raises(DomainError) as error:
            record_observation(project, ObservationData(kpi_id, "2025-03", bad), actor=None)
        assert error.value.field == "value" and "does not fit" in error.value.message
        db.session.rollback()
        assert record_observation(project, ObservationData(kpi_id, "2025-03", good), actor=None)


def test_one_observation_per_kpi_and_period(app, setup):
    _contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        record_observation(project, ObservationData(kpi_id, "2025-03", "99"), actor=None)
        with pytest.raises(DomainError) as error:
            record_observation(project, ObservationData(kpi_id, "2025-3", "97"), actor=None)
        assert error.value.field == "period"
        assert "already has an observation for 2025-03: edit that one" in error.value.message


def test_edit_transitions(app, setup):
    _contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        obs = record_observation(project, ObservationData(kpi_id, "2025-03", "99"), actor=None)
        # newly failed → a failure
        update_observation(obs, ObservationData(kpi_id, "2025-03", "97", events=2), actor=None)
        [failure] = _failures()
        assert failure.penalty_contracted == failure.penalty_imposed == Decimal("1000.00")
        # still failed → events and contracted follow; imposed follows while it equalled
        update_observation(obs, ObservationData(kpi_id, "2025-03", "96", events=3), actor=None)
        assert (failure.events, failure.penalty_contracted) == (3, Decimal("1500.00"))
        assert failure.penalty_imposed == Decimal("1500.00")
        failure.penalty_imposed = Decimal("700.00")
        update_observation(obs, ObservationData(kpi_id, "2025-03", "96", events=1), actor=None)
        assert failure.penalty_contracted == Decimal("500.00")
        assert failure.penalty_imposed == Decimal("700.00")
        # newly met → the failure is deleted and detached
        update_observation(obs, ObservationData(kpi_id, "2025-03", "98"), actor=None)
        db.session.commit()
        assert obs.met and obs.events == 0
        assert _failures() == []
        assert failure.is_deleted and failure.observation_id is None


def test_paid_penalty_blocks_met_edit_and_delete(app, setup):
    _contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        obs = record_observation(project, ObservationData(kpi_id, "2025-03", "90"), actor=None)
        [failure] = _failures()
        update_failure(
            failure,
            FailureData(
                failure.contract_id,
                failure.category,
                failure.period_start,
                failure.period_end,
                failure.events,
                failure.penalty_contracted,
                Decimal("500.00"),
                Decimal("200.00"),
            ),
        )
        db.session.commit()
        with pytest.raises(DomainError, match="already been paid"):
            update_observation(obs, ObservationData(kpi_id, "2025-03", "99"), actor=None)
        db.session.rollback()
        with pytest.raises(DomainError, match="already been paid"):
            delete_observation(obs)
        db.session.rollback()
        assert _count(KpiObservation) == 1 and len(_failures()) == 1


def test_delete_observation_removes_it_and_its_failure_and_detaches_evidence(app, setup):
    from pptracker.documents.models import Document

    _contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        obs = record_observation(project, ObservationData(kpi_id, "2025-03", "90"), actor=None)
        doc = Document(
            project_id=project.id,
            title="IE report",
            document_type="performanceReport",
            kpi_observation_id=obs.id,
            filename="r.pdf",
            media_type="application/pdf",
            size=1,
            sha256="0" * 64,
        )
        db.session.add(doc)
        db.session.commit()
        obs_id = obs.id
        delete_observation(obs)
        db.session.commit()
        assert _count(KpiObservation) == 0
        assert _failures() == []
        assert db.session.get(Document, doc.id).kpi_observation_id is None
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "KpiObservation", AuditEvent.entity_id == obs_id
            )
        ).all()
        assert actions == ["create", "delete"]


# --- a period at once ---------------------------------------------------------------------


def test_record_period_all_or_nothing(app, setup, make_kpi):
    contract, kpi_id = setup
    second = make_kpi(contract, code="AV-2", name="Toll plaza availability")
    quarterly = make_kpi(contract, code="Q-1", frequency=Frequency.QUARTERLY)
    with app.app_context():
        project = get_project("road-1")
        rows = [
            ObservationData(kpi_id, "2025-03", "99"),
            ObservationData(second, "2025-03", "150"),
            ObservationData(quarterly, "2025-03", "99"),
        ]
        with pytest.raises(PeriodErrors) as error:
            record_period(project, contract.id, Frequency.MONTHLY, "2025-03", rows, actor=None)
        assert set(error.value.errors) == {second, quarterly}
        assert "0 to 100" in error.value.errors[second]
        assert "not measured monthly" in error.value.errors[quarterly]
        db.session.rollback()
        assert _count(KpiObservation) == 0
        written = record_period(
            project,
            contract.id,
            Frequency.MONTHLY,
            "2025-03",
            [ObservationData(kpi_id, "", "99"), ObservationData(second, "", "97", events=2)],
            actor=None,
        )
        assert [o.met for o in written] == [True, False]
        assert _failures()[0].penalty_contracted == Decimal("1000.00")
        with pytest.raises(PeriodErrors) as error:
            record_period(project, contract.id, Frequency.MONTHLY, "2025-13", rows, actor=None)
        assert None in error.value.errors


# --- manual failures ----------------------------------------------------------------------


def _failure_data(contract_id, **overrides) -> FailureData:
    values = dict(
        contract_id=contract_id,
        category=FailureCategory.SAFETY,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        events=2,
        penalty_contracted=Decimal("1000.00"),
        penalty_imposed=Decimal("800.00"),
        penalty_paid=Decimal("0.00"),
        description="Guard rail not repaired within 24 hours",
    )
    values.update(overrides)
    return FailureData(**values)


def test_manual_failures(app, setup):
    contract, _kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        failure = record_failure(project, _failure_data(contract.id))
        assert failure.currency == "EUR" and failure.observation_id is None
        db.session.commit()
        cases = [
            (dict(period_end=date(2024, 12, 1)), "period_end", "end before"),
            (dict(period_start=date(2019, 1, 1)), "period_start", "outside the period"),
            (dict(events=-1), "events", "cannot be negative"),
            (dict(penalty_imposed=Decimal("-1.00")), "penalty_imposed", "negative"),
            (dict(penalty_paid=Decimal("900.00")), "penalty_paid", "more than the penalty imposed"),
            (dict(contract_id=999), "contract_id", "contract of this project"),
        ]
        for overrides, field, words in cases:
            with pytest.raises(DomainError) as error:
                record_failure(project, _failure_data(**{"contract_id": contract.id, **overrides}))
            assert error.value.field == field and words in error.value.message
            db.session.rollback()
        failure = db.session.scalar(sa.select(PerformanceFailure))
        update_failure(failure, _failure_data(contract.id, events=3))
        assert failure.events == 3
        delete_failure(failure)
        assert failure.is_deleted


def test_failure_from_observation_changes_only_imposed_paid_description(app, setup):
    contract, kpi_id = setup
    with app.app_context():
        project = get_project("road-1")
        record_observation(project, ObservationData(kpi_id, "2025-03", "90"), actor=None)
        [failure] = _failures()
        fixed = dict(
            category=failure.category,
            period_start=failure.period_start,
            period_end=failure.period_end,
            events=failure.events,
            penalty_contracted=failure.penalty_contracted,
        )
        for change, field in (
            (dict(events=5), "events"),
            (dict(penalty_contracted=Decimal("9.00")), "penalty_contracted"),
            (dict(period_start=date(2025, 2, 1)), "period_start"),
        ):
            with pytest.raises(DomainError) as error:
                update_failure(failure, _failure_data(contract.id, **{**fixed, **change}))
            assert error.value.field == field
            assert "correct the observation instead" in error.value.message
        update_failure(
            failure,
            _failure_data(
                contract.id,
                **fixed,
                penalty_imposed=Decimal("250.00"),
                penalty_paid=Decimal("250.00"),
                description="Reduced on appeal",
            ),
        )
        assert failure.penalty_imposed == failure.penalty_paid == Decimal("250.00")
        with pytest.raises(DomainError, match="delete or correct the observation"):
            delete_failure(failure)


# --- queries ------------------------------------------------------------------------------


def test_queries_hide_confidential_and_count_constant_statements(
    app, make_project, make_contract, make_kpi
):
    make_project("road-1")
    public = make_contract("road-1")
    secret = make_contract("road-1", reference="C-2")
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, secret.id)
        row.confidential, row.confidential_reason = True, "Commercial negotiation"
        db.session.commit()
    ids = [make_kpi(public, code=f"K-{n}") for n in range(3)]
    hidden_kpi = make_kpi(public, code="H-1", confidential=True, confidential_reason="Security")
    make_kpi(secret, code="S-1")
    with app.app_context():
        project = get_project("road-1")
        for kpi_id in [*ids, hidden_kpi]:
            record_observation(project, ObservationData(kpi_id, "2025-02", "99"), actor=None)
            record_observation(project, ObservationData(kpi_id, "2025-03", "90"), actor=None)
        record_failure(project, _failure_data(secret.id))
        db.session.commit()

        statements = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        project_id = project.id
        db.session.expire_all()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            public_list = kpi_queries.kpis_of(project_id, True)
            kpi_queries.failure_totals(project_id, hide_confidential=True)
            kpi_queries.observations_of(ids[0], hide_confidential=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 3 + 1 + 2, statements
        assert [r.code for r in public_list.rows] == ["K-0", "K-1", "K-2"]
        row = public_list.rows[0]
        assert row.latest_period == "2025-03" and row.latest_met is False
        assert (row.met_count, row.failed_count) == (1, 1)
        notices = {n.reason: n.label for n in public_list.withheld}
        assert notices == {"Commercial negotiation": "1 KPI", "Security": "1 KPI"}
        assert len(kpi_queries.kpis_of(project.id, False).rows) == 5

        totals = kpi_queries.failure_totals(project.id, hide_confidential=True)
        [grand] = totals.grand
        assert grand.count == 3 and grand.contracted == Decimal("1500.00")
        assert {n.label for n in totals.withheld} == {"1 performance failure"}
        full = kpi_queries.failure_totals(project.id, hide_confidential=False)
        assert full.grand[0].count == 5
        assert {t.key for t in full.by_contract} == {"C-1", "C-2"}
        assert [t.key for t in full.by_year] == ["2025"]
        assert kpi_queries.failures_of(project.id, hide_confidential=False, year=2024) == []
        assert (
            len(kpi_queries.failures_of(project.id, hide_confidential=False, contract_id=secret.id))
            == 1
        )
        assert kpi_queries.get_kpi(project.id, hidden_kpi, hide_confidential=True) is None
        assert kpi_queries.observations_of(hidden_kpi, hide_confidential=True) == []
        assert len(kpi_queries.observations_of(hidden_kpi, hide_confidential=False)) == 2
