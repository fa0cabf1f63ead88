from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from balai.test import PASSWORD, BaseTestCase


class LoginTest(BaseTestCase):
    def setUp(self):
        cache.clear()

    def test_login_page_is_indonesian(self):
        response = self.client.get("/masuk/")
        self.assertContains(response, "Nama pengguna")
        self.assertContains(response, "Kata sandi")
        self.assertContains(response, 'lang="id"')

    def test_login_goes_to_own_village(self):
        response = self.client.post("/masuk/", {"username": "operator-a", "password": PASSWORD})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertRedirects(self.client.get("/"), "/desa/pondok/")

    def test_safe_next_only(self):
        response = self.client.post(
            "/masuk/",
            {"username": "operator-a", "password": PASSWORD, "next": "https://evil.example/"},
        )
        self.assertEqual(response["Location"], "/")
        self.client.logout()
        response = self.client.post(
            "/masuk/",
            {"username": "operator-a", "password": PASSWORD, "next": "/desa/pondok/warga/"},
        )
        self.assertEqual(response["Location"], "/desa/pondok/warga/")

    def test_wrong_password_says_so(self):
        response = self.client.post("/masuk/", {"username": "operator-a", "password": "salah"})
        self.assertContains(response, "Nama pengguna atau kata sandi salah")
        self.assertNotIn("_auth_user_id", self.client.session)

    @override_settings(LOGIN_MAX_FAILURES=3)
    def test_throttled_after_repeated_failures_even_with_right_password(self):
        for _ in range(3):
            self.client.post("/masuk/", {"username": "operator-a", "password": "salah"})
        response = self.client.post("/masuk/", {"username": "operator-a", "password": PASSWORD})
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Terlalu banyak percobaan masuk", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # Another user from the same office address can still log in.
        response = self.client.post("/masuk/", {"username": "kades-a", "password": PASSWORD})
        self.assertEqual(response.status_code, 302)

    def test_logout_is_post_only(self):
        self.login(self.operator)
        self.assertEqual(self.client.get("/keluar/").status_code, 405)
        self.assertRedirects(self.client.post("/keluar/"), "/masuk/")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_password_change(self):
        self.login(self.operator)
        response = self.client.post(
            "/akun/kata-sandi/",
            {
                "old_password": PASSWORD,
                "new_password1": "pondok-lebih-aman-2026",
                "new_password2": "pondok-lebih-aman-2026",
            },
        )
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.operator.refresh_from_db()
        self.assertTrue(self.operator.check_password("pondok-lebih-aman-2026"))

    def test_sessions_expire_and_hash_with_argon2_in_production(self):
        self.assertEqual(settings.SESSION_COOKIE_AGE, 12 * 3600)
        from balai import settings as module

        self.assertEqual(
            module.PASSWORD_HASHERS[0], "django.contrib.auth.hashers.Argon2PasswordHasher"
        )

    def test_admin_is_for_platform_operators_only(self):
        self.login(self.staff["kades"])
        self.assertEqual(self.client.get("/admin/").status_code, 302)
        self.login(self.platform)
        self.assertEqual(self.client.get("/admin/").status_code, 200)
        self.assertEqual(self.client.get("/admin/residents/resident/").status_code, 200)

    def test_security_headers(self):
        response = self.client.get("/masuk/")
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response["X-Frame-Options"], "DENY")
