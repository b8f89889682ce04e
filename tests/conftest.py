"""Fixtures: a freshly migrated database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL),
or a copy of the demo for the tests that ask for `demo_app`; an app with a frozen clock, users per
role and their API tokens."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workflow import create_app
from workflow.access import operations as users
from workflow.access.models import User
from workflow.access.roles import ROLE_CODES
from workflow.config import normalise_database_url
from workflow.core.clock import FixedClock
from workflow.demo import load as demo
from workflow.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "password-di-prova"
NOW = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


def is_postgres() -> bool:
    return bool(TEST_DATABASE_URL)


def _app_config(database_url: str, clock: FixedClock, files: Path) -> dict[str, object]:
    """The test app's configuration; its stored files (contributions, act documents) go under
    `files`, so that copying that folder copies every file the database refers to."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CONTRIBUTIONS_DIR": str(files / "contributi"),
        "TESTING": True,
        "CLOCK": clock,
        "SECRET_KEY": "test-secret",
        "DOCUMENTS_DIR": files / "documents",
        "REGISTRI_GIORNALIERI_DIR": str(files / "registri-giornalieri"),
        "CONSERVAZIONE_DIR": str(files / "conservazione"),
    }


def _migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _load_demo(url: str, files: Path) -> None:
    """Load the demo (workflow/demo/load.py) into a migrated database on the tests' clock (NOW),
    as `demo.load(clock=clock)` did in each test before the demo had its own template."""
    clock = FixedClock(NOW)
    app = create_app(_app_config(url, clock, files))
    with app.app_context():
        demo.load(clock=clock)
        db.session.remove()
        db.engine.dispose()


class _Databases:
    """Hands out one database per test, copied from a template migrated once, or from a second
    template holding the demo, built the first time a test asks for it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.token = uuid.uuid4().hex[:8]
        self.demo_files = workdir / "demo-files"  # the files the demo template's rows refer to
        self._demo: bool | BaseException = False  # built, or why it could not be
        if is_postgres():
            self.admin_url = normalise_database_url(TEST_DATABASE_URL)
            self.template = f"wf_tmpl_{self.token}"
            self.demo_template = f"wf_demo_{self.token}"
            self._admin(f'CREATE DATABASE "{self.template}"')
            _migrate(self._url_for(self.template))
        else:
            self.template_file = workdir / "template.sqlite3"
            self.demo_template_file = workdir / "demo.sqlite3"
            _migrate(f"sqlite:///{self.template_file}")

    def _url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def _build_demo(self) -> None:
        """The demo template: a copy of the migrated one with the demo loaded, once a session."""
        if isinstance(self._demo, BaseException):
            pytest.fail(f"the demo template could not be built: {self._demo!r}")
        if self._demo:
            return
        try:
            self._load_demo_template()
        except BaseException as error:
            self._demo = error
            raise
        self._demo = True

    def _load_demo_template(self) -> None:
        self.demo_files.mkdir()
        if is_postgres():
            self._admin(f'CREATE DATABASE "{self.demo_template}" TEMPLATE "{self.template}"')
            _load_demo(self._url_for(self.demo_template), self.demo_files)
        else:
            shutil.copyfile(self.template_file, self.demo_template_file)
            _load_demo(f"sqlite:///{self.demo_template_file}", self.demo_files)
            # Everything into the main file, so that a plain file copy is the whole database.
            with closing(sqlite3.connect(self.demo_template_file)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def new(self, *, with_demo: bool = False) -> tuple[str, str]:
        """A fresh database URL and a name to drop it by; `with_demo`: a copy of the demo."""
        if with_demo:
            self._build_demo()
        name = f"wf_t_{self.token}_{uuid.uuid4().hex[:8]}"
        if is_postgres():
            template = self.demo_template if with_demo else self.template
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return self._url_for(name), name
        path = self.workdir / f"{name}.sqlite3"
        shutil.copyfile(self.demo_template_file if with_demo else self.template_file, path)
        return f"sqlite:///{path}", name

    def drop(self, name: str) -> None:
        if is_postgres():
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                (self.workdir / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if is_postgres():
            self._admin(f'DROP DATABASE IF EXISTS "{self.demo_template}" WITH (FORCE)')
            self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


def _wants_demo(request: pytest.FixtureRequest) -> bool:
    """Whether the test asks for `demo_app`, itself or through one of its fixtures."""
    return "demo_app" in request.fixturenames


@pytest.fixture
def database_url(databases: _Databases, request: pytest.FixtureRequest) -> Iterator[str]:
    """This test's own database: a copy of the migrated template, or of the demo's."""
    url, name = databases.new(with_demo=_wants_demo(request))
    yield url
    databases.drop(name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: nothing in `g` (the logged-in
    user, the CSRF token) or in the database session leaks from the test body or another client."""

    def open(self, *args, **kwargs):  # type: ignore[override]
        # End the test body's transaction first: on SQLite it holds the write lock, which a
        # request of its own would wait for (production requests never overlap like this).
        if not has_app_context():  # a redirect followed from inside an isolated request
            return super().open(*args, **kwargs)
        db.session.commit()
        kwargs.setdefault("buffered", True)  # read the body while the request is being served
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the test body then sees what the request changed
        return response


