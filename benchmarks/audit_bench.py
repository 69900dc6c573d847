"""Benchmark the audit chain: what recording costs, and how fast ``verify()`` walks it.

Usage::

    .venv/bin/python benchmarks/audit_bench.py [--events N] [--database-url URL]

The default database is a SQLite file in a temporary directory; a PostgreSQL
URL is emptied and rebuilt (``drop_all``/``create_all``), so never point it
at a database that matters. Steps:

1. Recording: committed changes per second, with the audit listeners (as the
   app always runs) and, for the overhead, the same changes with them
   removed, plus inserts of a model that is never audited.
2. A chain of N events, bulk-inserted with correct ``seq``/``prev_hash``/
   ``hash`` (the app's key and ``chain.event_hash``); the append-only
   triggers allow inserts.
3. ``verify()`` over it, in events per second (target: 100,000/s), and a
   profile when it misses the target.

``--verify-only --database-url URL`` times the verifier again on a kept chain.
"""

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `config` and `pptracker` when run as a script

from results_table import Table  # noqa: E402

from pptracker import create_app  # noqa: E402
from pptracker.audit import capture  # noqa: E402
from pptracker.audit.chain import audit_key, canonical_json, event_hash, verify  # noqa: E402
from pptracker.audit.models import AuditChainHead, AuditEvent  # noqa: E402
from pptracker.auth.models import Role, SignInAttempt, User  # noqa: E402
from pptracker.extensions import db  # noqa: E402
from pptracker.projects.models import Party, Project  # noqa: E402
from pptracker.projects.services import (  # noqa: E402
    PartyData,
    ProjectData,
    create_party,
    create_project,
)

TARGET_PER_SECOND = 100_000
BENCH_AUDIT_KEY = "audit-bench-key-not-secret"  # noqa: S105 - a benchmark's throwaway key


# -- 1. recording ---------------------------------------------------------------------


@contextmanager
def audit_listeners_removed():
    """Take the two listeners that create and append events off, for a baseline."""
    listeners = [("after_flush", capture._after_flush), ("before_commit", capture._before_commit)]
    for name, fn in listeners:
        sa.event.remove(Session, name, fn)
    try:
        yield
    finally:
        for name, fn in listeners:
            sa.event.listen(Session, name, fn)


def _timed_commits(app, count: int, change) -> float:
    """Run ``change(i)`` then commit, ``count`` times; return the seconds taken."""
    with app.app_context():
        start = time.perf_counter()
        for i in range(count):
            change(i)
            db.session.commit()
        return time.perf_counter() - start


