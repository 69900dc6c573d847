"""Migrations: `flask db upgrade` on an empty database gives exactly the models' schema."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from pptracker import create_app
from pptracker.extensions import db
from tests.conftest import TEST_DATABASE_URL, _worker_database_url


def _empty_database(engine_name, tmp_path):
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path}/migrated.sqlite"
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = _worker_database_url(TEST_DATABASE_URL.rsplit("/", 1)[0] + "/pptracker_migrations")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


ENGINES = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_upgrade_gives_the_models_schema(engine_name, tmp_path):
    url = _empty_database(engine_name, tmp_path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"the migrations and the models differ: {diff}"
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "projects", "parties", "project_managers"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
