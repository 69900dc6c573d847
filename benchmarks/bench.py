"""``make bench``: the scale benchmark of issue 10, one table for SQLite and PostgreSQL.

Usage::

    .venv/bin/python benchmarks/bench.py [--engines sqlite,postgresql] [--quick]
        [--projects 10000 --milestones 200000 --transactions 1000000] [--duration 10]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/pptracker_bench]

For each engine, in a temporary directory (SQLite file, report cache, instance
folder; nothing touches ``instance/``); the PostgreSQL database is dropped and
created again, so never point ``--database-url`` at one that matters:

1. ``flask db upgrade`` and ``flask demo generate`` at 10 projects (same
   milestones and transactions per project as the full scale): SQL statements
   per request (in-process test client, a ``before_cursor_execute`` counter,
   the second request of each page), and the peak memory of a child process
   that streams the whole OC4IDS package.
2. The database emptied, then the same at the full scale; its generation time.
3. gunicorn ``-w 2`` (``benchmarks/bench_wsgi.py``: ``create_app()`` plus a
   bare ``/__bare`` route) and ``wrk -t2 -c32 -d<duration>s --latency`` on the
   bare route (before and after; the reference is their mean), the public
   home, the project list (first and a deep page), a project page and the
   cached project report. The uncached report is the first request of several
   projects' reports, one at a time. The full OC4IDS package is streamed once
   over HTTP (time, size, and the serving worker's peak RSS before and after).
4. Sign-in and a manager's quick milestone update need a CSRF token and a
   session: a Python client (``requests``, 32 threads, one session each) GETs
   the form and POSTs it, timing the POST; the same client measures the bare
   route, so the ratio compares like with like.
5. Report build times in child processes (``report_bench.time_project`` over
   several projects, ``report_bench.time_portfolio``), with each child's peak
   RSS; ``chain.verify()`` over the generated chain, in events per second.

One table at the end, also written to ``benchmarks/last-run.md`` and
``benchmarks/last-run.json``. ``--quick`` is a small scale with short runs.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # `config` and `pptracker` when run as a script
sys.path.insert(0, str(HERE))  # report_bench

import report_bench  # noqa: E402
from report_bench import _free_port, _get  # noqa: E402

from pptracker import create_app  # noqa: E402
from pptracker.extensions import db  # noqa: E402
from pptracker.milestones.models import MilestoneStatus  # noqa: E402

BENCH_SECRET_KEY = "bench-secret-key-not-secret"  # noqa: S105 - a throwaway key
BENCH_AUDIT_KEY = "bench-audit-key-not-secret"  # noqa: S105
MANAGER = "bench-manager@example.org"
MANAGER_PASSWORD = "bench-manager-password-not-secret"  # noqa: S105
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/pptracker_bench"
SMALL = 10  # projects of the small scale the statement counts are compared with
CLIENTS = 32  # wrk -c32, and the Python client's threads
PUBLIC_P99_MS = 100.0
LIST_RATIO = 0.3
OC4IDS_GROWTH_MB = 32.0  # what "constant" allows between 10 and N projects
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "pptracker"]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def log(message: str) -> None:
    print(message, flush=True)


# -- the table --------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    target: str = ""
    cells: dict = field(default_factory=dict)  # engine -> (text, ok or None, raw dict)


class Results:
    """The rows, in the order they are first measured; one cell per engine."""

    def __init__(self, engines: list[str]) -> None:
        self.engines = engines
        self.rows: dict[str, Row] = {}

    def add(self, engine, label, text, *, ok=None, target="", **raw) -> None:
        row = self.rows.setdefault(label, Row(label, target))
        row.target = row.target or target
        mark = "" if ok is None else " OK" if ok else " MISSED"
        row.cells[engine] = (text + mark, ok, raw)
        log(f"  {label}: {text}{mark}")

    def _grid(self) -> list[list[str]]:
        header = ["measure", *self.engines, "target"]
        lines = [header]
        for row in self.rows.values():
            cells = [row.cells.get(e, ("–", None, {}))[0] for e in self.engines]
            lines.append([row.label, *cells, row.target])
        return lines

    def text(self, title: str) -> str:
        grid = self._grid()
        widths = [max(len(line[i]) for line in grid) for i in range(len(grid[0]))]
        out = [title, "=" * len(title)]
        for n, line in enumerate(grid):
            out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)

    def markdown(self, title: str, preamble: str) -> str:
        grid = self._grid()
        out = [f"# {title}", "", preamble, ""]
        out.append("| " + " | ".join(grid[0]) + " |")
        out.append("|" + "---|" * len(grid[0]))
        for line in grid[1:]:
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in line) + " |")
        return "\n".join(out) + "\n"

    def as_json(self) -> dict:
        return {
            label: {
                "target": row.target,
                **{
                    engine: {"text": text, "ok": ok, **raw}
                    for engine, (text, ok, raw) in row.cells.items()
                },
            }
            for label, row in self.rows.items()
        }


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _http_cell(result: dict, bare_rps: float) -> str:
    text = (
        f"{result['rps']:,.0f}/s p50 {_ms(result['50%'])} p99 {_ms(result['99%'])} ms, "
        f"{result['rps'] / bare_rps:.2f}× bare"
    )
    if result.get("non2xx"):
        text += f", {result['non2xx']} non-2xx"
    if result.get("errors"):
        text += f", {result['errors']}"
    return text


# -- databases and subprocesses ----------------------------------------------------------------


def _env(url: str, tmp: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REPORT_SIGNING_", "PPTRACKER_"))
    }
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=BENCH_SECRET_KEY,
        AUDIT_KEY=BENCH_AUDIT_KEY,
        REPORT_CACHE_DIR=str(tmp / "report-cache"),
        DOCUMENTS_DIR=str(tmp / "documents"),
        PPTRACKER_ENV="default",
        BENCH_INSTANCE=str(tmp / "instance"),
        PYTHONPATH=f"{ROOT}{os.pathsep}{HERE}",
    )
    return env


def make_app(url: str, tmp: Path):
    return create_app(
        "default",
        instance_path=str(tmp / "instance"),
        SQLALCHEMY_DATABASE_URI=url,
        SECRET_KEY=BENCH_SECRET_KEY,
        AUDIT_KEY=BENCH_AUDIT_KEY,
        REPORT_CACHE_DIR=str(tmp / "report-cache"),
        DOCUMENTS_DIR=str(tmp / "documents"),
        REPORT_SIGNING_KEY=None,
        REPORT_SIGNING_CERT=None,
        REPORT_SIGNING_PASSPHRASE=None,
    )


def reset_database(url: str) -> None:
    """Empty the benchmark's database: a new SQLite file, or PostgreSQL's dropped and created."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def run(command: list[str], env: dict, what: str) -> str:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def generate(
    url: str, tmp: Path, projects: int, milestones: int, transactions: int, builder: str = "demo"
) -> float:
    """Build the portfolio into an empty database; return the seconds it took."""
    env = _env(url, tmp)
    run([*FLASK, "db", "upgrade"], env, "flask db upgrade")
    start = time.perf_counter()
    if builder == "demo":
        command = [
            *FLASK,
            "demo",
            "generate",
            "--projects",
            str(projects),
            "--milestones",
            str(milestones),
            "--transactions",
            str(transactions),
        ]
        log(f"  $ {' '.join(command[2:])}")
        out = run(command, env, "flask demo generate")
        for line in out.strip().splitlines()[-3:]:
            log(f"    {line}")
    else:
        # report_bench's portfolio (3 milestones and 5 transactions a project,
        # whatever was asked), through the ORM: slow, for trying the bench out.
        log("  report_bench.build_portfolio (3 milestones, 5 transactions a project)")
        app = make_app(url, tmp)
        with app.app_context():
            report_bench._parties()
            db.session.commit()
        report_bench.build_portfolio(app, projects)
        with app.app_context():
            db.engine.dispose()
    return time.perf_counter() - start