def bench_recording(app, count: int, table: Table) -> None:
    print(f"\n[1] recording: {count:,} committed changes per scenario", flush=True)
    with app.app_context():
        creator = User(role=Role.ADMIN)
        authority = create_party(PartyData(name="Bench Authority", roles=["publicAuthority"]))
        parties = [create_party(PartyData(name=f"Bench Party {n}")) for n in range(20)]
        projects = [
            create_project(
                ProjectData(
                    code=f"bench-{n}",
                    title=f"Bench project {n}",
                    sector="transport.road",
                    type="construction",
                    status="implementation",
                    ppp_model="BOT",
                    currency="EUR",
                    public_authority_id=authority.id,
                    budget_amount=Decimal("1000000.00"),
                ),
                creator=creator,
            )
            for n in range(20)
        ]
        db.session.commit()
        project_ids = [p.id for p in projects]
        party_ids = [p.id for p in parties]

    def update_project(i):
        project = db.session.get(Project, project_ids[i % len(project_ids)])
        project.budget_amount = Decimal(1_000_001 + i).quantize(Decimal("0.01"))

    def update_party(i):
        db.session.get(Party, party_ids[i % len(party_ids)]).locality = f"Town {i}"

    def insert_party(i):
        db.session.add(Party(name=f"Inserted party {i}", roles=[]))

    def insert_attempt(i):
        db.session.add(
            SignInAttempt(client_ip="127.0.0.1", email=f"u{i}@example.org", succeeded=True)
        )

    events_before = _count(app)
    audited = _timed_commits(app, count, update_project)
    written = _count(app) - events_before
    with audit_listeners_removed():
        bare = _timed_commits(app, count, update_project)
    assert _count(app) - events_before == written, "events were recorded with listeners off"
    per_audited, per_bare = audited / count * 1000, bare / count * 1000
    table.add(
        "project update, audited",
        count / audited,
        "commits/s",
        f"{per_audited:.3f} ms each, {written:,} events",
    )
    table.add(
        "project update, listeners removed", count / bare, "commits/s", f"{per_bare:.3f} ms each"
    )
    table.add(
        "audit overhead per update",
        per_audited - per_bare,
        "ms",
        f"+{(audited / bare - 1) * 100:.0f}%",
    )

    audited = _timed_commits(app, count, update_party)
    with audit_listeners_removed():
        bare = _timed_commits(app, count, update_party)
    table.add(
        "party update, audited",
        count / audited,
        "commits/s",
        f"{audited / count * 1000:.3f} ms each",
    )
    table.add(
        "party update, listeners removed",
        count / bare,
        "commits/s",
        f"{bare / count * 1000:.3f} ms each, overhead "
        f"{(audited - bare) / count * 1000:.3f} ms (+{(audited / bare - 1) * 100:.0f}%)",
    )

    audited = _timed_commits(app, count, insert_party)
    bare = _timed_commits(app, count, insert_attempt)
    table.add(
        "party insert (audited model)",
        count / audited,
        "commits/s",
        f"{audited / count * 1000:.3f} ms each",
    )
    table.add(
        "sign-in attempt insert (exempt model)",
        count / bare,
        "commits/s",
        f"{bare / count * 1000:.3f} ms each, difference {(audited - bare) / count * 1000:.3f} ms",
    )


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


# -- 2. a long chain ---------------------------------------------------------------------

_ACTIONS = ("update", "update", "update", "create", "delete", "sign_in", "publish")


def _fields(seq: int, occurred_at: datetime) -> dict:
    """Plausible event fields, varied by ``seq``."""
    action = _ACTIONS[seq % len(_ACTIONS)]
    project = seq % 500 + 1
    if action == "sign_in":
        return {
            "seq": seq,
            "occurred_at": occurred_at,
            "actor_id": seq % 40 + 1,
            "actor": f"manager{seq % 40 + 1}@example.org",
            "client_ip": "192.0.2.17",
            "action": action,
            "entity_type": "User",
            "entity_id": seq % 40 + 1,
            "project_id": None,
            "summary": f"manager{seq % 40 + 1}@example.org signed in",
            "changes": {},
            "reason": None,
        }
    changes = (
        {
            "budget_amount": [f"{1_000_000 + seq}.00", f"{1_000_100 + seq}.50"],
            "status": ["preparation", "implementation"],
        }
        if action == "update"
        else {"is_deleted": [False, True], "deleted_at": [None, occurred_at.isoformat()]}
        if action == "delete"
        else {"code": [None, f"bench-{project}"], "title": [None, f"Bench project nº {project}"]}
    )
    return {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": seq % 40 + 1,
        "actor": f"manager{seq % 40 + 1}@example.org",
        "client_ip": "192.0.2.17",
        "action": action,
        "entity_type": "Project",
        "entity_id": project,
        "project_id": project,
        "summary": f"Updated Project bench-{project}",
        "changes": changes,
        "reason": "monthly update" if seq % 11 == 0 else None,
    }


def build_chain(app, total: int, batch: int) -> float:
    """Append events after the current head until the chain holds ``total``."""
    table = AuditEvent.__table__
    head = AuditChainHead.__table__
    with app.app_context():
        key = audit_key()
        seq, prev = db.session.execute(sa.select(head.c.seq, head.c.hash)).one()
        print(
            f"\n[2] building the chain: {seq:,} events so far, appending {max(total - seq, 0):,}",
            flush=True,
        )
        start_time = datetime.now(UTC)
        started = time.perf_counter()
        while seq < total:
            rows = []
            for _ in range(min(batch, total - seq)):
                seq += 1
                fields = _fields(seq, start_time + timedelta(microseconds=seq * 1001))
                fields["changes"] = canonical_json(fields["changes"])
                digest = event_hash(key, fields, prev)
                rows.append({**fields, "prev_hash": prev, "hash": digest})
                prev = digest
            db.session.execute(sa.insert(table), rows)
            db.session.execute(sa.update(head).where(head.c.id == 1).values(seq=seq, hash=prev))
            db.session.commit()
            if seq % (batch * 10) == 0:
                print(f"    {seq:,} events, {time.perf_counter() - started:.1f} s", flush=True)
        return time.perf_counter() - started


