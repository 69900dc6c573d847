"""``flask demo generate``: a large synthetic portfolio, written in bulk, with a valid audit chain.

The demo loader goes through the services, one record at a time; at 10,000
projects and a million transactions that would take hours. Here every row is
built in Python and written with Core bulk inserts (``COPY`` on PostgreSQL),
in one transaction, so a failed run leaves nothing behind.

Bulk inserts skip the ORM's audit listeners, so the events are written here
too: one ``create`` event per record, with exactly the fields, summary and
``changes`` the listeners would have recorded (``capture._diff`` of a new
object), and for each progress report the two events ``quick_update`` leaves
(the ``MilestoneUpdate`` created, the ``Milestone`` updated). They are chained
after the current head with ``chain.event_hash`` and the app's key, and the
head, with the data version, is moved at the end: ``audit verify`` passes and
the app's next write continues the chain. The head row is taken (locked)
first, so concurrent writers wait for the run instead of forking the chain.

Shapes, not facts: a national portfolio (most projects in one currency) in
every OC4IDS sector, mostly in implementation; each project has an SPV,
one or two contracts (a few confidential, some amended), budget lines,
milestones whose status and progress follow the project's dates, and years
of commitments, payments and receipts. Randomness is seeded: the same options
give the same portfolio.
"""

import json
import random
import sys
import threading
import time
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from itertools import accumulate

import sqlalchemy as sa

from pptracker.audit import capture
from pptracker.audit.chain import audit_key, canonical_json, canonical_time, event_hash
from pptracker.audit.models import AuditChainHead, AuditEvent
from pptracker.budgets import money
from pptracker.budgets.models import BudgetLine, Transaction
from pptracker.contracts.models import Amendment, Contract, ContractParty
from pptracker.database import today, utcnow
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneBaseline, MilestoneUpdate
from pptracker.projects.models import Party, Project

#: Events per bulk write (and rows of each table buffered alongside them).
CHUNK = 20_000
#: Progress reports by default: enough for about 1.6 events per record.
UPDATES_PER_RECORD = 0.3


#: Types ``capture.jsonable`` returns unchanged (checked first: it is called for every value).
_PLAIN = frozenset({str, int, bool, float})


class NotEmptyError(Exception):
    """The database already holds projects: generating would mix two portfolios."""


@dataclass
class Counts:
    """What a run wrote."""

    parties: int = 0
    projects: int = 0
    contracts: int = 0
    contract_parties: int = 0
    amendments: int = 0
    budget_lines: int = 0
    milestones: int = 0
    baselines: int = 0
    transactions: int = 0
    updates: int = 0
    events: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """Return the one-line summary the command prints."""
        return (
            f"Generated {self.projects:,} projects, {self.milestones:,} milestones, "
            f"{self.transactions:,} transactions, {self.parties:,} parties, "
            f"{self.contracts:,} contracts ({self.contract_parties:,} parties, "
            f"{self.amendments:,} amendments), {self.budget_lines:,} budget lines, "
            f"{self.baselines:,} baselines, {self.updates:,} progress reports and "
            f"{self.events:,} audit events in {self.seconds:.1f} s."
        )


# -- the shapes of the portfolio ------------------------------------------------------------

# Districts of the (fictional, Portuguese-shaped) country: name, slug, latitude, longitude.
PLACES = [
    ("Lisboa", "lisboa", 38.72, -9.14),
    ("Porto", "porto", 41.15, -8.61),
    ("Braga", "braga", 41.55, -8.42),
    ("Coimbra", "coimbra", 40.21, -8.43),
    ("Faro", "faro", 37.02, -7.93),
    ("Aveiro", "aveiro", 40.64, -8.65),
    ("Leiria", "leiria", 39.74, -8.81),
    ("Setúbal", "setubal", 38.52, -8.89),
    ("Viseu", "viseu", 40.66, -7.91),
    ("Évora", "evora", 38.57, -7.91),
    ("Santarém", "santarem", 39.24, -8.69),
    ("Viana do Castelo", "viana", 41.69, -8.83),
    ("Vila Real", "vila-real", 41.30, -7.74),
    ("Bragança", "braganca", 41.81, -6.76),
    ("Guarda", "guarda", 40.54, -7.27),
    ("Castelo Branco", "castelo-branco", 39.82, -7.49),
    ("Portalegre", "portalegre", 39.29, -7.43),
    ("Beja", "beja", 38.02, -7.86),
    ("Funchal", "funchal", 32.65, -16.91),
    ("Ponta Delgada", "ponta-delgada", 37.74, -25.67),
]

# sector: (weight, code tag, index of its authority in AUTHORITIES, [asset names])
SECTORS = {
    "transport.road": (18, "road", 0, ["Motorway", "Ring Road", "Expressway", "Bypass"]),
    "transport.rail": (5, "rail", 1, ["Railway Line", "Rail Upgrade", "Freight Terminal"]),
    "transport.urban": (5, "metro", 9, ["Light Rail", "Bus Rapid Transit", "Metro Extension"]),
    "transport.air": (2, "airport", 2, ["Airport Terminal", "Regional Airport"]),
    "transport.water": (2, "port", 3, ["Container Terminal", "Ferry Port", "Marina"]),
    "transport.lowCarbon": (2, "ev", 0, ["EV Charging Network", "Cycle Network"]),
    "transport": (2, "transit", 0, ["Transport Interchange", "Logistics Hub"]),
    "health": (12, "health", 4, ["Regional Hospital", "Health Centres", "Rehabilitation Centre"]),
    "education": (10, "school", 5, ["Schools Programme", "University Campus", "Secondary School"]),
    "energy": (3, "energy", 6, ["Power Plant", "Grid Interconnector"]),
    "energy.solar": (5, "solar", 6, ["Solar Park", "Solar Farm"]),
    "energy.wind": (4, "wind", 6, ["Wind Farm", "Offshore Wind Farm"]),
    "energy.hydropower": (2, "hydro", 6, ["Hydropower Plant", "Pumped Storage"]),
    "energy.biomass": (1, "biomass", 6, ["Biomass Plant"]),
    "energy.geothermal": (1, "geo", 6, ["Geothermal Plant"]),
    "waterAndWaste": (9, "water", 7, ["Wastewater Treatment Plant", "Desalination Plant"]),
    "communications": (2, "broadband", 8, ["Rural Broadband", "Data Centre"]),
    "governance": (3, "gov", 10, ["Courthouse", "Government Offices", "Prison"]),
    "economy": (2, "econ", 11, ["Business Park", "Convention Centre"]),
    "cultureSportsAndRecreation": (2, "culture", 9, ["Sports Arena", "Cultural Centre"]),
    "socialHousing": (4, "housing", 9, ["Social Housing", "Student Residences"]),
    "naturalResources": (1, "natres", 12, ["Irrigation Scheme", "Forest Management"]),
    "naturalResources.floodProtection": (2, "flood", 12, ["Flood Defences", "River Barrier"]),
}

