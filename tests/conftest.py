"""Shared fixtures. A test that needs a real service asks `require_service`, which skips without it
locally and fails under REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Account, User

from .factories import PASSWORD, AccountFactory, AdminFactory, UserFactory, support_user

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


def require_service(name: str, available: bool, why: str) -> None:
    """Skip (locally) or fail (CI, REQUIRE_SERVICES=1) when a real service a test needs is missing."""
    if available:
        return
    message = f"{name} unavailable: {why}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (REQUIRE_SERVICES=1: CI requires every real service)")
    pytest.skip(message)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def account(db) -> Account:
    return AccountFactory(slug="acme", name="Acme Telecom")


@pytest.fixture
def other_account(db) -> Account:
    return AccountFactory(slug="globex", name="Globex")


@pytest.fixture
def admin_user(account) -> User:
    return AdminFactory(account=account, email="admin@acme.example", name="Ada Admin")


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, email="agent@acme.example", name="Andy Agent")


@pytest.fixture
def support(db) -> User:
    return support_user()


def _logged_in(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:  # noqa: F811 - overrides pytest-django's admin_client on purpose
    return _logged_in(admin_user)


@pytest.fixture
def agent_client(agent) -> Client:
    return _logged_in(agent)


@pytest.fixture
def support_client(support) -> Client:
    return _logged_in(support)


@pytest.fixture
def login():
    return _logged_in


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords, not test ones."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """With REDIS_URL the cache outlives a test (and a run): throttles and leases start empty."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_socket_limits():
    """Rate buckets and flood bans live in the process, per client: a test's must not reach the next."""
    from calls.sockets.limits import reset_limits

    reset_limits()
    yield
    reset_limits()


@pytest.fixture(autouse=True)
def _browser_floors_current(settings):
    """The built-in browser floors are as fresh as today, so no page shows the "older than three
    months" notice merely because the calendar moved on (tests/test_browser_floors.py ages them)."""
    from django.utils import timezone

    settings.SUPPORTED_BROWSERS_AS_OF = timezone.localdate().isoformat()


@pytest.fixture(autouse=True)
def _no_background_sweeper(settings):
    """Tests fire call timers explicitly (with a chosen `now`); the one test of the in-process
    sweeper turns it back on."""
    settings.CALL_TIMERS_IN_PROCESS = False


@pytest.fixture(scope="session", autouse=True)
def _release_test_database(django_db_setup, django_db_blocker):
    """Close what other threads and killed child processes left connected to the PostgreSQL test
    database, so it can be dropped at the end of the run."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.settings_dict["NAME"].startswith("test_"):
        return  # SQLite, or a run whose tests never touched the database
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
