"""pptracker: tracker for public-private partnership infrastructure projects."""

import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from pptracker import formatting
from pptracker.audit import capture
from pptracker.database import import_models
from pptracker.extensions import bootstrap, csrf, db, login_manager, migrate


def create_app(
    config: str | object | None = None, *, instance_path: str | None = None, **overrides
) -> Flask:
    """Create and configure an instance of the application.

    :param config: a key of ``config.CONFIGS`` (``default``, ``development``,
        ``testing``, ``production``), a settings class, or None to read
        ``PPTRACKER_ENV``.
    :param instance_path: where the database, secrets and uploads live
        (default: ``instance/`` beside the package).
    :param overrides: settings applied last (tests use them).
    """
    from config import CONFIGS

    config = config or os.environ.get("PPTRACKER_ENV", "default")
    config_object = CONFIGS[config] if isinstance(config, str) else config

    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(config_object)
    if not app.testing:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PPTRACKER")
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _finish_config(app, production=app.config["ENV_NAME"] == "production")

    if app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))

    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_request_hooks(app)
    register_shell_context(app)
    return app


def _finish_config(app: Flask, *, production: bool) -> None:
    """Fill in what depends on the instance folder, and refuse unsafe settings."""
    if production:
        names = {
            "SECRET_KEY": "SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
            "AUDIT_KEY": "AUDIT_KEY",
        }
        missing = [k for k in names if not app.config.get(k)]
        if missing:
            raise RuntimeError(
                "production needs these environment variables: "
                + ", ".join(names[k] for k in missing)
            )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app, "secret_key")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "pptracker.sqlite"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):  # the form some hosts hand out
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # A SQLite connection is a file handle: it cannot go stale as a
        # server's can, so testing it on every checkout is a wasted statement.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def _instance_secret(app: Flask, name: str) -> str:
    """Return a random secret kept in ``instance/<name>``, creating it once."""
    path = Path(app.instance_path) / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging: readers no longer wait for a writer. With it,
        # synchronous=NORMAL syncs at checkpoints instead of at every commit
        # (about 20 µs a commit here instead of 260 µs), which matters when
        # every download writes its audit event. The database can never be
        # corrupted this way; a power cut (not a crash of the app) may lose
        # the last commits, each wholly, data and audit event together.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_extensions(app: Flask) -> None:
    """Bind the extensions to ``app`` and load every model."""
    import_models()
    capture.install()
    db.init_app(app)
    migrate.init_app(app, db, compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    with app.app_context():
        if not sa.event.contains(db.engine, "connect", _sqlite_pragmas):
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)


def register_blueprints(app: Flask) -> None:
    """Mount every area's blueprint."""
    from pptracker.audit.views import bp as audit_bp
    from pptracker.auth.views import admin_bp
    from pptracker.auth.views import bp as auth_bp
    from pptracker.budgets.spending_views import bp as spending_bp
    from pptracker.budgets.views import bp as budgets_bp
    from pptracker.contracts.views import bp as contracts_bp
    from pptracker.documents.views import bp as documents_bp
    from pptracker.feedback.views import bp as feedback_bp
    from pptracker.milestones.csv_views import bp as milestone_csv_bp
    from pptracker.milestones.views import bp as milestones_bp
    from pptracker.opendata.views import bp as opendata_bp
    from pptracker.operations.demand_views import bp as demand_bp
    from pptracker.operations.kpi_views import bp as kpis_bp
    from pptracker.operations.payment_views import bp as payment_schedule_bp
    from pptracker.operations.tariff_views import bp as tariffs_bp
    from pptracker.operations.views import bp as operations_bp
    from pptracker.portal.views import bp as portal_bp
    from pptracker.projects.views import bp as projects_bp
    from pptracker.projects.views import parties_bp
    from pptracker.reports.views import bp as reports_bp

    for blueprint in (
        portal_bp,
        auth_bp,
        admin_bp,
        projects_bp,
        parties_bp,
        audit_bp,
        contracts_bp,
        documents_bp,
        milestones_bp,
        milestone_csv_bp,
        budgets_bp,
        spending_bp,
        operations_bp,
        kpis_bp,
        payment_schedule_bp,
        tariffs_bp,
        demand_bp,
        reports_bp,
        opendata_bp,
        feedback_bp,
    ):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    """Friendly error pages."""
    from pptracker.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` sub-commands of every area."""
    from pptracker.audit.cli import audit_cli
    from pptracker.auth.cli import users_cli
    from pptracker.demo.cli import demo_cli
    from pptracker.reports.cli import reports_cli

    for group in (users_cli, demo_cli, audit_cli, reports_cli):
        app.cli.add_command(group)


def register_template_helpers(app: Flask) -> None:
    """Give templates the permission check and the shared formatters."""
    from pptracker import codelists
    from pptracker.feedback.queries import awaiting_reply_count
    from pptracker.permissions import Action, can

    app.jinja_env.filters.update(
        money=formatting.format_money,
        date=formatting.format_date,
        datetime=formatting.format_datetime,
    )

    @app.context_processor
    def helpers():
        from flask_login import current_user

        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            "Action": Action,
            "codelist_title": codelists.title,
            "ppp_models": codelists.PPP_MODELS,
            # Called by the navigation only for staff who reply (one statement).
            "feedback_awaiting": lambda: awaiting_reply_count(current_user),
        }


def register_request_hooks(app: Flask) -> None:
    """Deny routes that name no permission; add security headers."""
    from flask_login import current_user

    from pptracker.permissions import enforce_route_permissions

    @app.before_request
    def before():
        g.client_ip = request.remote_addr or "unknown"
        # Set on every request: a test holding an app context open shares the
        # session (and its info) between requests.
        user = current_user if current_user.is_authenticated else None
        capture.set_actor(
            db.session,
            capture.Actor(
                user.id if user else None, user.email if user else "anonymous", g.client_ip
            ),
        )
        enforce_route_permissions()

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response


def register_shell_context(app: Flask) -> None:
    """Put ``db`` and the models in ``flask shell``."""

    @app.shell_context_processor
    def context():
        from pptracker.auth.models import User
        from pptracker.projects.models import Party, Project

        return {"db": db, "sa": sa, "User": User, "Party": Party, "Project": Project}