@pytest.fixture
def app(
    database_url: str,
    clock: FixedClock,
    tmp_path: Path,
    databases: _Databases,
    request: pytest.FixtureRequest,
) -> Iterator[Flask]:
    if _wants_demo(request):
        # The test's own copy of the demo's files: what it stores or deletes stays its own.
        shutil.copytree(databases.demo_files, tmp_path, dirs_exist_ok=True)
    app = create_app(_app_config(database_url, clock, tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo_app(app: Flask, clock: FixedClock) -> Flask:
    """The test's `app`, whose database and stored files start as a private copy of the demo
    (workflow/demo/load.py) loaded at NOW: its users log in with their demo passwords. Asking for
    it replaces `demo.load(clock=clock)` at the start of a test, without loading the demo again."""
    assert clock.now() == NOW, "the demo template was loaded at NOW: start the test's clock there"
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask, clock: FixedClock):
    """make_user("direzione_generale", ...) → a user holding those roles."""
    counter = iter(range(1, 10_000))

    def make(*roles: str, username: str | None = None) -> User:
        assert set(roles) <= set(ROLE_CODES)
        name = username or f"{roles[0].split('_')[0]}{next(counter)}"
        return users.create_user(name, f"Utente {name}", PASSWORD, roles, actor=None, clock=clock)

    return make


@pytest.fixture
def direzione(make_user) -> User:
    return make_user("direzione_generale", username="direzione")


@pytest.fixture
def token_for(app: Flask, clock: FixedClock):
    def issue(user: User) -> dict[str, str]:
        token = users.issue_token(user.username, actor=None, clock=clock)
        return {"Authorization": f"Bearer {token}"}

    return issue


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_from(page)}
    )


@pytest.fixture
def smtp_server(app: Flask):
    """A real SMTP server on 127.0.0.1; the app's mail goes to it."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    server.start()
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SMTP_HOST="127.0.0.1",
        MAIL_SMTP_PORT=server.port,
        MAIL_SMTP_SECURITY="none",
        MAIL_SMTP_TIMEOUT=5,
        MAIL_FROM="Procedimenti CMM <procedimenti@cittametropolitana.example>",
    )
    yield server
    server.stop()


@pytest.fixture
def with_address(clock: FixedClock):
    """with_address(user) gives the user an e-mail address <username>@example.org."""
    from workflow.mail import settings

    def give(user: User) -> User:
        settings.update_settings(
            user.id, actor=user, clock=clock, email=f"{user.username}@example.org"
        )
        return user

    return give
