"""Demo milestones: on time, late, re-baselined and overdue, entered through the services."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from pptracker.contracts.models import Amendment, AmendmentType, Contract
from pptracker.database import today
from pptracker.extensions import db
from pptracker.milestones import services
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.projects.models import Project

# code: [(title, type, milestone code, baseline, actual | None, percent, forecast | None,
#         weight, planned value, rebaseline (new date, reason) | None, note)]
# An actual date means met on that date; percent < 100 without an actual date is progress.
PLANS = {
    "coastal-toll-road": [
        (
            "Concession signed",
            "contractClose",
            "commercialClose",
            date(2014, 11, 20),
            date(2014, 11, 20),
            100,
            None,
            1,
            None,
            None,
            "Signed at the Ministry.",
        ),
        (
            "Financial close",
            "financing",
            "financialClose",
            date(2015, 1, 30),
            date(2015, 2, 27),
            100,
            None,
            1,
            None,
            None,
            "Lenders' conditions met four weeks late.",
        ),
        (
            "Works start",
            "delivery",
            "commencement",
            date(2015, 4, 1),
            date(2015, 4, 1),
            100,
            None,
            2,
            Decimal("20000000.00"),
            None,
            "",
        ),
        (
            "Sections 1–3 open to traffic",
            "delivery",
            "completion",
            date(2018, 6, 30),
            date(2019, 3, 15),
            100,
            None,
            6,
            Decimal("480000000.00"),
            (date(2018, 12, 31), "Mira interchange added by amendment 1"),
            "Opened in March.",
        ),
        (
            "Toll operations commissioned",
            "delivery",
            "commissioning",
            date(2019, 4, 1),
            date(2019, 4, 1),
            100,
            None,
            1,
            Decimal("15000000.00"),
            None,
            "",
        ),
    ],
    "northgate-hospital": [
        (
            "Project agreement signed",
            "contractClose",
            "commercialClose",
            date(2022, 3, 18),
            date(2022, 3, 18),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Financial close",
            "financing",
            "financialClose",
            date(2022, 5, 31),
            date(2022, 5, 31),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Block A structure complete",
            "delivery",
            None,
            date(2024, 3, 31),
            date(2024, 5, 20),
            100,
            None,
            3,
            Decimal("90000000.00"),
            None,
            "Steel frame delivery slipped seven weeks.",
        ),
        (
            "Block B handed over",
            "delivery",
            None,
            date(2025, 9, 30),
            None,
            80,
            date(2026, 4, 30),
            3,
            Decimal("110000000.00"),
            None,
            "Fit-out of theatres behind plan; independent tester informed.",
        ),
        (
            "Hospital open to patients",
            "delivery",
            "completion",
            date(2027, 3, 31),
            None,
            35,
            date(2027, 9, 30),
            4,
            Decimal("120000000.00"),
            None,
            "",
        ),
    ],
    "lakeside-water-treatment": [
        (
            "Contract signed",
            "contractClose",
            "commercialClose",
            date(2015, 10, 2),
            date(2015, 10, 2),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Expansion commissioned",
            "delivery",
            "commissioning",
            date(2017, 12, 31),
            date(2017, 11, 20),
            100,
            None,
            5,
            Decimal("150000000.00"),
            None,
            "Commissioned six weeks early.",
        ),
    ],
    "sunvale-solar-farm": [
        (
            "Implementation agreement signed",
            "contractClose",
            "commercialClose",
            date(2023, 10, 30),
            date(2023, 10, 30),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Financial close",
            "financing",
            "financialClose",
            date(2024, 1, 31),
            date(2024, 1, 31),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Grid connection energised",
            "delivery",
            None,
            date(2025, 8, 31),
            None,
            60,
            date(2026, 2, 28),
            3,
            Decimal("400000000.00"),
            None,
            "Substation works by Eskom late.",
        ),
        (
            "Commercial operation date",
            "delivery",
            "commissioning",
            date(2026, 1, 31),
            None,
            55,
            date(2026, 6, 30),
            5,
            Decimal("2500000000.00"),
            None,
            "",
        ),
    ],
    "metro-light-rail-line-2": [
        (
            "DBFOM contract signed",
            "contractClose",
            "commercialClose",
            date(2023, 7, 14),
            date(2023, 7, 14),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Tunnel breakthrough",
            "delivery",
            None,
            date(2025, 3, 31),
            date(2025, 11, 28),
            100,
            None,
            4,
            Decimal("420000000.00"),
            "amendment",
            "Breakthrough after the heritage stop.",
        ),
        (
            "Line 2 in passenger service",
            "delivery",
            "completion",
            date(2027, 9, 1),
            None,
            40,
            date(2028, 6, 1),
            5,
            Decimal("700000000.00"),
            "amendment",
            "",
        ),
    ],
    "schools-bundle-phase-1": [
        (
            "Project agreement signed",
            "contractClose",
            "commercialClose",
            date(2018, 2, 9),
            date(2018, 2, 9),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "All 39 schools open",
            "delivery",
            "completion",
            date(2019, 8, 31),
            date(2019, 8, 28),
            100,
            None,
            6,
            Decimal("240000000.00"),
            None,
            "Opened for the new school year.",
        ),
    ],
    "bayport-container-terminal": [
        (
            "Concession signed",
            "contractClose",
            "commercialClose",
            date(2021, 5, 21),
            date(2021, 5, 21),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Berth 1 completed",
            "delivery",
            None,
            date(2025, 6, 30),
            None,
            85,
            None,
            3,
            Decimal("150000000.00"),
            None,
            "Quay wall cracks under repair; no new date yet.",
        ),
        (
            "Terminal expansion commissioned",
            "delivery",
            "commissioning",
            date(2026, 12, 31),
            None,
            30,
            date(2027, 6, 30),
            4,
            Decimal("200000000.00"),
            None,
            "",
        ),
    ],
    "capital-airport-terminal-3": [
        (
            "Concession signed",
            "contractClose",
            "commercialClose",
            date(2021, 10, 12),
            date(2021, 10, 12),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Terminal 3 open",
            "delivery",
            "completion",
            date(2026, 10, 1),
            None,
            70,
            date(2026, 10, 1),
            5,
            Decimal("2300000000.00"),
            None,
            "On schedule.",
        ),
    ],
    "epirus-wind-park": [
        (
            "Project approved by the regional council",
            "approval",
            "projectApproval",
            date(2025, 12, 15),
            date(2026, 1, 20),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Concession signed",
            "contractClose",
            "commercialClose",
            date(2027, 3, 31),
            None,
            0,
            None,
            1,
            None,
            None,
            "",
        ),
    ],
    "eastside-waste-to-energy": [
        (
            "Feasibility study approved",
            "approval",
            "projectApproval",
            date(2026, 6, 30),
            None,
            50,
            date(2027, 2, 28),
            1,
            None,
            None,
            "Environmental hearings extended.",
        ),
    ],
    "river-crossing-bridge": [
        (
            "Project identified in the national plan",
            "approval",
            "projectApproval",
            date(2026, 3, 1),
            date(2026, 3, 1),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
    ],
    "affordable-housing-programme": [
        (
            "Project approved",
            "approval",
            "projectApproval",
            date(2019, 3, 1),
            date(2019, 3, 1),
            100,
            None,
            1,
            None,
            None,
            "",
        ),
        (
            "Lease agreement signed",
            "contractClose",
            "commercialClose",
            date(2020, 6, 30),
            None,
            0,
            None,
            1,
            None,
            None,
            "Programme cancelled by the new administration.",
        ),
    ],
}


def load_milestones(users) -> int:
    """Create, approve and report on each demo project's milestones, once."""
    admin = users["admin@example.org"]
    created = 0
    for code, plan in PLANS.items():
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        if project is None or db.session.scalar(
            sa.select(Milestone.id).where(Milestone.project_id == project.id).limit(1)
        ):
            continue
        manager = project.managers[0]
        contract = db.session.scalar(sa.select(Contract).where(Contract.project_id == project.id))
        for (
            title,
            kind,
            oc4ids_code,
            baseline,
            actual,
            percent,
            forecast,
            weight,
            value,
            rebase,
            note,
        ) in plan:
            milestone = services.create_milestone(
                project,
                services.MilestoneData(
                    title=title,
                    type=kind,
                    code=oc4ids_code,
                    baseline_date=baseline,
                    contract_id=contract.id if contract else None,
                    weight=weight,
                    planned_value=value,
                ),
                actor=manager,
            )
            services.approve_milestone(milestone, approver=admin)
            if rebase == "amendment":
                amendment = db.session.scalar(
                    sa.select(Amendment).where(
                        Amendment.contract_id == contract.id,
                        Amendment.type == AmendmentType.DURATION,
                    )
                )
                services.rebaseline(
                    milestone,
                    baseline + timedelta(days=273),
                    reason=f"Heritage delay: {amendment.rationale[:120]}",
                    actor=admin,
                    amendment=amendment,
                )
            elif rebase is not None:
                services.rebaseline(milestone, rebase[0], reason=rebase[1], actor=admin)
            _report(milestone, actual, percent, forecast, note, manager, project)
            created += 1
    return created


def _report(milestone, actual, percent, forecast, note, manager, project) -> None:
    if project.status == "cancelled" and actual is None:
        services.cancel_milestone(milestone, actor=manager, note=note)
        return
    if actual is not None:
        status = MilestoneStatus.MET
    elif percent > 0:
        status = MilestoneStatus.IN_PROGRESS
    else:
        return  # scheduled, nothing reported yet
    if actual is not None and actual > today():
        return
    services.quick_update(
        milestone,
        status=status,
        percent_complete=percent,
        forecast_date=forecast,
        actual_date=actual,
        note=note,
        actor=manager,
    )
