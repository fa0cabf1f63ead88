"""Security settings, checked as production loads them (a subprocess with DEBUG off and the
required secrets), and in the running app: CSP, cookies, HSTS, ``check --deploy``, CSRF
and login throttling. The crawler (test_crawler.py) checks CSP and CSRF on every page."""

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.cache import cache
from django.test import Client, SimpleTestCase, override_settings

from balai.test import PASSWORD, BaseTestCase

REPO = Path(__file__).resolve().parents[3]

# `check --deploy` warnings we accept, and why (docs/security.md says the same):
ACCEPTED_DEPLOY_WARNINGS = {
    # Subdomains of the deployment's domain may be other services; the operator decides.
    "security.W005",
    # nginx redirects http to https (docs/deploy.md); SECURE_SSL_REDIRECT=true does it here.
    "security.W008",
    # HSTS preload is a commitment the domain's owner makes, not a default.
    "security.W021",
}

SETTINGS_PROBE = """
import json
import re
from django.conf import settings as s
from django.urls import Resolver404, resolve
try:
    resolve("/simulator/")
    simulator = True
except Resolver404:
    simulator = False
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SIMULATOR_ENABLED": s.SIMULATOR_ENABLED,
    "simulator_routed": simulator,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "hasher": s.PASSWORD_HASHERS[0],
    "csp": {k: [str(v) for v in vs] for k, vs in s.SECURE_CSP.items()},
}))
"""


def production_env(tmp: str, **extra) -> dict:
    keep = {"PATH", "HOME", "LANG", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        BALAI_DATA_DIR=tmp,
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="balai.example.id",
        SITE_URL="https://balai.example.id",
        WHATSAPP_APP_SECRET=secrets.token_hex(16),
        WHATSAPP_VERIFY_TOKEN=secrets.token_hex(16),
        LOG_LEVEL="ERROR",
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


def run_balai(*args, **extra) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="balai-prod-") as tmp:
        return subprocess.run(
            [sys.executable, "-m", "balai", *args],
            env=production_env(tmp, **extra),
            capture_output=True,
            text=True,
            timeout=180,
            cwd=REPO,
        )


class ProductionSettingsTest(SimpleTestCase):
    def test_production_settings(self):
        result = run_balai("shell", "--no-imports", "-c", SETTINGS_PROBE)
        self.assertEqual(result.returncode, 0, result.stderr)
        s = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertFalse(s["DEBUG"])
        self.assertTrue(s["SESSION_COOKIE_SECURE"])
        self.assertTrue(s["SESSION_COOKIE_HTTPONLY"])
        self.assertTrue(s["CSRF_COOKIE_SECURE"])
        self.assertGreaterEqual(s["SECURE_HSTS_SECONDS"], 365 * 24 * 3600)
        self.assertTrue(s["SECURE_CONTENT_TYPE_NOSNIFF"])
        self.assertEqual(s["X_FRAME_OPTIONS"], "DENY")
        self.assertFalse(s["SIMULATOR_ENABLED"])
        self.assertFalse(s["simulator_routed"], "the fake Cloud API must not exist in production")
        self.assertEqual(s["ALLOWED_HOSTS"], ["balai.example.id"])
        self.assertEqual(s["CSRF_TRUSTED_ORIGINS"], ["https://balai.example.id"])
        self.assertEqual(s["hasher"], "django.contrib.auth.hashers.Argon2PasswordHasher")
        csp = s["csp"]
        self.assertNotIn("'unsafe-inline'", csp["script-src"])
        self.assertNotIn("'unsafe-eval'", csp["script-src"])
        self.assertNotIn("'unsafe-inline'", csp["style-src"])
        self.assertEqual(csp["object-src"], ["'none'"])
        self.assertEqual(csp["frame-ancestors"], ["'none'"])

    def test_check_deploy_warns_only_about_what_we_accept(self):
        result = run_balai("check", "--deploy")
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        found = set(re.findall(r"\((\w+\.[WE]\d+)\)", output))
        self.assertEqual(found - ACCEPTED_DEPLOY_WARNINGS, set(), output)
        # With the redirect on, its warning goes away (the set is exact, not a blanket pass).
        again = run_balai("check", "--deploy", SECURE_SSL_REDIRECT="true")
        self.assertNotIn("security.W008", again.stdout + again.stderr)

    def test_production_does_not_start_without_its_secrets(self):
        result = run_balai("check", SECRET_KEY="")
        self.assertEqual(result.returncode, 2)
        self.assertIn("SECRET_KEY", result.stderr)


class RunningAppSecurityTest(BaseTestCase):
    def setUp(self):
        cache.clear()

    def test_csp_header_on_console_public_and_error_pages(self):
        self.login(self.operator)
        for url in ("/masuk/", "/desa/pondok/", "/d/pondok/", "/tidak-ada/"):
            response = self.client.get(url)
            with self.subTest(url=url):
                csp = response["Content-Security-Policy"]
                # The nonce appears when the page has a script that uses it.
                self.assertRegex(csp, r"script-src 'self'( 'nonce-[\w+/=-]+')?;")
                self.assertNotIn("unsafe-inline", csp)
                self.assertIn("frame-ancestors 'none'", csp)
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response["Referrer-Policy"], "same-origin")

    def test_error_pages_need_nothing_the_policy_blocks(self):
        """``style-src 'self'`` and scripts only with a nonce: no inline style or script."""
        from django.template.loader import render_to_string

        for name in ("403.html", "404.html", "500.html"):
            with self.subTest(page=name):
                html = render_to_string(name)
                self.assertNotRegex(html, r"style=|<style|<script(?![^>]*nonce)")
                self.assertIn("/static/balai/balai.css", html)

    def test_session_cookie_is_httponly_and_lax(self):
        response = self.client.post("/masuk/", {"username": "operator-a", "password": PASSWORD})
        cookie = response.cookies["sessionid"]
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Lax")

    def test_csrf_is_enforced_on_login_and_console_posts(self):
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(
            client.post("/masuk/", {"username": "operator-a", "password": PASSWORD}).status_code,
            403,
        )
        # With the token from the form, the same POST works.
        page = client.get("/masuk/")
        token = page.cookies["csrftoken"].value
        response = client.post(
            "/masuk/",
            {"username": "operator-a", "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(client.post("/desa/pondok/warga/baru/", {"name": "X"}).status_code, 403)

    @override_settings(LOGIN_MAX_FAILURES=2)
    def test_login_throttling_by_address(self):
        """Failures spread over many usernames from one address lock that address too
        (4 × LOGIN_MAX_FAILURES), while another address can still log in."""
        for n in range(8):
            self.client.post("/masuk/", {"username": f"tebak-{n}", "password": "x"})
        response = self.client.post("/masuk/", {"username": "operator-a", "password": PASSWORD})
        self.assertEqual(response.status_code, 429)
        other = Client(REMOTE_ADDR="10.0.0.9")
        self.assertEqual(
            other.post("/masuk/", {"username": "operator-a", "password": PASSWORD}).status_code,
            302,
        )

    def test_nul_characters_are_refused_before_any_view(self):
        """PostgreSQL cannot store them; a view reading request.POST directly would 500."""
        self.login(self.staff["kasi_pelayanan"])
        response = self.client.get("/desa/pondok/warga/", {"q": "Siti\x00"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "karakter yang tidak diizinkan", status_code=400)
        code = self.resident.code
        response = self.client.post(f"/desa/pondok/warga/{code}/ubah/", {"name": "A\x00B"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.get("/desa/pondok/warga/", {"q": "Siti"}).status_code, 200)