# Public authorities: ministries and agencies (index 9 stands for the municipalities).
AUTHORITIES = [
    "National Roads Agency",
    "Rail Infrastructure Agency",
    "Civil Aviation Authority",
    "Ports and Maritime Authority",
    "Ministry of Health",
    "Ministry of Education",
    "Ministry of Environment and Energy",
    "Water and Waste Services Agency",
    "Ministry of Digital Affairs",
    None,
    "Ministry of Justice",
    "Ministry of Economy",
    "Ministry of Agriculture and Natural Resources",
]

LENDERS = [
    ("Atlantic Development Bank", ["funder", "lender", "leadBank"], "LU"),
    ("Banco Ibérico de Investimento", ["lender", "leadBank"], "PT"),
    ("Caixa de Crédito Infraestrutura", ["lender"], "PT"),
    ("Nordic Infrastructure Bank", ["lender"], "DK"),
    ("Banque de Financement des Projets", ["lender"], "FR"),
    ("Rheinland Projektbank AG", ["lender"], "DE"),
    ("Banco de Obras Públicas", ["lender", "leadBank"], "ES"),
    ("Green Transition Fund", ["funder", "lender"], "NL"),
]
INVESTORS = [
    ("Meridian Infrastructure Partners", "GB"),
    ("Tejo Capital SGPS", "PT"),
    ("Alpine Long-Term Investors", "CH"),
    ("Hanse Infrastruktur Fonds", "DE"),
    ("Boreal Pension Infrastructure", "CA"),
    ("Iberia Concessions Holding", "ES"),
    ("Sol e Vento Energias", "PT"),
    ("Maple Leaf Social Infrastructure", "CA"),
]
CONTRACTORS = [
    ("Construtora Atlântica S.A.", "PT"),
    ("Engenharia Lusa, Lda.", "PT"),
    ("Obras y Proyectos del Sur S.A.", "ES"),
    ("Norte Consultores de Engenharia", "PT"),
    ("Independent Engineering Associates", "GB"),
    ("Ingénierie Conseil Europe", "FR"),
    ("Técnica de Fiscalização S.A.", "PT"),
    ("Baltic Technical Advisers", "LT"),
]

STATUSES = [  # status, share of projects
    ("implementation", 62),
    ("maintenance", 18),
    ("completion", 9),
    ("preparation", 6),
    ("identification", 3),
    ("cancelled", 2),
]
#: How many milestones and transactions a project of each status attracts (relative).
MILESTONE_WEIGHT = {
    "implementation": 1.0,
    "maintenance": 1.2,
    "completion": 1.0,
    "preparation": 0.5,
    "identification": 0.25,
    "cancelled": 0.4,
}
TRANSACTION_WEIGHT = {
    "implementation": 1.0,
    "maintenance": 2.0,
    "completion": 1.3,
    "preparation": 0.1,
    "identification": 0.03,
    "cancelled": 0.3,
}
PPP_MODELS = [
    ("DBFOM", 20),
    ("DBFO", 14),
    ("availabilityPayment", 14),
    ("BOT", 16),
    ("concession", 14),
    ("BOOT", 6),
    ("BOO", 4),
    ("lease", 6),
    ("managementContract", 6),
]
CURRENCIES = [("EUR", 90), ("USD", 6), ("GBP", 4)]
#: Units of the project currency per unit of the foreign one, roughly.
RATES = {("EUR", "USD"): 0.92, ("USD", "EUR"): 1.09, ("GBP", "EUR"): 0.86, ("EUR", "GBP"): 1.17}
PROJECT_TYPES = [
    ("construction", 70),
    ("rehabilitation", 12),
    ("expansion", 12),
    ("replacement", 6),
]
METHODS = [("open", 60), ("selective", 25), ("limited", 10), ("direct", 5)]

RATIONALES = [
    "Unforeseen ground conditions found during excavation required additional works.",
    "Change in environmental law: new noise barriers and drainage standards.",
    "Expropriations completed later than planned by the contracting authority.",
    "Scope extended at the authority's request to serve a new residential area.",
    "Compensation event: archaeological findings stopped works on two sites.",
    "Indexation of the availability payment after the annual review.",
    "Refinancing gain shared with the authority under clause 34.",
    "Force majeure: flooding damaged works in progress.",
]
APPROVERS = ["Council of Ministers", "Ministry of Finance", "PPP Unit Steering Committee"]
CONFIDENTIAL_REASONS = [
    "Commercially sensitive: pricing and financial model (clause 12).",
    "Ongoing negotiation with the lenders; disclosed after financial close.",
    "Contains personal data of expropriated owners.",
]
NOTES = [
    "Works on schedule.",
    "Monthly progress report received from the SPV.",
    "Independent engineer confirmed progress on site.",
    "Delay from late permits; recovery plan requested.",
    "Weather stopped works for two weeks.",
    "Inspection passed with minor observations.",
    "",
]


def _weighted(rng: random.Random, pairs):
    """Pick from ``[(value, weight), …]``."""
    values = [v for v, _ in pairs]
    return rng.choices(values, weights=[w for _, w in pairs])[0]


def _cents(cents: int) -> Decimal:
    return Decimal(max(int(cents), 1)).scaleb(-2)


