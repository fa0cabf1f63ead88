"""pytest plugin (``-p balai.testenv``): test defaults, set before Django loads settings.

Explicit environment variables win, so ``DATABASE_URL=postgres://… pytest`` runs the same
suite on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "test-field-key-" + "y" * 40)
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("BALAI_DATA_DIR", tempfile.mkdtemp(prefix="balai-test-"))
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


def pytest_configure(config):
    _hypothesis_profiles()
    from django.conf import settings

    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
