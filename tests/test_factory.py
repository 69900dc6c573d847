"""The app factory: configuration, secrets and refusals."""

import pytest

from pptracker import create_app


def test_testing_config_is_used():
    app = create_app("testing")
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_default_config_generates_a_secret_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from config import Config

    class LocalConfig(Config):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = None

    app = create_app(LocalConfig, instance_path=str(tmp_path))
    key = app.config["SECRET_KEY"]
    assert len(key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    again = create_app(LocalConfig, instance_path=str(tmp_path))
    assert again.config["SECRET_KEY"] == key
    assert again.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/pptracker.sqlite"


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from config import ProductionConfig

    class Prod(ProductionConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "postgresql://db/pptracker"

    with pytest.raises(RuntimeError, match="SECRET_KEY, AUDIT_KEY"):
        create_app(Prod)


def test_production_cookies_are_secure():
    from config import ProductionConfig

    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 64
        AUDIT_KEY = "y" * 64
        SQLALCHEMY_DATABASE_URI = "postgresql://db/pptracker"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_upload_limit_comes_from_config():
    app = create_app("testing", MAX_UPLOAD_MB=3)
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500_without_trace(app):
    from pptracker.permissions import public

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_route_without_permission_is_refused(app):
    @app.route("/forgotten")
    def forgotten():
        return "should never be served"

    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert "should never be served" not in response.get_data(as_text=True)


def test_static_assets_are_served_locally(client):
    home = client.get("/").get_data(as_text=True)
    assert "cdn" not in home.lower()
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
