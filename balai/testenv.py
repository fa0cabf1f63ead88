"""pytest plugin (``-p balai.testenv``): test defaults, set before Django loads settings.

Explicit environment variables win, so ``DATABASE_URL=postgres://… pytest`` runs the same
suite on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "test-field-key-" + "y" * 40)
os.environ.setdefault("TASK_BACKEND", "immediate")
if "BALAI_DATA_DIR" not in os.environ or os.environ.get("BALAI_TEST_DATA_DIR_MADE"):
    # A folder of its own per pytest-xdist worker: media and generated files never collide.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    os.environ["BALAI_DATA_DIR"] = tempfile.mkdtemp(prefix=f"balai-test-{worker}-")
    os.environ["BALAI_TEST_DATA_DIR_MADE"] = "1"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("WHATSAPP_APP_SECRET", "test-app-secret-0123456789")
os.environ.setdefault("WHATSAPP_VERIFY_TOKEN", "test-verify-token-0123456789")
os.environ.setdefault("SIMULATOR_ENABLED", "true")
# Tests never need Redis unless a test asks for it explicitly.
os.environ.pop("REDIS_URL", None)


def _hypothesis_profiles() -> None:
    from hypothesis import settings

    # CI replays the same examples every run, so a landing never hangs on a new random
    # find; developers' runs keep exploring.
    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI") == "true":
        settings.load_profile("ci")


def uses_database(item) -> bool:
    """Whether a collected test touches the test database (unittest classes by their
    ``databases``, pytest functions by pytest-django's marker or fixtures)."""
    cls = getattr(item, "cls", None)
    if cls is not None and hasattr(cls, "databases"):
        return bool(cls.databases)
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
        & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, run the tests that use the database and drive no browser.

    The SQLite pass runs everything; tests without database access (or that start their own
    processes on their own SQLite file) and browser tests (whose server-side paths the view
    tests cover) would only repeat themselves. ``BALAI_TEST_EVERYTHING=1`` runs them all."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql" or os.environ.get("BALAI_TEST_EVERYTHING"):
        return
    keep, drop = [], []
    for item in items:
        browser = "chromium" in getattr(item, "fixturenames", ())
        (keep if uses_database(item) and not browser else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config):
    _hypothesis_profiles()
    from django.conf import settings

    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