# -- 3. verifying ---------------------------------------------------------------------------


def time_verify(app, table: Table, label: str, fn, **kwargs):
    with app.app_context():
        started = time.perf_counter()
        result = fn(db.session, **kwargs)
        elapsed = time.perf_counter() - started
    rate = result.events / elapsed if elapsed else 0.0
    note = f"{elapsed:.2f} s, {'meets' if rate >= TARGET_PER_SECOND else 'misses'} target"
    table.add(label, rate, "events/s", note)
    assert result.ok, result.line()
    return result, rate


def profile_verify(app, limit: int) -> str:
    """cProfile ``verify()`` over the first ``limit`` events (a copy of the walk)."""
    with app.app_context():
        session = db.session
        profiler = cProfile.Profile()
        original = AuditEvent.__table__

        # Profile the real function on a chain prefix: cap the rows it reads.
        class _Capped:
            def __init__(self, inner):
                self.inner = inner

            def execute(self, statement, *args, **kwargs):
                if (
                    isinstance(statement, sa.Select)
                    and statement.get_final_froms() == [original]
                    and len(statement.selected_columns) > 5
                ):
                    statement = statement.limit(limit)
                return self.inner.execute(statement, *args, **kwargs)

            def __getattr__(self, name):
                return getattr(self.inner, name)

        profiler.enable()
        verify(_Capped(session))
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="length of the chain to verify (default 1,000,000)",
    )
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument(
        "--changes",
        type=int,
        default=2_000,
        help="committed changes per recording scenario (default 2,000)",
    )
    parser.add_argument("--batch", type=int, default=10_000, help="rows per bulk insert")
    parser.add_argument(
        "--profile-events",
        type=int,
        default=200_000,
        help="events walked under cProfile when verify() misses the target",
    )
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="keep the chain in --database-url and only time the verifiers",
    )
    args = parser.parse_args()
    if args.verify_only and not args.database_url:
        parser.error("--verify-only needs the --database-url of an earlier run")

    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        # A fixed key (production also takes it from the environment), so a
        # later --verify-only run can check the same chain.
        app = create_app(
            "default", instance_path=tmp, SQLALCHEMY_DATABASE_URI=url, AUDIT_KEY=BENCH_AUDIT_KEY
        )
        with app.app_context():
            url = db.engine.url.render_as_string(hide_password=False)
            engine = db.engine.dialect.name
            print(
                f"database: {db.engine.url.render_as_string(hide_password=True)} ({engine}), "
                f"SQLAlchemy {sa.__version__}, Python {sys.version.split()[0]}",
                flush=True,
            )
            if not args.verify_only:
                db.drop_all()
                db.create_all()

        table = Table(decimals=0)
        if not args.verify_only:
            bench_recording(app, args.changes, table)
            seconds = build_chain(app, args.events, args.batch)
            table.add(
                "chain built (bulk insert)",
                (_count(app)) / seconds,
                "events/s",
                f"{_count(app):,} events in {seconds:.1f} s",
            )
        total = _count(app)

        print(f"\n[3] verifying {total:,} events", flush=True)
        _result, rate = time_verify(app, table, "verify()", verify)
        if rate < TARGET_PER_SECOND and args.profile_events > 0:
            print(
                f"\nverify() misses {TARGET_PER_SECOND:,}/s; cProfile of its first "
                f"{min(args.profile_events, total):,} events (by own time):"
            )
            print(profile_verify(app, args.profile_events))

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        recording = "" if args.verify_only else f", {args.changes:,} changes per recording scenario"
        table.print(f"Audit benchmark on {engine} ({total:,} events{recording})")


if __name__ == "__main__":
    main()