def _spread(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into whole shares proportional to ``weights`` (largest remainders)."""
    weight_sum = sum(weights) or 1.0
    exact = [total * w / weight_sum for w in weights]
    shares = [int(x) for x in exact]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[:left]:
        shares[i] += 1
    return shares


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=UTC)


# -- writing rows and their events ----------------------------------------------------------


class _Table:
    """One audited model: its columns in order, the defaults the ORM would fill in."""

    def __init__(self, model, first_id: int) -> None:
        mapper = sa.inspect(model)
        self.model, self.name, self.table = model, model.__name__, model.__table__
        self.keys = [attr.key for attr in mapper.column_attrs]
        self.columns = [attr.columns[0].name for attr in mapper.column_attrs]
        self.logged = [k for k in self.keys if k not in model.__audit_ignore__]
        self.json = {
            i
            for i, attr in enumerate(mapper.column_attrs)
            if isinstance(attr.columns[0].type, sa.JSON)
        }
        self.defaults = {}
        for attr in mapper.column_attrs:
            default = attr.columns[0].default
            if default is not None and attr.key != "id":
                self.defaults[attr.key] = default
        self.next_id = first_id
        self.rows: list[tuple] = []
        self.written = 0

    def complete(self, row: dict, now: datetime) -> dict:
        """Fill in the id and every column default, as a flush of a new object would."""
        row["id"] = self.next_id
        self.next_id += 1
        for key, default in self.defaults.items():
            if key not in row:
                if default.is_scalar:
                    row[key] = default.arg
                elif key in ("created_at", "updated_at"):
                    row[key] = now
                else:
                    row[key] = default.arg(None)
        for key in self.keys:
            if key not in row:
                row[key] = None
        return row


class _Writer:
    """Buffers rows and their events, and writes both in chunks in the open transaction."""

    def __init__(self, session, actor: capture.Actor) -> None:
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.actor = actor
        self.key = audit_key()
        head = AuditChainHead.__table__
        # The statement chain.append starts with: it locks the head until the commit.
        self.seq, self.prev = self.connection.execute(
            sa.update(head)
            .where(head.c.id == 1)
            .values(seq=head.c.seq)
            .returning(head.c.seq, head.c.hash)
        ).one()
        self.first_seq = self.seq
        self.events: list[tuple] = []
        self.now = utcnow()
        self.now_text = canonical_time(self.now)
        self.tables: dict[type, _Table] = {}
        self.last_at = None
        self.pending: threading.Thread | None = None
        self.error: BaseException | None = None

    def register(self, *models) -> None:
        """Set up the tables, in the order their rows must be written (parents first)."""
        for model in models:
            first = self.connection.scalar(sa.select(sa.func.max(model.__table__.c.id))) or 0
            self.tables[model] = _Table(model, first + 1)

    @property
    def event_count(self) -> int:
        return self.seq - self.first_seq

    def create(self, model, row: dict, *, project_id=None, logged: dict | None = None) -> dict:
        """Queue a new row and its ``create`` event; return the row, with its id.

        :param project_id: the event's project when the row has no ``project_id``
            of its own (a contract's party); a project is its own.
        :param logged: the values at creation when the row written is already
            the state after later updates (a milestone with progress reports).
        """
        table = self.tables[model]
        table.complete(row, self.now)
        table.rows.append(tuple(row[k] for k in table.keys))
        values = row if logged is None else {**row, **logged}
        changes = {}
        for key in table.logged:
            value = values[key]
            if value is not None:
                changes[key] = [None, value if type(value) in _PLAIN else capture.jsonable(value)]
        if model is Project:
            project_id = row["id"]
        elif project_id is None:
            project_id = row.get("project_id")
        self._event(
            "create", table.name, row["id"], project_id, _describe(table.name, row), changes
        )
        if len(self.events) >= CHUNK:
            self.flush()
        return row

    def update(self, model, row: dict, before: dict, after: dict) -> bool:
        """Queue the ``update`` event of ``row`` going from ``before`` to ``after``."""
        changes = {
            k: [capture.jsonable(before[k]), capture.jsonable(after[k])]
            for k in after
            if before[k] != after[k]
        }
        if not changes:
            return False
        name = model.__name__
        self._event(
            "update", name, row["id"], row["project_id"], _describe(name, row, "Updated"), changes
        )
        return True

    def _event(self, action, entity_type, entity_id, project_id, summary, changes) -> None:
        self.seq += 1
        fields = {
            "seq": self.seq,
            "occurred_at": self.now_text,
            "actor_id": self.actor.user_id,
            "actor": self.actor.label,
            "client_ip": self.actor.client_ip,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "project_id": project_id,
            "summary": summary[:500],
            "changes": canonical_json(changes),
            "reason": None,
        }
        digest = event_hash(self.key, fields, self.prev)
        self.events.append(
            (
                self.seq,
                self.now,
                fields["actor_id"],
                fields["actor"],
                fields["client_ip"],
                action,
                entity_type,
                entity_id,
                project_id,
                fields["summary"],
                fields["changes"],
                None,
                self.prev,
                digest,
            )
        )
        self.prev = digest
        self.last_at = self.now

    def flush(self) -> None:
        """Write the buffered rows (parents first), then their events."""
        batches = []
        for table in self.tables.values():
            if table.rows:
                batches.append((table.table, table.columns, table.rows, table.json))
                table.written += len(table.rows)
                table.rows = []
        if self.events:
            batches.append((AuditEvent.__table__, _EVENT_COLUMNS, self.events, ()))
            self.events = []
        self.wait()
        if self.postgres:
            # The server stores and indexes one chunk while the next is built: waiting
            # on the socket releases the GIL. One chunk at a time keeps the order.
            self.pending = threading.Thread(target=self._write_all, args=(batches,))
            self.pending.start()
        else:  # sqlite3 connections stay in their thread
            self._write_all(batches)
        # A new timestamp per chunk: the events of a long run are not all one instant.
        self.now = utcnow()
        self.now_text = canonical_time(self.now)

    def _write_all(self, batches) -> None:
        try:
            for batch in batches:
                self._write(*batch)
        except BaseException as error:  # noqa: BLE001 - re-raised by wait() in the caller
            self.error = error

    def wait(self) -> None:
        """Wait for the chunk being written; raise what writing it raised."""
        if self.pending is not None:
            self.pending.join()
            self.pending = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _write(self, table: sa.Table, columns: list[str], rows: list[tuple], json_at) -> None:
        if self.postgres:
            # COPY: several times faster than INSERT, even as executemany.
            names = ", ".join(f'"{c}"' for c in columns)
            cursor = self.connection.connection.dbapi_connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                if json_at:
                    for row in rows:
                        copy.write_row(
                            [json.dumps(v) if i in json_at else v for i, v in enumerate(row)]
                        )
                else:
                    for row in rows:
                        copy.write_row(row)
            cursor.close()
        else:
            self.connection.execute(
                table.insert(), [dict(zip(columns, r, strict=True)) for r in rows]
            )

    def finish(self) -> None:
        """Write what is left, move the chain head and the data version, fix the sequences."""
        self.flush()
        self.wait()
        if self.event_count:
            head = AuditChainHead.__table__
            self.connection.execute(
                sa.update(head)
                .where(head.c.id == 1)
                .values(
                    seq=self.seq,
                    hash=self.prev,
                    data_seq=self.seq,
                    data_hash=self.prev,
                    data_at=self.last_at,
                )
            )
        if self.postgres:
            # Ids were given explicitly: move each sequence past them.
            for table in self.tables.values():
                if table.written:
                    written = sa.select(sa.func.max(table.table.c.id)).scalar_subquery()
                    self.connection.execute(
                        sa.select(
                            sa.func.setval(
                                sa.func.pg_get_serial_sequence(table.table.name, "id"),
                                sa.func.greatest(table.next_id - 1, written),
                            )
                        )
                    )


#: The event columns in table order, which the event tuples follow (``id`` is the database's).
_EVENT_COLUMNS = [column.name for column in AuditEvent.__table__.columns if column.name != "id"]


def _describe(name: str, row: dict, verb: str = "Created") -> str:
    """``capture.describe`` of the row: its code, reference, title, name or email, else its id."""
    for attribute in ("code", "reference", "title", "name", "email"):
        value = row.get(attribute)
        if value:
            return f"{verb} {name} {value}"
    return f"{verb} {name} {row['id']}"


# -- the plan: what each project is ----------------------------------------------------------


@dataclass
class _Plan:
    """One project's shape, decided before anything is written."""

    index: int
    sector: str
    status: str
    place: tuple
    currency: str
    budget: Decimal
    start: date
    built: date  # end of construction
    end: date
    model: str
    cancelled_on: date | None = None
    milestones: int = 0
    transactions: int = 0
    reports: list[int] = field(default_factory=list)  # per progressing milestone

    @property
    def signed(self) -> bool:
        return self.status not in ("identification", "preparation") and (
            self.cancelled_on is None or self.start < self.cancelled_on
        )


def _plan_projects(rng: random.Random, count: int, day: date) -> list[_Plan]:
    sectors = [(s, spec[0]) for s, spec in SECTORS.items()]
    plans = []
    for n in range(count):
        sector = _weighted(rng, sectors)
        status = _weighted(rng, STATUSES)
        build = rng.randint(540, 2190)
        cancelled_on = None
        if status == "implementation":
            start = day - timedelta(days=int(rng.uniform(0.1, 0.9) * build))
        elif status == "completion":
            start = day - timedelta(days=build + rng.randint(30, 400))
        elif status == "maintenance":
            start = day - timedelta(days=build + rng.randint(365, 14 * 365))
        elif status == "preparation":
            start = day + timedelta(days=rng.randint(120, 1000))
        elif status == "identification":
            start = day + timedelta(days=rng.randint(700, 2000))
        else:  # cancelled, before or after the contract was signed
            cancelled_on = day - timedelta(days=rng.randint(30, 900))
            start = cancelled_on + timedelta(days=rng.randint(-500, 400))
        size = 10 ** rng.uniform(7.0, 9.2)  # 10 million to 1.6 billion
        if sector in ("health", "education", "socialHousing", "governance"):
            size /= 3
        plans.append(
            _Plan(
                index=n,
                sector=sector,
                status=status,
                place=rng.choice(PLACES),
                currency=_weighted(rng, CURRENCIES),
                budget=Decimal(int(size / 1000) * 1000).quantize(Decimal("0.01")),
                start=start,
                built=start + timedelta(days=build),
                end=start + timedelta(days=build + 365 * rng.randint(15, 35)),
                model=_weighted(rng, PPP_MODELS),
                cancelled_on=cancelled_on,
            )
        )
    return plans


@dataclass
class _Step:
    status: str
    percent: int
    forecast: date | None
    actual: date | None


def _milestone_plan(plan: _Plan, seed: int, day: date) -> list[dict]:
    """The project's milestones: dates, final status and progress (deterministic per project).

    Run twice (once to count the milestones that progress, once to write
    them), so it draws from its own generator.
    """
    rng = random.Random(seed * 1_000_003 + plan.index)  # noqa: S311 - synthetic data, not secrets
    m = plan.milestones
    if not m:
        return []
    head = [
        ("Project approved by the Council of Ministers", "approval", "projectApproval", -300, 1),
        ("Concession agreement signed", "contractClose", "commercialClose", -120, 1),
        ("Financial close", "financing", "financialClose", -40, 1),
        ("Start of construction works", "delivery", "commencement", 0, 2),
    ]
    tail = [
        ("Construction completion certificate", "delivery", "completion", None, 10),
        ("Service commencement", "delivery", "commissioning", None, 5),
    ]
    if m >= len(head) + len(tail):
        chosen_head, chosen_tail, middle = head, tail, m - len(head) - len(tail)
    else:
        priority = [tail[0], head[2], head[3], head[0], tail[1], head[1]][:m]
        chosen_head = [h for h in head if h in priority]
        chosen_tail = [t for t in tail if t in priority]
        middle = 0
    span = (plan.built - plan.start).days
    later = plan.status == "maintenance" and middle > 8
    works = middle // 2 if later else middle
    specs = []
    for title, kind, code, offset, weight in chosen_head:
        specs.append((title, kind, code, plan.start + timedelta(days=offset), weight))
    asset = "Section" if plan.sector.startswith("transport") else "Works package"
    for k in range(works):
        baseline = plan.start + timedelta(days=int(span * (k + 1) / (works + 1)))
        kind = _weighted(
            rng, [("delivery", 70), ("reporting", 10), ("payment", 10), ("assessment", 10)]
        )
        title = {
            "delivery": f"{asset} {k + 1} works complete",
            "reporting": f"Progress report {k + 1}",
            "payment": f"Milestone payment {k + 1}",
            "assessment": f"Environmental compliance audit {k + 1}",
        }[kind]
        weight = rng.choice([2, 3, 5, 8]) if kind == "delivery" else int(kind == "payment")
        specs.append((title, kind, None, baseline, weight))
    for title, kind, code, _offset, weight in chosen_tail:
        specs.append(
            (
                title,
                kind,
                code,
                plan.built if code == "completion" else plan.built + timedelta(days=60),
                weight,
            )
        )
    reviews = middle - works  # the operation years: performance reviews, a few still to come
    horizon = (min(plan.end, day + timedelta(days=730)) - plan.built).days
    for k in range(reviews):
        baseline = plan.built + timedelta(days=horizon * (k + 1) // (reviews + 1))
        specs.append(
            (f"Performance review {k + 1} ({baseline.year})", "assessment", None, baseline, 0)
        )
    delivery_weight = sum(s[4] for s in specs if s[1] == "delivery") or 1
    capex = int(plan.budget * 60)  # cents: 60 % of the budget is earned by delivery
    approved = (
        None
        if plan.status == "identification"
        else min(_at(plan.start - timedelta(days=365)), _at(day - timedelta(days=1)))
    )
    rows = []
    for title, kind, code, baseline, weight in specs:
        slip = _weighted(
            rng,
            [
                (0, 40),
                (rng.randint(1, 60), 30),
                (rng.randint(60, 365), 20),
                (-rng.randint(1, 30), 10),
            ],
        )
        forecast = baseline + timedelta(days=slip)
        percent, actual = 0, None
        if plan.cancelled_on is not None and forecast > plan.cancelled_on:
            status = "cancelled"
        elif forecast <= day - timedelta(days=15):
            roll = rng.random()
            if (
                roll < 0.93
                or plan.status in ("completion", "maintenance")
                and baseline < plan.built
            ):
                status, percent, actual = "met", 100, forecast
            elif roll < 0.97:
                status, percent, actual = "partiallyMet", rng.randint(60, 95), forecast
            else:
                status, percent = "notMet", rng.randint(0, 80)
        elif baseline <= day + timedelta(days=180):
            status = "inProgress"
            elapsed = (day - (forecast - timedelta(days=180))).days / 180
            percent = max(5, min(95, int(elapsed * 100)))
        else:
            status = "scheduled"
        planned = (
            _cents(capex * weight // delivery_weight) if kind == "delivery" and weight else None
        )
        rows.append(
            {
                "title": title,
                "type": kind,
                "code": code,
                "baseline_date": baseline,
                "forecast_date": forecast,
                "actual_date": actual,
                "status": status,
                "percent_complete": percent,
                "weight": weight,
                "planned_value": planned,
                "approved_at": approved,
            }
        )
    return rows


def _progressing(row: dict) -> bool:
    return row["status"] in ("met", "partiallyMet", "notMet", "inProgress")


def _steps(row: dict, count: int, rng: random.Random) -> list[_Step]:
    """``count`` progress reports ending at the milestone's final state."""
    final = _Step(row["status"], row["percent_complete"], row["forecast_date"], row["actual_date"])
    steps = []
    baseline, forecast = row["baseline_date"], row["forecast_date"]
    for i in range(1, count):
        share = i / count
        moved = baseline + timedelta(days=int((forecast - baseline).days * share))
        steps.append(_Step("inProgress", int(final.percent * share), moved, None))
    steps.append(final)
    return steps


# -- the run --------------------------------------------------------------------------------


def generate(
    *,
    projects: int,
    milestones: int,
    transactions: int,
    updates: int | None = None,
    seed: int = 1,
    progress=None,
) -> Counts:
    """Write a synthetic portfolio into a database that holds no project yet; commit it.

    :param milestones: total milestones, spread unevenly over the projects.
    :param transactions: total transactions, spread the same way.
    :param updates: milestone progress reports (each leaves two events); by
        default about 0.3 per record, for some 1.6 events per record.
    :param progress: called with a line of text about every 10 % of the run.
    :raises NotEmptyError: when the database already holds projects.
    """
    started = time.perf_counter()
    progress = progress or (lambda _line: None)
    session = db.session
    if session.scalar(sa.select(sa.exists().where(Project.id.isnot(None)))):
        raise NotEmptyError(
            "The database already holds projects: generate writes only into a database "
            "without any (run it on a freshly migrated database)."
        )
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    day = today()
    plans = _plan_projects(rng, projects, day)
    size = [float(p.budget) ** 0.5 for p in plans]
    for plan, count in zip(
        plans,
        _spread(
            milestones,
            [
                s * MILESTONE_WEIGHT[p.status] * rng.uniform(0.3, 1.7)
                for p, s in zip(plans, size, strict=True)
            ],
        ),
        strict=True,
    ):
        plan.milestones = count
    for plan, count in zip(
        plans,
        _spread(
            transactions,
            [
                s * TRANSACTION_WEIGHT[p.status] * rng.uniform(0.2, 1.8)
                for p, s in zip(plans, size, strict=True)
            ],
        ),
        strict=True,
    ):
        plan.transactions = count

    # Progress reports go to milestones that have progressed: count those first.
    progressing = [sum(_progressing(r) for r in _milestone_plan(plan, seed, day)) for plan in plans]
    if updates is None:
        estimate = projects * 11.5 + milestones * 1.95 + transactions  # records, roughly
        updates = int(estimate * UPDATES_PER_RECORD)
    total_progressing = sum(progressing)
    if not total_progressing:
        updates = 0
    reports = [0] * total_progressing
    if updates:
        base, extra = divmod(updates, total_progressing)
        reports = [base] * total_progressing
        weights = [rng.expovariate(1.0) for _ in range(total_progressing)]
        cumulative = list(accumulate(weights))
        top = cumulative[-1]
        for _ in range(extra):
            reports[min(bisect(cumulative, rng.random() * top), total_progressing - 1)] += 1
    position = 0
    for plan, count in zip(plans, progressing, strict=True):
        plan.reports = reports[position : position + count]
        position += count

    writer = _Writer(session, capture.current_actor(session))
    writer.register(
        Party,
        Project,
        Contract,
        ContractParty,
        Amendment,
        BudgetLine,
        Milestone,
        MilestoneBaseline,
        MilestoneUpdate,
        Transaction,
    )
    counts = Counts()
    pools = _parties(writer, rng, plans, counts)
    mark = 10
    try:
        for plan in plans:
            _project(writer, rng, plan, pools, seed, day, counts)
            percent = (plan.index + 1) * 100 // projects
            if mark <= percent < 100:
                progress(
                    f"{mark}%: {plan.index + 1:,} of {projects:,} projects, "
                    f"{writer.event_count:,} events, {time.perf_counter() - started:.0f} s"
                )
                mark = percent // 10 * 10 + 10
        writer.finish()
    except BaseException:
        # Let the chunk being written end before the transaction is rolled back.
        if writer.pending is not None:
            writer.pending.join()
        session.rollback()
        raise
    session.commit()
    if writer.postgres:
        # Fresh planner statistics: the first queries after a bulk load would
        # otherwise plan with none.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in writer.tables.values():
                conn.execute(sa.text(f'ANALYZE "{table.table.name}"'))
            conn.execute(sa.text('ANALYZE "audit_events"'))
    counts.events = writer.event_count
    counts.seconds = time.perf_counter() - started
    return counts


@dataclass
class _Pools:
    authorities: dict  # ministry index -> party id; 9 -> {place name: municipality id}
    lenders: list
    investors: list
    contractors: list
    spvs: dict  # plan index -> party id


def _parties(writer: _Writer, rng: random.Random, plans, counts: Counts) -> _Pools:
    def party(name, roles, country, locality=None, scheme=None, ident=None) -> int:
        counts.parties += 1
        return writer.create(
            Party,
            {
                "name": name,
                "roles": roles,
                "country": country,
                "locality": locality,
                "identifier_scheme": scheme,
                "identifier_id": ident,
            },
        )["id"]

    authorities = {}
    for i, name in enumerate(AUTHORITIES):
        if name is not None:
            authorities[i] = party(name, ["publicAuthority", "buyer"], "PT", "Lisboa")
    authorities[9] = {
        place: party(
            f"Municipality of {place}", ["publicAuthority", "procuringEntity"], "PT", place
        )
        for place, *_ in PLACES
    }
    lenders = [party(name, roles, country) for name, roles, country in LENDERS]
    investors = [party(name, ["equityInvestor"], country) for name, country in INVESTORS]
    contractors = [party(name, ["supplier"], country) for name, country in CONTRACTORS]
    spvs, names = {}, {}
    for plan in plans:
        if not plan.signed:
            continue
        place = plan.place[0]
        asset = SECTORS[plan.sector][3][plan.index % len(SECTORS[plan.sector][3])]
        name = f"{place} {asset} {rng.choice(['Concessões', 'Parceria', 'Infraestruturas'])}"
        names[name] = names.get(name, 0) + 1
        suffix = f" {names[name]}" if names[name] > 1 else ""
        spvs[plan.index] = party(
            f"{name}{suffix}, S.A.",
            ["privateParty", "supplier"],
            "PT",
            place,
            "PT-NIPC",
            str(500_000_000 + plan.index * 7 + 3),
        )
    return _Pools(authorities, lenders, investors, contractors, spvs)


def _project(writer, rng, plan: _Plan, pools: _Pools, seed: int, day: date, counts) -> None:
    _weight, tag, ministry, assets = SECTORS[plan.sector]
    place, slug, lat, lon = plan.place
    asset = assets[plan.index % len(assets)]
    municipal = ministry == 9 or rng.random() < 0.15
    authority = pools.authorities[9][place] if municipal else pools.authorities[ministry]
    spv = pools.spvs.get(plan.index)
    published = rng.random() < 0.85
    code = f"{tag}-{slug}-{plan.index + 1:05d}"
    project = writer.create(
        Project,
        {
            "code": code,
            "title": f"{place} {asset}"
            + (f" (phase {plan.index % 3 + 1})" if plan.index % 4 == 0 else ""),
            "description": (
                f"A {plan.model} public-private partnership to build and run the {asset.lower()} "
                f"serving {place} and its region."
            ),
            "purpose": f"Better {SECTORS[plan.sector][3][0].lower()} services for {place}.",
            "sector": plan.sector,
            "type": _weighted(rng, PROJECT_TYPES),
            "status": plan.status,
            "ppp_model": plan.model,
            "location": f"{place}, Portugal",
            "latitude": round(lat + rng.uniform(-0.15, 0.15), 5),
            "longitude": round(lon + rng.uniform(-0.15, 0.15), 5),
            "public_authority_id": authority,
            "private_party_id": spv,
            "currency": plan.currency,
            "budget_amount": plan.budget,
            "planned_start": plan.start,
            "planned_end": plan.end,
            "published": published,
            "published_at": _at(min(plan.start, day) - timedelta(days=rng.randint(1, 400)), 9)
            if published
            else None,
        },
    )
    counts.projects += 1
    pid = project["id"]
    lender = rng.choice(pools.lenders)
    main = _contracts(writer, rng, plan, pid, code, authority, spv, lender, pools, day, counts)
    lines = _budget_lines(writer, rng, plan, pid, lender, counts)
    done = _milestones(writer, rng, plan, pid, main, seed, day, counts)
    _transactions(writer, rng, plan, pid, main, lines, done, authority, spv, pools, day, counts)


def _contracts(writer, rng, plan, pid, code, authority, spv, lender, pools, day, counts):
    """The PPP contract, sometimes a second (independent engineer); return the main one."""
    signed = plan.signed
    tag = code.split("-")[0].upper()
    signature = None
    if signed:
        signature = min(plan.start - timedelta(days=rng.randint(60, 400)), day - timedelta(days=1))
    closed = plan.cancelled_on is not None and signed
    method = _weighted(rng, METHODS)
    government = plan.model in ("availabilityPayment", "DBFO", "DBFOM") or plan.sector in (
        "health",
        "education",
        "governance",
    )
    secret = rng.random() < 0.04
    close_date = signature + timedelta(days=rng.randint(30, 240)) if signature else None
    main = writer.create(
        Contract,
        {
            "project_id": pid,
            "reference": f"{tag}-{(signature or plan.start).year}/{plan.index + 1:05d}",
            "title": f"{plan.model} contract for the {plan.place[0]} {SECTORS[plan.sector][3][0]}"[
                :200
            ],
            "description": "The PPP agreement between the authority and the project company.",
            "nature": ["operation"]
            if plan.model in ("lease", "managementContract")
            else ["design", "construction", "operation"],
            "status": "closed" if closed else "active" if signed else "pre-award",
            "procurement_method": method,
            "number_of_tenderers": 1
            if method == "direct"
            else rng.randint(2, 9)
            if signed
            else None,
            "payment_mechanism": "governmentPays"
            if government
            else rng.choice(["userPays", "userPays", "hybrid"]),
            "signature_date": signature,
            "financial_close_date": close_date if close_date and close_date <= day else None,
            "initial_value": (plan.budget * Decimal(rng.uniform(0.75, 0.95))).quantize(
                Decimal("0.01")
            ),
            "currency": plan.currency,
            "initial_start": plan.start,
            "initial_end": plan.end,
            "confidential": secret,
            "confidential_reason": rng.choice(CONFIDENTIAL_REASONS) if secret else None,
        },
    )
    counts.contracts += 1
    parties = [(authority, "buyer")]
    if signed:
        parties.append((spv, "privateParty"))
        if rng.random() < 0.7:
            parties.append((lender, "lender"))
        if rng.random() < 0.4:
            parties.append((rng.choice(pools.investors), "equityInvestor"))
    for party_id, role in parties:
        writer.create(
            ContractParty,
            {"contract_id": main["id"], "party_id": party_id, "role": role},
            project_id=pid,
        )
        counts.contract_parties += 1
    if signed and rng.random() < 0.12:
        _amendments(writer, rng, main, day, counts)
    if signed and rng.random() < 0.35:
        engineer = rng.choice(pools.contractors)
        second = writer.create(
            Contract,
            {
                "project_id": pid,
                "reference": f"IE-{signature.year}/{plan.index + 1:05d}",
                "title": "Independent engineer services",
                "description": "Supervision of design and construction on behalf of the authority.",
                "nature": ["supervision"],
                "status": "closed" if closed or plan.status == "maintenance" else "active",
                "procurement_method": "selective",
                "number_of_tenderers": rng.randint(3, 6),
                "payment_mechanism": "governmentPays",
                "signature_date": signature,
                "initial_value": (plan.budget * Decimal(rng.uniform(0.005, 0.02))).quantize(
                    Decimal("0.01")
                ),
                "currency": plan.currency,
                "initial_start": plan.start,
                "initial_end": plan.built,
            },
        )
        counts.contracts += 1
        for party_id, role in ((authority, "buyer"), (engineer, "supplier")):
            writer.create(
                ContractParty,
                {"contract_id": second["id"], "party_id": party_id, "role": role},
                project_id=pid,
            )
            counts.contract_parties += 1
    return main if signed else None


def _amendments(writer, rng, contract: dict, day: date, counts) -> None:
    value, start, end = (
        contract["initial_value"],
        contract["initial_start"],
        contract["initial_end"],
    )
    first = contract["signature_date"] + timedelta(days=180)
    if first >= day:
        return
    dates = sorted(
        first + timedelta(days=rng.randint(0, (day - first).days)) for _ in range(rng.randint(1, 3))
    )
    for number, amended_on in enumerate(dates, start=1):
        kind = rng.choice(["value", "duration", "scope"])
        secret = rng.random() < 0.1
        row = {
            "contract_id": contract["id"],
            "project_id": contract["project_id"],
            "number": number,
            "amended_on": amended_on,
            "type": kind,
            "rationale": rng.choice(RATIONALES),
            "description": "",
            "approved_by": rng.choice(APPROVERS),
            "approved_on": amended_on,
            "confidential": secret,
            "confidential_reason": rng.choice(CONFIDENTIAL_REASONS) if secret else None,
        }
        if kind == "value":
            new = (value * Decimal(rng.uniform(1.02, 1.15))).quantize(Decimal("0.01"))
            row.update(old_value=value, new_value=new)
            value = new
        elif kind == "duration":
            new_end = end + timedelta(days=rng.randint(90, 730))
            row.update(old_start=start, new_start=start, old_end=end, new_end=new_end)
            end = new_end
        else:
            row["description"] = "Additional works: access roads and utility diversions."
        writer.create(Amendment, row)
        counts.amendments += 1


def _budget_lines(writer, rng, plan: _Plan, pid: int, lender: int, counts) -> list[tuple]:
    """Budget lines adding up to the budget; return ``(id, share, category)``."""
    specs = [("CAP-01", "Design and construction", "capex", 0.70, plan.start, plan.built)]
    if rng.random() < 0.6:
        specs.append(("LND-01", "Land and expropriations", "land", 0.05, plan.start, plan.built))
    specs.append(
        (
            "SUP-01",
            "Supervision and independent engineer",
            "supervision",
            0.03,
            plan.start,
            plan.built,
        )
    )
    if rng.random() < 0.5:
        specs.append(("FIN-01", "Financing costs", "financing", 0.08, plan.start, plan.end))
    if plan.status in ("maintenance", "completion") or rng.random() < 0.5:
        specs.append(("OPX-01", "Operation and maintenance", "opex", 0.12, plan.built, plan.end))
    specs.append(("CON-01", "Contingency", "contingency", 0.05, plan.start, plan.end))
    total = sum(s[3] for s in specs)
    budget_cents = int(plan.budget * 100)
    left = budget_cents
    lines = []
    for i, (code, name, category, share, start, end) in enumerate(specs):
        cents = left if i == len(specs) - 1 else int(budget_cents * share / total)
        left -= cents
        row = writer.create(
            BudgetLine,
            {
                "project_id": pid,
                "code": code,
                "name": name,
                "category": category,
                "funding_source_id": lender
                if category in ("capex", "financing") and rng.random() < 0.5
                else None,
                "planned_amount": Decimal(cents).scaleb(-2),
                "start_date": start,
                "end_date": end,
            },
        )
        counts.budget_lines += 1
        lines.append((row["id"], share / total, category))
    return lines


def _milestones(
    writer, rng, plan: _Plan, pid: int, main, seed: int, day: date, counts
) -> list[int]:
    """Write the milestones, their first baselines and progress reports; return those met."""
    rows = _milestone_plan(plan, seed, day)
    reports = iter(plan.reports)
    met = []
    now = writer.now
    for row in rows:
        count = next(reports) if _progressing(row) else 0
        row["project_id"] = pid
        row["contract_id"] = main["id"] if main and row["type"] == "delivery" else None
        steps = _steps(row, count, rng) if count else []
        state = ("status", "percent_complete", "forecast_date", "actual_date")
        initial = dict(zip(state, ("scheduled", 0, row["baseline_date"], None), strict=True))
        changed = 0
        before = initial
        for step in steps:
            after = dict(
                zip(state, (step.status, step.percent, step.forecast, step.actual), strict=True)
            )
            changed += after != before
            before = after
        row["version"] = 1 + changed
        milestone = writer.create(Milestone, row, logged=initial if steps else None)
        counts.milestones += 1
        if row["status"] == "met":
            met.append(milestone["id"])
        if row["approved_at"] is not None:
            writer.create(
                MilestoneBaseline,
                {
                    "milestone_id": milestone["id"],
                    "project_id": pid,
                    "baseline_date": row["baseline_date"],
                    "set_at": row["approved_at"],
                },
            )
            counts.baselines += 1
        if not steps:
            continue
        last = min(row["actual_date"] or day, day)
        first = min(row["forecast_date"] - timedelta(days=180), last - timedelta(days=30))
        before = initial
        for i, step in enumerate(steps, start=1):
            reported = first + timedelta(days=max(0, (last - first).days) * i // len(steps))
            reported_at = min(_at(reported, 9 + i % 8, rng.randint(0, 59)), now)
            writer.create(
                MilestoneUpdate,
                {
                    "milestone_id": milestone["id"],
                    "project_id": pid,
                    "status": step.status,
                    "percent_complete": step.percent,
                    "forecast_date": step.forecast,
                    "actual_date": step.actual,
                    "note": rng.choice(NOTES),
                    "reported_at": reported_at,
                },
            )
            counts.updates += 1
            after = dict(
                zip(state, (step.status, step.percent, step.forecast, step.actual), strict=True)
            )
            writer.update(Milestone, milestone, before, after)
            before = after
    return met


def _transactions(
    writer, rng, plan, pid, main, lines, met, authority, spv, pools, day, counts
) -> None:
    n = plan.transactions
    if not n:
        return
    if plan.signed:
        first = plan.start - timedelta(days=365)
        last = min(day, plan.cancelled_on or day)
    else:
        first, last = day - timedelta(days=730), day
    first = min(first, last)
    span = (last - first).days
    if plan.status == "implementation":
        spent = 0.9 * min(
            1.0, max(0.05, (day - plan.start).days / max(1, (plan.built - plan.start).days))
        )
    else:
        spent = {
            "maintenance": 1.05,
            "completion": 0.97,
            "preparation": 0.01,
            "identification": 0.004,
        }.get(plan.status, 0.15)
    budget_cents = int(plan.budget * 100)
    kinds = rng.choices(["commitment", "payment", "receipt"], weights=[8, 84, 8], k=n)
    n_pay = kinds.count("payment") or 1
    n_commit = kinds.count("commitment") or 1
    n_receipt = kinds.count("receipt") or 1
    pay_mean = budget_cents * spent / n_pay
    commit_mean = budget_cents * 0.85 / n_commit
    receipt_mean = budget_cents * 0.005 / n_receipt
    days = sorted(rng.randint(0, span) for _ in range(n))
    shares = [share for _id, share, _cat in lines]
    cumulative = list(accumulate(shares))
    payee = spv or rng.choice(pools.contractors)
    foreign = {"EUR": "USD", "USD": "EUR", "GBP": "EUR"}[plan.currency]
    foreign_rate = RATES[(plan.currency, foreign)]
    prefix = plan.index + 1
    for i, (kind, offset) in enumerate(zip(kinds, days, strict=True), start=1):
        if kind == "commitment":
            offset = offset // 6  # commitments come early
        on = first + timedelta(days=offset)
        line_id = lines[min(bisect(cumulative, rng.random() * cumulative[-1]), len(lines) - 1)][0]
        mean = {"payment": pay_mean, "commitment": commit_mean, "receipt": receipt_mean}[kind]
        amount = _cents(mean * rng.uniform(0.4, 1.6))
        currency, rate, project_amount = plan.currency, Decimal(1), amount
        if kind == "payment" and rng.random() < 0.03:
            currency = foreign
            rate = Decimal(f"{foreign_rate * rng.uniform(0.95, 1.05):.6f}")
            amount = _cents(int(amount * 100) / float(rate))
            project_amount = money.convert(amount, rate)
        if kind == "receipt":
            payer, payee_id = spv, authority
            description = f"Concession fee {on.year}" if spv else f"Refund of advance {i}"
            reference = f"RC-{prefix:05d}-{i:05d}"
        elif kind == "commitment":
            payer, payee_id = authority, payee
            description = "Commitment under the PPP contract"
            reference = f"CM-{prefix:05d}-{i:05d}"
        else:
            payer, payee_id = authority, payee
            if plan.status == "maintenance" and on > plan.built:
                description = f"Availability payment {on.month:02d}/{on.year}"
            else:
                description = f"Payment certificate no. {i}"
            reference = f"PC-{prefix:05d}-{i:05d}"
        writer.create(
            Transaction,
            {
                "project_id": pid,
                "budget_line_id": line_id,
                "contract_id": main["id"] if main and rng.random() < 0.65 else None,
                "milestone_id": rng.choice(met)
                if met and kind == "payment" and rng.random() < 0.08
                else None,
                "kind": kind,
                "transaction_date": on,
                "amount": amount,
                "currency": currency,
                "rate": rate,
                "project_amount": project_amount,
                "payer_id": payer,
                "payee_id": payee_id,
                "reference": reference,
                "description": description,
            },
        )
        counts.transactions += 1


def print_progress(line: str) -> None:
    """Progress to stderr, so stdout keeps only the summary."""
    print(line, file=sys.stderr, flush=True)
