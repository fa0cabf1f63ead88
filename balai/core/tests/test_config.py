"""Configuration: env helpers and start-up errors that say, in one line, what to fix."""

import os
import subprocess
import sys

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

from balai.env import envbool, envint, envsecret, envstr


def run_balai(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "BALAI_DEBUG"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "balai", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


class EnvHelpersTest(SimpleTestCase):
    def setUp(self):
        self.addCleanup(
            lambda: [
                os.environ.pop(k, None) for k in ["T_BOOL", "T_INT", "T_SECRET", "T_SECRET_FILE"]
            ]
        )

    def test_bool(self):
        os.environ["T_BOOL"] = "yes"
        self.assertTrue(envbool("T_BOOL", False))
        os.environ["T_BOOL"] = "nope"
        with self.assertRaisesMessage(ImproperlyConfigured, "T_BOOL='nope' is not a boolean"):
            envbool("T_BOOL", False)

    def test_int_with_bounds(self):
        self.assertEqual(envint("T_INT", 7), 7)
        os.environ["T_INT"] = "x"
        with self.assertRaisesMessage(ImproperlyConfigured, "not a whole number"):
            envint("T_INT", 7)
        os.environ["T_INT"] = "0"
        with self.assertRaisesMessage(ImproperlyConfigured, "minimum is 1"):
            envint("T_INT", 7, minimum=1)

    def test_file_variant(self):
        import tempfile

        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("from-a-file\n")
        os.environ["T_SECRET_FILE"] = f.name
        self.assertEqual(envstr("T_SECRET"), "from-a-file")
        os.environ["T_SECRET_FILE"] = "/nonexistent/secret"
        with self.assertRaisesMessage(ImproperlyConfigured, "cannot read"):
            envstr("T_SECRET")

    def test_secret_generated_only_with_a_fallback(self):
        import pathlib
        import tempfile

        with self.assertRaisesMessage(ImproperlyConfigured, "T_SECRET is not set"):
            envsecret("T_SECRET", fallback_file=None)
        path = pathlib.Path(tempfile.mkdtemp()) / "s" / "key"
        first = envsecret("T_SECRET", fallback_file=path)
        self.assertEqual(envsecret("T_SECRET", fallback_file=path), first)
        self.assertEqual(oct(path.stat().st_mode & 0o777), "0o600")
        os.environ["T_SECRET"] = "short"
        with self.assertRaisesMessage(ImproperlyConfigured, "too short"):
            envsecret("T_SECRET", fallback_file=path)


class StartupErrorsTest(SimpleTestCase):
    def test_missing_secret_in_production_is_one_clear_line(self):
        result = run_balai("check")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertIn("configuration error: SECRET_KEY is not set", result.stderr)

    def test_malformed_database_url_is_one_clear_line(self):
        for url, message in [
            ("mysql://u@h/db", "scheme is not supported"),
            ("postgres://u@h:notaport/db", "DATABASE_URL is malformed"),
        ]:
            with self.subTest(url=url):
                result = run_balai("check", BALAI_DEBUG="1", DATABASE_URL=url)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
                self.assertIn(message, result.stderr)

    def test_bad_number_is_named(self):
        result = run_balai("check", BALAI_DEBUG="1", SESSION_HOURS="lots")
        self.assertEqual(result.returncode, 2)
        self.assertIn("SESSION_HOURS='lots' is not a whole number", result.stderr)
