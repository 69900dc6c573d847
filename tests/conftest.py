"""Shared fixtures: an app per test on SQLite (and PostgreSQL), clients, factories."""

import os
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from pptracker import create_app
from pptracker.auth.models import Role, User
from pptracker.extensions import db
from pptracker.projects.models import Party, Project

PASSWORD = "correct-horse-battery"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ENGINES = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


def _worker_database_url(base: str) -> str:
    """Give each xdist worker its own PostgreSQL database, created when missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url():
    """URL of this worker's PostgreSQL test database, its schema rebuilt once."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = _worker_database_url(TEST_DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        # Start from nothing: a schema left by another branch's run could clash.
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        db.create_all()
        db.engine.dispose()
    return url


def _truncate_all() -> None:
    from pptracker.audit.models import GENESIS_HASH

    tables = ", ".join(
        f'"{t.name}"' for t in db.metadata.sorted_tables if t.name != "audit_chain_head"
    )
    # The audit table refuses TRUNCATE by trigger; replica mode skips triggers
    # for this transaction only (the test database's owner may do that).
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.execute(
        sa.text(
            "UPDATE audit_chain_head SET seq = 0, hash = :h, data_seq = 0, data_hash = :h, "
            "data_at = NULL"
        ),
        {"h": GENESIS_HASH},
    )
    db.session.commit()


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    """A fresh app and an empty database, on each engine under test.

    Uploaded files and built reports go to a temporary folder, never to the
    repository's instance/.
    """
    files = {
        "DOCUMENTS_DIR": str(tmp_path / "documents"),
        "REPORT_CACHE_DIR": str(tmp_path / "report-cache"),
    }
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, **files)
        with app.app_context():
            _truncate_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    else:
        app = create_app("testing", **files)
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture
def engine_name(app):
    """``sqlite`` or ``postgresql``: the engine this test runs on."""
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def client(app):
    """A test client (no app context held open around requests)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


def _detached(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    """Create a user; returns it detached, with its attributes loaded."""
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str = Role.MANAGER, *, email=None, name=None, password=PASSWORD, active=True
    ) -> User:
        from pptracker.auth.services import UserData, create_user

        n = next(counter)
        role = Role(role)
        with app.app_context():
            user = create_user(
                UserData(
                    email=email or f"{role.value}{n}@example.org",
                    name=name or f"{role.value} {n}",
                    role=role,
                    active=active,
                    password=password,
                )
            )
            db.session.commit()
            return _detached(user)

    return make


@pytest.fixture
def make_party(app):
    """Create a party; returns it detached."""
    counter = iter(range(1, 10_000))

    def make(name=None, roles=("publicAuthority",), **fields) -> Party:
        from pptracker.projects.services import PartyData, create_party

        with app.app_context():
            party = create_party(
                PartyData(name=name or f"Party {next(counter)}", roles=list(roles), **fields)
            )
            db.session.commit()
            return _detached(party)

    return make


@pytest.fixture
def make_project(app, make_party):
    """Create a project (with a fresh public authority unless given); returns it detached."""
    counter = iter(range(1, 10_000))

    def make(code=None, *, managers=(), published=False, **fields) -> Project:
        from pptracker.projects.services import (
            ProjectData,
            assign_managers,
            create_project,
            set_published,
        )

        n = next(counter)
        if "public_authority_id" not in fields:
            fields["public_authority_id"] = make_party(f"Authority {n}").id
        values = dict(
            code=code or f"project-{n}",
            title=f"Project {n}",
            sector="transport.road",
            type="construction",
            status="implementation",
            ppp_model="BOT",
            currency="EUR",
            budget_amount=Decimal("1000000.00"),
        )
        values.update(fields)
        with app.app_context():
            creator = User(role=Role.ADMIN)
            project = create_project(ProjectData(**values), creator=creator)
            if managers:
                assign_managers(project, [m.id for m in managers])
            if published:
                set_published(project, True)
            db.session.commit()
            project = _detached(project)
            return project

    return make


@pytest.fixture
def make_finding(app, make_user):
    """Raise a finding on a project (by code) as a fresh auditor; returns it detached."""

    def make(code, *, title="Payments ahead of progress", severity="high"):
        from pptracker.audit.services import FindingData, raise_finding
        from pptracker.projects.queries import get_project

        auditor = make_user(Role.AUDITOR)
        with app.app_context():
            finding = raise_finding(
                get_project(code),
                FindingData(title=title, description="Details.", severity=severity),
                auditor=auditor,
            )
            db.session.commit()
            return _detached(finding)

    return make


@dataclass
class Auth:
    """Sign a test client in and out."""

    client: object
    make_user: object

    def login(self, email: str, password: str = PASSWORD, **extra):
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def login_as(self, role: Role | str, **user_fields) -> User:
        user = self.make_user(role, **user_fields)
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, make_user):
    """Sign-in helper bound to ``client``."""
    return Auth(client, make_user)
