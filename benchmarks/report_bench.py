"""Benchmark the PDF reports: build times, the portfolio's peak memory, and cached serving.

Usage::

    .venv/bin/python benchmarks/report_bench.py [--projects 1000] [--runs 5] [--duration 10]

Everything happens in a temporary directory (a SQLite database and an
instance folder); nothing touches ``instance/``. ``--database-url`` runs it on
PostgreSQL instead: that database is emptied and rebuilt. Steps:

1. One project with 100 milestones, 2,000 transactions and 20 amendments
   (5 of them confidential), written through the models with the audit
   listeners on. Median of ``--runs`` of ``project_data.assemble`` and
   ``project_report.render`` (target: under 1 s together), and of
   ``signing.sign`` on the result with a throwaway RSA-2048 certificate.
2. Published projects up to ``--projects`` in all, each with 3 milestones,
   3 budget lines, 5 transactions and a contract. ``portfolio_data.assemble``
   and ``portfolio_report.render`` run in a child process (median of
   ``--runs``; target under 10 s). Peak memory is that child's peak resident
   set size, read with ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after
   it exits (the whole process: interpreter, app and data; target under
   300 MB); a second child reports ``tracemalloc``'s peak of one build (Python
   allocations only) for comparison.
3. gunicorn (``-w 2``) serves the app from a WSGI module written to the
   temporary directory, which adds a bare ``/__bare`` route for this run only
   (production has no such route). ``wrk -t2 -c32 -d10s --latency`` against
   it, then against ``/projects/<code>/report.pdf`` (requested once first, so
   it is cached and signed), then the same with ``If-None-Match`` (304), then
   the bare route again; the bare figure is the mean of its two runs. Target:
   the cached report at least half the bare route's requests/s.

One table at the end. ``--skip-http`` leaves out step 3.
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `config` and `pptracker` when run as a script

from results_table import Table  # noqa: E402

from pptracker import create_app  # noqa: E402
from pptracker.budgets.models import BudgetCategory, BudgetLine, Transaction, TransactionKind  # noqa: E402
from pptracker.contracts.models import (  # noqa: E402
    Amendment,
    AmendmentType,
    Contract,
    ContractStatus,
    PaymentMechanism,
)
from pptracker.extensions import db  # noqa: E402
from pptracker.milestones.models import Milestone, MilestoneStatus  # noqa: E402
from pptracker.projects.models import Party, Project  # noqa: E402

BENCH_AUDIT_KEY = "report-bench-audit-key-not-secret"  # noqa: S105 - a throwaway key
BENCH_SECRET_KEY = "report-bench-secret-key-not-secret"  # noqa: S105
BIG_CODE = "bench-big-project"
SECTORS = ["transport.road", "health", "education", "energy.solar", "waterAndWaste"]
STATUSES = ["preparation", "implementation", "completion", "maintenance"]
MODELS = ["BOT", "DBFOM", "DBFO", "BOOT"]
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "GBP"]
TARGETS = {"project": 1.0, "portfolio": 10.0, "memory": 300.0, "ratio": 0.5}


# -- results ------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def _app(tmp: Path, url: str, **settings):
    settings.setdefault("REPORT_SIGNING_KEY", None)
    settings.setdefault("REPORT_SIGNING_CERT", None)
    settings.setdefault("REPORT_SIGNING_PASSPHRASE", None)
    return create_app(
        "default",
        instance_path=str(tmp / "instance"),
        SQLALCHEMY_DATABASE_URI=url,
        AUDIT_KEY=BENCH_AUDIT_KEY,
        SECRET_KEY=BENCH_SECRET_KEY,
        PUBLIC_BASE_URL="https://pptracker.example.org",
        **settings,
    )


# -- data -----------------------------------------------------------------------------


def _cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _parties():
    authority = Party(name="Ministry of Benchmarks", roles=["publicAuthority"], country="GR")
    private = Party(name="Бенчмарк Concessions S.A.", roles=["privateParty"], country="GR")
    lender = Party(name="Development Bank", roles=["lender"], country="LU")
    db.session.add_all([authority, private, lender])
    db.session.flush()
    return authority, private, lender


def _project(code: str, n: int, authority, private, *, budget: Decimal) -> Project:
    return Project(
        code=code,
        title=f"Benchmark project {n:04d} — Οδικός άξονας {n}",
        description="A synthetic project for the report benchmark.",
        sector=SECTORS[n % len(SECTORS)],
        type="construction",
        status=STATUSES[n % len(STATUSES)],
        ppp_model=MODELS[n % len(MODELS)],
        location=f"Region {n % 13}",
        public_authority_id=authority.id,
        private_party_id=private.id,
        currency=CURRENCIES[n % len(CURRENCIES)],
        budget_amount=budget,
        planned_start=date(2019, 1, 1),
        planned_end=date(2031, 12, 31),
        published=True,
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def _contract(project: Project, *, value: Decimal) -> Contract:
    return Contract(
        project_id=project.id,
        reference=f"{project.code[:12].upper()}-C1",
        title=f"Concession agreement of {project.code}",
        status=ContractStatus.ACTIVE,
        payment_mechanism=PaymentMechanism.GOVERNMENT_PAYS,
        signature_date=date(2019, 3, 1),
        financial_close_date=date(2019, 6, 28),
        initial_value=value,
        currency=project.currency,
        initial_start=date(2019, 4, 1),
        initial_end=date(2049, 3, 31),
    )


def _milestones(project: Project, contract: Contract, count: int, rng: random.Random) -> list:
    today = date.today()
    rows = []
    for i in range(count):
        baseline = date(2019, 6, 1) + timedelta(days=int(i * 4300 / max(count, 1)))
        slip = rng.choice([0, 0, 0, 14, 30, 90, 180, -10])
        forecast = baseline + timedelta(days=slip)
        done = forecast < today - timedelta(days=30)
        rows.append(
            Milestone(
                project_id=project.id,
                contract_id=contract.id,
                title=f"Milestone {i + 1}: section {i + 1} works — этап {i + 1}",
                type=rng.choice(["delivery", "financing", "payment", "approval"]),
                baseline_date=baseline,
                forecast_date=forecast,
                actual_date=forecast if done else None,
                status=MilestoneStatus.MET
                if done
                else rng.choice([MilestoneStatus.SCHEDULED, MilestoneStatus.IN_PROGRESS]),
                percent_complete=100 if done else rng.choice([0, 10, 40, 75]),
                weight=rng.choice([1, 1, 2, 3]),
                planned_value=_cents(rng.randint(100_000, 5_000_000)),
                approved_at=datetime(2019, 5, 1, tzinfo=UTC),
            )
        )
    return rows


def _budget_lines(project: Project, count: int) -> list[BudgetLine]:
    categories = list(BudgetCategory)
    share = project.budget_amount / count
    return [
        BudgetLine(
            project_id=project.id,
            code=f"L-{i + 1:02d}",
            name=f"Budget line {i + 1}",
            category=categories[i % len(categories)],
            planned_amount=_cents(share),
            start_date=date(2019, 1, 1),
            end_date=date(2031, 12, 31),
        )
        for i in range(count)
    ]


def _transactions(project, contract, lines, milestones, count, payer, payee, rng) -> list:
    kinds = [TransactionKind.PAYMENT] * 7 + [TransactionKind.COMMITMENT] * 2
    kinds.append(TransactionKind.RECEIPT)
    rows = []
    for i in range(count):
        amount = _cents(rng.randint(1_000, 250_000))
        rows.append(
            Transaction(
                project_id=project.id,
                budget_line_id=lines[i % len(lines)].id,
                contract_id=contract.id,
                milestone_id=milestones[i % len(milestones)].id if i % 3 == 0 else None,
                kind=kinds[i % len(kinds)],
                transaction_date=date(2019, 7, 1) + timedelta(days=(i * 7) % 2200),
                amount=amount,
                currency=project.currency,
                rate=Decimal("1"),
                project_amount=amount,
                payer_id=payer.id,
                payee_id=payee.id,
                reference=f"INV-{i:05d}",
                description=f"Payment certificate {i + 1}",
            )
        )
    return rows


def _amendments(contract: Contract, count: int) -> list[Amendment]:
    rows = []
    value = contract.initial_value
    end = contract.initial_end
    for i in range(count):
        kind = [AmendmentType.VALUE, AmendmentType.DURATION, AmendmentType.SCOPE][i % 3]
        row = Amendment(
            contract_id=contract.id,
            project_id=contract.project_id,
            number=i + 1,
            amended_on=date(2020, 1, 15) + timedelta(days=60 * i),
            type=kind,
            rationale=f"Amendment {i + 1}: unforeseen ground conditions <b>& design change</b>",
            description=f"Scope change {i + 1}" if kind == AmendmentType.SCOPE else "",
            approved_by="Council of Ministers",
            approved_on=date(2020, 1, 10) + timedelta(days=60 * i),
            confidential=i % 4 == 3,
            confidential_reason="Commercially sensitive" if i % 4 == 3 else None,
        )
        if kind == AmendmentType.VALUE:
            row.old_value, value = value, _cents(value * Decimal("1.03"))
            row.new_value = value
        elif kind == AmendmentType.DURATION:
            row.old_start = row.new_start = contract.initial_start
            row.old_end, end = end, end + timedelta(days=180)
            row.new_end = end
        rows.append(row)
    return rows


def build_big_project(app, *, milestones: int, transactions: int, amendments: int) -> str:
    rng = random.Random(8)
    with app.app_context():
        authority, private, lender = _parties()
        project = _project(BIG_CODE, 0, authority, private, budget=Decimal("900000000.00"))
        db.session.add(project)
        db.session.flush()
        contract = _contract(project, value=Decimal("850000000.00"))
        db.session.add(contract)
        db.session.flush()
        rows = _milestones(project, contract, milestones, rng)
        lines = _budget_lines(project, 12)
        db.session.add_all(rows + lines + _amendments(contract, amendments))
        db.session.flush()
        db.session.add_all(
            _transactions(project, contract, lines, rows, transactions, authority, private, rng)
        )
        db.session.commit()
    return BIG_CODE


def build_portfolio(app, count: int, batch: int = 100) -> None:
    rng = random.Random(1000)
    with app.app_context():
        authority = db.session.scalar(db.select(Party).where(Party.name.like("Ministry%")))
        private = db.session.scalar(db.select(Party).where(Party.name.like("Бенчмарк%")))
        existing = db.session.scalar(db.select(db.func.count(Project.id)))
        for start in range(existing, count, batch):
            projects = [
                _project(
                    f"bench-{n:04d}",
                    n,
                    authority,
                    private,
                    budget=_cents(rng.randint(10_000_000, 900_000_000)),
                )
                for n in range(start, min(start + batch, count))
            ]
            db.session.add_all(projects)
            db.session.flush()
            contracts = [_contract(p, value=p.budget_amount) for p in projects]
            db.session.add_all(contracts)
            db.session.flush()
            per_project = []
            for project, contract in zip(projects, contracts, strict=True):
                ms = _milestones(project, contract, 3, rng)
                lines = _budget_lines(project, 3)
                per_project.append((project, contract, ms, lines))
                db.session.add_all(ms + lines)
            db.session.flush()
            for project, contract, ms, lines in per_project:
                db.session.add_all(
                    _transactions(project, contract, lines, ms, 5, authority, private, rng)
                )
            db.session.commit()


# -- timing ---------------------------------------------------------------------------


def _median_runs(runs: int, fn) -> tuple[list[float], list[float], object]:
    """Run ``fn() -> (assemble seconds, render seconds, result)`` ``runs`` times."""
    assembles, renders, result = [], [], None
    for _ in range(runs):
        a, r, result = fn()
        assembles.append(a)
        renders.append(r)
    return assembles, renders, result


def time_project(app, code: str, runs: int):
    from pptracker.projects.queries import get_project
    from pptracker.reports import project_data, project_report, version

    def once():
        with app.app_context():
            project = get_project(code)
            v = version.current()
            start = time.perf_counter()
            data = project_data.assemble(project, v, base_url=app.config["PUBLIC_BASE_URL"])
            middle = time.perf_counter()
            pdf = project_report.render(data)
            return middle - start, time.perf_counter() - middle, (pdf, v)

    return _median_runs(runs, once)


def time_portfolio(app, runs: int):
    from pptracker.reports import portfolio_data, portfolio_report, version

    def once():
        with app.app_context():
            v = version.current()
            start = time.perf_counter()
            data = portfolio_data.assemble(v, base_url=app.config["PUBLIC_BASE_URL"])
            middle = time.perf_counter()
            pdf = portfolio_report.render(data)
            return middle - start, time.perf_counter() - middle, (pdf, len(data.rows))

    return _median_runs(runs, once)


def child_portfolio(args) -> None:
    """In a child process: time the portfolio report, print the result as JSON."""
    tmp = Path(args.tmp)
    app = _app(tmp, args.database_url)
    if args.child == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        _, _, (pdf, rows) = time_portfolio(app, 1)
        _, peak = tracemalloc.get_traced_memory()
        print(json.dumps({"peak": peak, "bytes": len(pdf), "rows": rows}))
        return
    assembles, renders, (pdf, rows) = time_portfolio(app, args.runs)
    totals = [a + r for a, r in zip(assembles, renders, strict=True)]
    print(
        json.dumps(
            {
                "assemble": statistics.median(assembles),
                "render": statistics.median(renders),
                "total": statistics.median(totals),
                "first": totals[0],
                "bytes": len(pdf),
                "rows": rows,
            }
        )
    )


def _child(args, tmp: Path, url: str, kind: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--tmp",
        str(tmp),
        "--database-url",
        url,
        "--runs",
        str(args.runs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"the {kind} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- signing --------------------------------------------------------------------------


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed RSA-2048 certificate and its key; return their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pptracker report bench")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "bench-key.pem", folder / "bench-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def time_signing(app, pdf: bytes, version, runs: int) -> list[float]:
    from pptracker.reports import signing

    seconds = []
    with app.app_context():
        signing.check()  # loads the signer once, as a worker would
        for _ in range(runs):
            start = time.perf_counter()
            signing.sign(pdf, signed_at=version.at, reason="report benchmark")
            seconds.append(time.perf_counter() - start)
    return seconds


# -- serving --------------------------------------------------------------------------

WSGI_MODULE = '''\
"""The app as gunicorn serves it, plus a bare route for the report benchmark only."""

import os

from pptracker import create_app
from pptracker.permissions import public

app = create_app(
    "default",
    instance_path=os.environ["BENCH_INSTANCE"],
    SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"],
    AUDIT_KEY=os.environ["BENCH_AUDIT_KEY"],
    SECRET_KEY=os.environ["BENCH_SECRET_KEY"],
    PUBLIC_BASE_URL="https://pptracker.example.org",
    REPORT_SIGNING_KEY=os.environ.get("BENCH_SIGNING_KEY"),
    REPORT_SIGNING_CERT=os.environ.get("BENCH_SIGNING_CERT"),
    REPORT_SIGNING_PASSPHRASE=None,
)


@app.get("/__bare")
@public
def bare():
    return "ok"
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - our own server
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def _wrk(url: str, duration: int, headers: dict | None = None) -> dict:
    command = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    result = {"non2xx": 0, "errors": ""}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "99%"):
            result[words[0]] = _ms(words[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            result["non2xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            result["errors"] = line.strip()
    return result


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def bench_http(tmp: Path, url: str, code: str, duration: int, signing_files, table) -> None:
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists() or not shutil.which("wrk"):
        table.add("HTTP", "skipped", "", "gunicorn or wrk is missing")
        return
    (tmp / "bench_wsgi.py").write_text(WSGI_MODULE)
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp}",
        "BENCH_INSTANCE": str(tmp / "instance"),
        "BENCH_DATABASE_URL": url,
        "BENCH_AUDIT_KEY": BENCH_AUDIT_KEY,
        "BENCH_SECRET_KEY": BENCH_SECRET_KEY,
    }
    if signing_files:
        env["BENCH_SIGNING_KEY"], env["BENCH_SIGNING_CERT"] = map(str, signing_files)
    command = [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(  # noqa: S603
        [*command, "bench_wsgi:app"], cwd=tmp, env=env, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/__bare")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("gunicorn did not start")
                time.sleep(0.2)
        report = f"{base}/projects/{code}/report.pdf"
        start = time.perf_counter()
        status, headers, body = _get(report)  # builds, signs and caches it
        first = time.perf_counter() - start
        assert status == 200 and body.startswith(b"%PDF"), (status, body[:40])
        signed = b"/ETSI.CAdES.detached" in body
        table.add(
            "first request of the report (build + sign + cache)",
            first,
            "s",
            f"{len(body):,} bytes, {'signed' if signed else 'unsigned'}",
        )
        etag = headers["ETag"]
        print(f"\n[3] wrk -t2 -c32 -d{duration}s --latency, gunicorn -w 2", flush=True)
        # The bare route before and after the report, so a machine that gets
        # busier (or quieter) during the run does not favour either side.
        before = _wrk(f"{base}/__bare", duration)
        cached = _wrk(report, duration)
        not_modified = _wrk(report, duration, {"If-None-Match": etag})
        after = _wrk(f"{base}/__bare", duration)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    bare = {
        "rps": (before["rps"] + after["rps"]) / 2,
        "50%": (before["50%"] + after["50%"]) / 2,
        "99%": (before["99%"] + after["99%"]) / 2,
        "non2xx": before["non2xx"] + after["non2xx"],
        "errors": before["errors"] or after["errors"],
    }
    table.add(
        "bare route, runs before / after",
        f"{before['rps']:,.0f} / {after['rps']:,.0f}",
        "req/s",
        "the mean of the two is the reference below",
    )
    for label, result in (
        ("bare Flask route /__bare", bare),
        ("cached report.pdf (200, full body)", cached),
        ("cached report.pdf, If-None-Match (304)", not_modified),
    ):
        ratio = result["rps"] / bare["rps"]
        note = f"p50 {result['50%']:.2f} ms, p99 {result['99%']:.2f} ms"
        if result is not bare:
            target = f"(target ≥ {TARGETS['ratio']:.1f}: {verdict(ratio >= TARGETS['ratio'])})"
            note += f", {ratio:.2f} × bare {target if result is cached else ''}".rstrip()
        if result["non2xx"]:
            note += f", {result['non2xx']} non-2xx/3xx"
        if result["errors"]:
            note += f", {result['errors']}"
        table.add(label, result["rps"], "req/s", note)


# -- main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=1_000, help="portfolio size")
    parser.add_argument("--milestones", type=int, default=100)
    parser.add_argument("--transactions", type=int, default=2_000)
    parser.add_argument("--amendments", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5, help="timed builds (the median counts)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--skip-http", action="store_true", help="leave out step 3")
    parser.add_argument("--unsigned", action="store_true", help="no signing certificate")
    parser.add_argument("--child", choices=["portfolio", "tracemalloc"], help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url",
        help="default: a SQLite file in the temporary directory; a PostgreSQL database "
        "is emptied and rebuilt (drop_all/create_all): never one that matters",
    )
    args = parser.parse_args()
    if args.child:
        child_portfolio(args)
        return

    table = Table()
    with tempfile.TemporaryDirectory(prefix="report-bench-") as name:
        tmp = Path(name)
        url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
        signing_files = None if args.unsigned else throwaway_certificate(tmp)
        app = _app(tmp, url)
        with app.app_context():
            url = db.engine.url.render_as_string(hide_password=False)
            shown = db.engine.url.render_as_string(hide_password=True)
            db.drop_all()
            db.create_all()
        print(f"database: {shown}, Python {sys.version.split()[0]}", flush=True)

        print(
            f"\n[1] one project: {args.milestones} milestones, {args.transactions:,} "
            f"transactions, {args.amendments} amendments",
            flush=True,
        )
        start = time.perf_counter()
        code = build_big_project(
            app,
            milestones=args.milestones,
            transactions=args.transactions,
            amendments=args.amendments,
        )
        assembles, renders, (pdf, version) = time_project(app, code, args.runs)
        print(
            f"  written in {time.perf_counter() - start:.1f} s (audited: data version is "
            f"event {version.seq:,})",
            flush=True,
        )
        totals = [a + r for a, r in zip(assembles, renders, strict=True)]
        total = statistics.median(totals)
        table.add("project report: assemble", statistics.median(assembles), "s", "median")
        table.add("project report: render", statistics.median(renders), "s", "median")
        table.add(
            "project report: assemble + render",
            total,
            "s",
            f"median of {args.runs} (first {totals[0]:.3f} s), {len(pdf):,} bytes "
            f"(target < {TARGETS['project']:.0f} s: {verdict(total < TARGETS['project'])})",
        )
        if signing_files:
            signing_app = _app(
                tmp,
                url,
                REPORT_SIGNING_KEY=str(signing_files[0]),
                REPORT_SIGNING_CERT=str(signing_files[1]),
            )
            seconds = time_signing(signing_app, pdf, version, args.runs)
            table.add(
                "project report: PAdES signature (RSA-2048)",
                statistics.median(seconds),
                "s",
                f"median of {args.runs}, once per data version",
            )

        print(f"\n[2] portfolio of {args.projects:,} published projects", flush=True)
        start = time.perf_counter()
        build_portfolio(app, args.projects)
        print(f"  written in {time.perf_counter() - start:.1f} s", flush=True)
        result = _child(args, tmp, url, "portfolio")
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        table.add("portfolio report: assemble", result["assemble"], "s", "median")
        table.add("portfolio report: render", result["render"], "s", "median")
        table.add(
            "portfolio report: assemble + render",
            result["total"],
            "s",
            f"median of {args.runs} (first {result['first']:.3f} s), {result['rows']:,} "
            f"projects, {result['bytes']:,} bytes "
            f"(target < {TARGETS['portfolio']:.0f} s: "
            f"{verdict(result['total'] < TARGETS['portfolio'])})",
        )
        table.add(
            "portfolio report: peak RSS of the child",
            peak_rss_mb,
            "MB",
            f"ru_maxrss, whole process incl. interpreter and app "
            f"(target < {TARGETS['memory']:.0f} MB: {verdict(peak_rss_mb < TARGETS['memory'])})",
        )
        traced = _child(args, tmp, url, "tracemalloc")
        table.add(
            "portfolio report: tracemalloc peak",
            traced["peak"] / 2**20,
            "MB",
            "Python allocations of one assemble + render",
        )

        if not args.skip_http:
            bench_http(tmp, url, code, args.duration, signing_files, table)

    table.print("Report benchmark")


if __name__ == "__main__":
    main()