@dataclass
class Sample:
    """What the run needs to know about the generated data."""

    codes: list[str]  # published projects, spread over the portfolio
    code: str  # a typical one
    deep_page: int
    projects: int
    milestones: int
    transactions: int
    events: int


def sample(app) -> Sample:
    from pptracker.audit.models import AuditEvent
    from pptracker.budgets.models import Transaction
    from pptracker.milestones.models import Milestone
    from pptracker.portal.queries import published
    from pptracker.projects.models import Project

    with app.app_context():
        codes = db.session.scalars(sa.select(Project.code).where(published()).order_by(Project.id))
        codes = list(codes)
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        per_page = app.config["PROJECTS_PER_PAGE"]
        pages = max(1, -(-len(codes) // per_page))
        spread = [codes[i * len(codes) // 6] for i in range(1, 6)] if len(codes) >= 6 else codes
        result = Sample(
            codes=spread,
            code=codes[len(codes) // 2],
            deep_page=max(1, pages - 1),
            projects=count(Project),
            milestones=count(Milestone),
            transactions=count(Transaction),
            events=count(AuditEvent),
        )
        db.session.remove()
    return result


# -- statements per request --------------------------------------------------------------------


def statement_paths(s: Sample) -> list[tuple[str, str]]:
    return [
        ("/", "/"),
        ("/projects/", "/projects/"),
        ("/projects/?page=<deep>", f"/projects/?page={s.deep_page}"),
        ("/projects/<code>", f"/projects/{s.code}"),
        ("/opendata/", "/opendata/"),
        ("/projects/<code>/oc4ids.json", f"/projects/{s.code}/oc4ids.json"),
    ]


def count_statements(app, s: Sample) -> dict[str, int]:
    """Statements of each page's second request (the first warms the caches), rendered.

    The page cache and the dashboard's memo are off here, so the count is what
    rendering the page costs; served from the page cache, a page costs one.
    """
    counter = [0]

    def count(*_args, **_kwargs):
        counter[0] += 1

    counts = {}
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client = app.test_client()
        for label, path in statement_paths(s):
            for _ in range(2):
                app.config["PUBLIC_PAGE_CACHE_ENTRIES"] = 0
                for key in [k for k in app.extensions if k.startswith("pptracker.memo.")]:
                    del app.extensions[key]
                counter[0] = 0
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            counts[label] = counter[0]
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return counts


# -- child processes (peak memory of one job each) -----------------------------------------------


def _rss_mb(kind: str = "VmRSS", pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(kind + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(args) -> None:
    app = make_app(args.database_url, Path(args.tmp))
    base = _rss_mb()
    out = {}
    if args.child == "oc4ids":
        client = app.test_client()
        assert client.get("/opendata/").status_code == 200
        base = _rss_mb()
        start = time.perf_counter()
        response = client.get("/opendata/oc4ids.json")
        assert response.status_code == 200, response.status_code
        size, marks = 0, []  # (bytes so far, peak RSS so far)
        for n, chunk in enumerate(response.response):
            size += len(chunk)
            if n % 64 == 0:
                marks.append((size, _peak_mb()))
        response.close()
        marks.append((size, _peak_mb()))
        # The peak once a tenth of the package is out: by then every kind of
        # row has been read and a batch held; a constant-memory stream adds
        # nothing after it.
        tenth = next(peak for done, peak in marks if done >= size / 10)
        out = {"seconds": time.perf_counter() - start, "bytes": size, "tenth_mb": tenth}
    elif args.child == "project":
        times = []
        for code in args.codes.split(","):
            assembles, renders, (pdf, _v) = report_bench.time_project(app, code, 1)
            times.append(assembles[0] + renders[0])
        out = {"median": statistics.median(times), "max": max(times), "count": len(times)}
    elif args.child == "portfolio":
        assembles, renders, (pdf, rows) = report_bench.time_portfolio(app, args.runs)
        totals = [a + r for a, r in zip(assembles, renders, strict=True)]
        out = {"median": statistics.median(totals), "rows": rows, "bytes": len(pdf)}
    out["base_mb"] = base
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))


def in_child(kind: str, url: str, tmp: Path, **options) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--tmp", str(tmp)]
    command += ["--database-url", url]
    for name, value in options.items():
        command += [f"--{name}", str(value)]
    out = run(command, _env(url, tmp), f"the {kind} child")
    return json.loads(out.strip().splitlines()[-1])


# -- the Python client: sign-in and milestone updates -------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="version"[^>]*value="([^"]*)"')


def _form_value(pattern, html: str) -> str:
    found = pattern.search(html)
    if not found:
        raise RuntimeError(f"no {pattern.pattern!r} in the form")
    return found.group(1)


def load(base: str, duration: float, setup, step) -> dict:
    """Run ``step(session, state) -> seconds of the timed request`` in CLIENTS threads."""
    import requests

    latencies: list[float] = []
    failures = [0]
    reasons: dict[str, int] = {}
    lock = threading.Lock()
    deadline = [0.0]
    ready = threading.Barrier(CLIENTS + 1)

    def worker(n: int) -> None:
        session = requests.Session()
        try:
            state = setup(session, n)
        except Exception as error:  # noqa: BLE001 - counted, the run goes on
            with lock:
                failures[0] += 1
                reason = f"setup {type(error).__name__}: {error}"[:80]
                reasons[reason] = reasons.get(reason, 0) + 1
            ready.wait()
            return
        ready.wait()
        mine = []
        while time.monotonic() < deadline[0]:
            try:
                mine.append(step(session, state))
            except Exception as error:  # noqa: BLE001
                with lock:
                    failures[0] += 1
                    reason = f"{type(error).__name__}: {error}"[:80]
                    reasons[reason] = reasons.get(reason, 0) + 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + 3600
    ready.wait()
    start = time.monotonic()
    deadline[0] = start + duration
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    errors = "; ".join(f"{n} × {reason}" for reason, n in sorted(reasons.items())[:3])
    if not latencies:
        return {"rps": 0.0, "50%": 0.0, "99%": 0.0, "non2xx": failures[0], "errors": errors}
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "rps": len(latencies) / elapsed,
        "50%": pick(0.50),
        "99%": pick(0.99),
        "non2xx": failures[0],
        "errors": errors,
        "requests": len(latencies),
    }


def bare_step(base: str):
    def step(session, _state):
        start = time.perf_counter()
        response = session.get(f"{base}/__bare", timeout=60)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(response.status_code)
        return elapsed

    return step


def sign_in_step(base: str):
    def step(session, _state):
        session.cookies.clear()
        token = _form_value(_CSRF, session.get(f"{base}/login", timeout=60).text)
        data = {"email": MANAGER, "password": MANAGER_PASSWORD, "csrf_token": token, "next": ""}
        start = time.perf_counter()
        response = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60)
        elapsed = time.perf_counter() - start
        if response.status_code != 302:
            raise RuntimeError(response.status_code)
        return elapsed

    return step


def sign_in(session, base: str) -> None:
    token = _form_value(_CSRF, session.get(f"{base}/login", timeout=60).text)
    data = {"email": MANAGER, "password": MANAGER_PASSWORD, "csrf_token": token, "next": ""}
    response = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in refused: {response.status_code}")


def update_step(base: str, milestone_ids: list[int]):
    forecast = (date.today() + timedelta(days=90)).isoformat()

    def setup(session, n):
        sign_in(session, base)
        return {"id": milestone_ids[n % len(milestone_ids)], "i": 0}

    def step(session, state):
        url = f"{base}/manage/milestones/{state['id']}/update"
        html = session.get(url, timeout=60).text
        state["i"] += 1
        data = {
            "csrf_token": _form_value(_CSRF, html),
            "version": _form_value(_VERSION, html),
            "status": MilestoneStatus.IN_PROGRESS.value,
            "percent_complete": str(state["i"] % 99),
            "forecast_date": forecast,
            "actual_date": "",
            "note": f"Benchmark progress report {state['i']}",
            "evidence_title": "",
            "evidence_type": "physicalProgressReport",
        }
        start = time.perf_counter()
        response = session.post(url, data=data, allow_redirects=False, timeout=60)
        elapsed = time.perf_counter() - start
        if response.status_code != 302:
            raise RuntimeError(response.status_code)
        return elapsed

    return setup, step


def create_manager(app, url: str, tmp: Path, needed: int) -> list[int]:
    """The manager account (``flask users create``), assigned to projects with enough milestones."""
    from pptracker.auth.models import User
    from pptracker.milestones.models import Milestone
    from pptracker.portal.queries import published
    from pptracker.projects.models import Project
    from pptracker.projects.services import assign_managers

    password_file = tmp / "manager-password"
    password_file.write_text(MANAGER_PASSWORD + "\n")
    password_file.chmod(0o600)
    command = [*FLASK, "users", "create", MANAGER, "--role", "manager"]
    run([*command, "--password-file", str(password_file)], _env(url, tmp), "flask users create")
    with app.app_context():
        manager = db.session.scalar(sa.select(User).where(User.email == MANAGER))
        projects = db.session.scalars(
            sa.select(Project).where(published()).order_by(Project.id.desc()).limit(200)
        )
        milestone_ids: list[int] = []
        for project in projects:
            live = db.session.scalars(
                sa.select(Milestone.id)
                .where(Milestone.project_id == project.id, Milestone.is_deleted.is_(False))
                .order_by(Milestone.id)
            ).all()
            if not live:
                continue
            assign_managers(project, [manager.id, *(u.id for u in project.managers)])
            milestone_ids += live
            if len(milestone_ids) >= needed:
                break
        db.session.commit()
        db.session.remove()
    return milestone_ids[:needed]


# -- the HTTP part -------------------------------------------------------------------------------


def _workers(pid: int) -> list[str]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


def bench_http(engine, url, tmp, s: Sample, app, args, results: Results) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(url, tmp)
    command = [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    # A long timeout: a sync worker streaming the whole OC4IDS package does
    # not report to the arbiter meanwhile; the stream's time is in the table.
    command += ["--timeout", "900"]
    server = subprocess.Popen(
        [*command, "bench_wsgi:app"], cwd=HERE, env=env, start_new_session=True
    )
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
        _http_runs(engine, base, server.pid, s, args, results, _many_codes(app))
        milestone_ids = create_manager(app, url, tmp, CLIENTS)
        _client_runs(engine, base, milestone_ids, args, results)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def _p99_ok(result: dict) -> bool:
    return result["rps"] > 0 and result["99%"] < PUBLIC_P99_MS and not result["non2xx"]


def _settle(base: str) -> None:
    """Wait until gunicorn has answered what a finished wrk run left in its listen queue.

    wrk stops, but the requests it had sent are still queued and served; the
    next run would otherwise start against a busy server. A bare request gets
    its answer once those before it are done.
    """
    _get(f"{base}/__bare")
    time.sleep(0.5)
    _get(f"{base}/__bare")


def wrk(base: str, path: str, duration: int, *, script: Path | None = None) -> dict:
    """``wrk -t2 -c32 -d<duration>s --latency --timeout 30s``, parsed as report_bench does.

    wrk's default 2 s timeout would drop the slowest requests from the
    percentiles; 30 s keeps them in. ``script``: a Lua script choosing the requests.
    """
    command = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True)
    result = {"non2xx": 0, "errors": ""}
    for line in out.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "99%"):
            result[words[0]] = report_bench._ms(words[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            result["non2xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            result["errors"] = line.strip()
    _settle(base)
    return result


#: Distinct project pages the "many projects" run cycles through: more than the
#: page cache keeps (PUBLIC_PAGE_CACHE_ENTRIES), so most requests render.
MANY_PAGES = 2000


def wrk_many(base: str, paths: list[str], duration: int) -> dict:
    """``wrk`` as above, each request for the next of ``paths`` (a Lua script)."""
    listed = ",\n".join(f'  "{p}"' for p in paths)
    script = Path(tempfile.mkdtemp()) / "many.lua"
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    return wrk(base, paths[0], duration, script=script)


def _many_codes(app) -> list[str]:
    from pptracker.permissions import project_scope
    from pptracker.projects.models import Project

    with app.app_context():
        codes = db.session.scalars(
            sa.select(Project.code).where(project_scope(None)).order_by(Project.id)
        ).all()
        db.session.remove()
    step = max(1, len(codes) // MANY_PAGES)
    return codes[::step][:MANY_PAGES]


def _http_runs(engine, base, pid, s: Sample, args, results: Results, many: list[str]) -> None:
    pages = [
        ("public home /", "/"),
        ("project list /projects/", "/projects/"),
        (f"project list, deep page ?page={s.deep_page}", f"/projects/?page={s.deep_page}"),
        ("project page /projects/<code>", f"/projects/{s.code}"),
    ]
    report = f"/projects/{s.code}/report.pdf"
    for _label, path in pages:
        for _ in range(4):  # both workers: templates compiled, caches filled
            status, _h, _b = _get(base + path)
            assert status == 200, (path, status)

    log("  uncached project reports over HTTP (first request: build + cache)")
    firsts = []
    for code in [s.code, *s.codes]:
        start = time.perf_counter()
        status, _h, body = _get(f"{base}/projects/{code}/report.pdf")
        firsts.append(time.perf_counter() - start)
        assert status == 200 and body.startswith(b"%PDF"), (code, status)
    results.add(
        engine,
        "project report, uncached: first request (build + cache)",
        f"median {statistics.median(firsts):.2f} s, max {max(firsts):.2f} s "
        f"({len(firsts)} projects, one at a time)",
        seconds=firsts,
    )

    log(f"  wrk -t2 -c{CLIENTS} -d{args.duration}s --latency, gunicorn -w 2")
    before = wrk(base, "/__bare", args.duration)
    measured = [(label, path, wrk(base, path, args.duration)) for label, path in pages]
    cached = wrk(base, report, args.duration)
    spread = wrk_many(base, [f"/projects/{code}" for code in many], args.duration)
    after = wrk(base, "/__bare", args.duration)
    bare = {key: (before[key] + after[key]) / 2 for key in ("rps", "50%", "99%")} | {
        "non2xx": before["non2xx"] + after["non2xx"],
        "errors": before["errors"],
    }
    results.add(
        engine,
        "bare Flask route /__bare (wrk)",
        f"{bare['rps']:,.0f}/s p50 {bare['50%']:.1f} p99 {bare['99%']:.1f} ms "
        f"(runs {before['rps']:,.0f} / {after['rps']:,.0f})",
        target="reference",
        **bare,
    )
    for label, path, result in measured:
        ok, target = None, f"p99 < {PUBLIC_P99_MS:.0f} ms (PostgreSQL)"
        if engine == "postgresql":
            ok = _p99_ok(result)
        if path == "/projects/":
            target += f"; ≥ {LIST_RATIO} × bare (SQLite)"
            if engine == "sqlite":
                ok = result["rps"] / bare["rps"] >= LIST_RATIO and not result["non2xx"]
        results.add(engine, label, _http_cell(result, bare["rps"]), ok=ok, target=target, **result)
    results.add(
        engine,
        f"project page, {len(many):,} different projects in turn (mostly rendered, not cached)",
        _http_cell(spread, bare["rps"]),
        ok=_p99_ok(spread) if engine == "postgresql" else None,
        target=f"p99 < {PUBLIC_P99_MS:.0f} ms (PostgreSQL)",
        **spread,
    )
    ok = _p99_ok(cached) if engine == "postgresql" else None
    results.add(
        engine,
        "project report, cached /projects/<code>/report.pdf",
        _http_cell(cached, bare["rps"]),
        ok=ok,
        target=f"p99 < {PUBLIC_P99_MS:.0f} ms (PostgreSQL)",
        **cached,
    )

    log("  the full OC4IDS package over HTTP")
    workers = _workers(pid)
    peaks = {w: _rss_mb("VmHWM", w) for w in workers}
    start = time.perf_counter()
    size = 0
    with urllib.request.urlopen(f"{base}/opendata/oc4ids.json", timeout=900) as r:  # noqa: S310
        status = r.status
        while chunk := r.read(1 << 16):
            size += len(chunk)
    seconds = time.perf_counter() - start
    after_peaks = {w: _rss_mb("VmHWM", w) for w in workers}
    growth = max((after_peaks[w] - peaks[w] for w in workers), default=0.0)
    note = " (over gunicorn's default 30 s timeout)" if seconds > 30 else ""
    results.add(
        engine,
        "OC4IDS /opendata/oc4ids.json over HTTP: time, size, worker RSS growth",
        f"{seconds:.1f} s, {size / 2**20:,.1f} MB, +{growth:.1f} MB "
        f"(peak {max(after_peaks.values(), default=0):.0f} MB){note}",
        target="constant memory",
        seconds=seconds,
        bytes=size,
        status=status,
        growth_mb=growth,
    )
    # The first download kept the package as a file: the next is that file.
    start = time.perf_counter()
    with urllib.request.urlopen(f"{base}/opendata/oc4ids.json", timeout=900) as r:  # noqa: S310
        again = sum(len(chunk) for chunk in iter(lambda: r.read(1 << 16), b""))
    seconds = time.perf_counter() - start
    results.add(
        engine,
        "OC4IDS /opendata/oc4ids.json again (the kept file)",
        f"{seconds:.1f} s, {again / 2**20:,.1f} MB",
        seconds=seconds,
        bytes=again,
    )


def _client_runs(engine, base, milestone_ids, args, results: Results) -> None:
    log(f"  Python client (requests, {CLIENTS} threads): bare route, sign-in, milestone update")
    bare = load(base, args.duration, lambda _s, _n: None, bare_step(base))
    results.add(
        engine,
        "bare Flask route /__bare (Python client)",
        f"{bare['rps']:,.0f}/s p50 {bare['50%']:.1f} p99 {bare['99%']:.1f} ms",
        target="reference for the two rows below",
        **bare,
    )
    signing = load(base, args.duration, lambda _s, _n: None, sign_in_step(base))
    results.add(
        engine,
        "sign-in POST /login (Python client, after a GET of the form)",
        _http_cell(signing, bare["rps"]),
        **signing,
    )
    setup, step = update_step(base, milestone_ids)
    updates = load(base, args.duration, setup, step)
    results.add(
        engine,
        "milestone quick update POST by a manager (Python client, after a GET)",
        _http_cell(updates, bare["rps"]) + f", {len(set(milestone_ids))} milestones",
        **updates,
    )


# -- one engine -------------------------------------------------------------------------------


def bench_engine(engine: str, url: str, args, results: Results) -> None:
    per_project = (args.milestones / args.projects, args.transactions / args.projects)
    small = (SMALL, round(SMALL * per_project[0]), round(SMALL * per_project[1]))
    with tempfile.TemporaryDirectory(prefix=f"pptracker-bench-{engine}-") as name:
        tmp = Path(name)
        if engine == "sqlite":
            url = f"sqlite:///{tmp / 'bench.sqlite'}"
        started = time.perf_counter()

        log(f"\n[{engine}] 1. {SMALL} projects: statements per request, OC4IDS memory")
        reset_database(url)
        generate(url, tmp, *small, builder=args.builder)
        app = make_app(url, tmp)
        small_sample = sample(app)
        small_counts = count_statements(app, small_sample)
        with app.app_context():
            db.engine.dispose()
        small_oc4ids = in_child("oc4ids", url, tmp)

        log(
            f"\n[{engine}] 2. {args.projects:,} projects, {args.milestones:,} milestones, "
            f"{args.transactions:,} transactions"
        )
        reset_database(url)
        seconds = generate(
            url, tmp, args.projects, args.milestones, args.transactions, args.builder
        )
        app = make_app(url, tmp)
        s = sample(app)
        results.add(
            engine,
            "generation (flask demo generate)",
            f"{seconds:,.0f} s ({s.projects:,} projects, {s.events:,} audit events)",
            seconds=seconds,
            projects=s.projects,
            milestones=s.milestones,
            transactions=s.transactions,
            events=s.events,
        )
        counts = count_statements(app, s)
        for label, _path in statement_paths(s):
            before, after = small_counts[label], counts[label]
            results.add(
                engine,
                f"SQL statements per request {label}",
                f"{before} at {SMALL} → {after} at {s.projects:,} projects",
                ok=before == after,
                target="constant",
                small=before,
                full=after,
            )

        log(f"\n[{engine}] 3. reports, OC4IDS memory and the audit chain (in-process)")
        project = in_child("project", url, tmp, codes=",".join([s.code, *s.codes]))
        results.add(
            engine,
            "project report build (assemble + render, no cache), peak RSS",
            f"median {project['median']:.2f} s, max {project['max']:.2f} s "
            f"({project['count']} projects), {project['peak_mb']:.0f} MB",
            **project,
        )
        portfolio = in_child("portfolio", url, tmp, runs=args.runs)
        results.add(
            engine,
            "portfolio report build (assemble + render), peak RSS",
            f"{portfolio['median']:.1f} s ({portfolio['rows']:,} projects, "
            f"{portfolio['bytes'] / 2**20:.1f} MB PDF), {portfolio['peak_mb']:.0f} MB",
            **portfolio,
        )
        oc4ids = in_child("oc4ids", url, tmp)
        growth = oc4ids["peak_mb"] - oc4ids["tenth_mb"]
        results.add(
            engine,
            f"OC4IDS package in-process: peak RSS at 1/10 → end of the stream (at {SMALL})",
            f"{oc4ids['tenth_mb']:.0f} → {oc4ids['peak_mb']:.0f} MB, +{growth:.1f} MB "
            f"({oc4ids['bytes'] / 2**20:,.1f} MB in {oc4ids['seconds']:.1f} s; "
            f"{small_oc4ids['peak_mb']:.0f} MB)",
            ok=growth < OC4IDS_GROWTH_MB,
            target=f"constant (growth < {OC4IDS_GROWTH_MB:.0f} MB)",
            small=small_oc4ids,
            full=oc4ids,
        )
        from pptracker.audit.chain import verify

        with app.app_context():
            start = time.perf_counter()
            verdict = verify(db.session)
            elapsed = time.perf_counter() - start
            db.session.remove()
        results.add(
            engine,
            "audit chain.verify()",
            f"{verdict.events / elapsed:,.0f} events/s ({verdict.events:,} in {elapsed:.1f} s"
            f"{'' if verdict.ok else ', ' + verdict.line()})",
            ok=None if verdict.ok else False,
            events=verdict.events,
            seconds=elapsed,
        )

        log(f"\n[{engine}] 4. under gunicorn")
        with app.app_context():
            db.engine.dispose()
        bench_http(engine, url, tmp, s, app, args, results)
        with app.app_context():
            db.engine.dispose()
        log(f"\n[{engine}] done in {time.perf_counter() - started:,.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL; dropped!")
    parser.add_argument("--projects", type=int)
    parser.add_argument("--milestones", type=int)
    parser.add_argument("--transactions", type=int)
    parser.add_argument("--duration", type=int, help="seconds per wrk or client run")
    parser.add_argument("--runs", type=int, help="portfolio report builds (the median counts)")
    parser.add_argument(
        "--builder",
        choices=["demo", "report_bench"],
        default="demo",
        help="flask demo generate (default), or report_bench.build_portfolio",
    )
    parser.add_argument("--quick", action="store_true", help="small scale, short runs")
    parser.add_argument("--output", default=str(HERE / "last-run"), help="… .md and .json")
    parser.add_argument("--child", choices=["oc4ids", "project", "portfolio"], help="internal")
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--codes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    scale = (200, 4_000, 20_000, 3, 1) if args.quick else (10_000, 200_000, 1_000_000, 10, 1)
    for name, value in zip(
        ("projects", "milestones", "transactions", "duration", "runs"), scale, strict=True
    ):
        if getattr(args, name) is None:
            setattr(args, name, value)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for engine in engines:
        if engine not in ("sqlite", "postgresql"):
            parser.error(f"unknown engine {engine!r}: sqlite or postgresql")
    if not GUNICORN.exists() or not shutil.which("wrk"):
        sys.exit("make bench needs .venv/bin/gunicorn and wrk (apt-get install wrk)")

    started = time.perf_counter()
    results = Results(engines)
    for engine in engines:
        bench_engine(engine, args.database_url, args, results)
    minutes = (time.perf_counter() - started) / 60
    title = (
        f"pptracker benchmark: {args.projects:,} projects, {args.milestones:,} milestones, "
        f"{args.transactions:,} transactions"
    )
    preamble = (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, {minutes:.1f} min. gunicorn -w 2; wrk -t2 -c{CLIENTS} "
        f"-d{args.duration}s --latency; × bare = requests/s over the bare route's in the same "
        f"run (wrk rows: mean of a run before and after; client rows: the Python client's). "
        f"Statements: the second request's, in-process, rendered (the page cache serves a page "
        "for one). Peak RSS: the whole child process."
    )
    text = results.text(title)
    log("\n" + text + "\n\n" + preamble)
    output = Path(args.output)
    output.with_suffix(".md").write_text(results.markdown(title, preamble))
    output.with_suffix(".json").write_text(
        json.dumps(
            {
                "title": title,
                "notes": preamble,
                "args": {k: v for k, v in vars(args).items() if k not in ("child", "tmp", "codes")},
                "rows": results.as_json(),
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    log(f"written: {output.with_suffix('.md')}, {output.with_suffix('.json')}")


if __name__ == "__main__":
    main()
