import re
import time
from unittest import mock

import pyotp
from django.core.cache import cache
from django.test import override_settings

from balai.accounts import two_factor
from balai.accounts.models import RecoveryCode, TwoFactor, TwoFactorRequirement
from balai.test import PASSWORD, BaseTestCase
from balai.villages.roles import Role


class TwoFactorTest(BaseTestCase):
    def setUp(self):
        cache.clear()
        self.user = self.staff[Role.KASI_PELAYANAN]

    def switch_on(self, user=None) -> list[str]:
        user = user or self.user
        device = two_factor.do_start(user)
        codes = two_factor.do_confirm(user, pyotp.TOTP(device.secret).now())
        # As if the set-up was a minute ago (its code is spent for its own 30 s step).
        TwoFactor.objects.filter(user=user).update(last_step=0)
        return codes

    def code(self, user=None, offset=0) -> str:
        secret = TwoFactor.objects.get(user=user or self.user).secret
        return pyotp.TOTP(secret).at(time.time() + offset * 30)

    def password_step(self, username="kasi_pelayanan-a", next_url=""):
        return self.client.post(
            "/masuk/", {"username": username, "password": PASSWORD, "next": next_url}
        )

    def test_setup_shows_a_qr_code_and_confirms_with_the_first_code(self):
        self.login(self.user)
        page = self.client.get("/akun/dua-langkah/")
        self.assertContains(page, 'src="data:image/svg+xml')
        secret = TwoFactor.objects.get(user=self.user).secret
        self.assertContains(page, secret[:4])
        self.assertIn(
            "otpauth://totp/Balai:kasi_pelayanan-a?secret=",
            two_factor.otpauth_uri(self.user, secret),
        )

        wrong = self.client.post("/akun/dua-langkah/", {"code": "000000"})
        self.assertContains(wrong, "Kode tidak cocok")
        self.assertFalse(two_factor.is_enabled(self.user))

        done = self.client.post("/akun/dua-langkah/", {"code": pyotp.TOTP(secret).now()})
        self.assertContains(done, "hanya ditampilkan sekali")
        codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", done.content.decode())
        self.assertEqual(len(codes), 10)
        self.assertTrue(two_factor.is_enabled(self.user))
        # Only hashes are kept.
        stored = list(
            RecoveryCode.objects.filter(user=self.user).values_list("code_hash", flat=True)
        )
        self.assertEqual(len(stored), 10)
        self.assertFalse(any(c.replace("-", "") in h for c in codes for h in stored))
        self.assertContains(self.client.get("/akun/"), "Aktif.")

    def test_login_asks_for_the_code_after_the_password(self):
        self.switch_on()
        response = self.password_step(next_url="/desa/pondok/permohonan/")
        self.assertRedirects(response, "/masuk/kode/", fetch_redirect_response=False)
        self.assertNotIn("_auth_user_id", self.client.session)
        # Half-way in opens nothing.
        self.assertEqual(self.client.get("/desa/pondok/").status_code, 302)

        page = self.client.get("/masuk/kode/")
        self.assertContains(page, 'autocomplete="one-time-code"')
        wrong = self.client.post("/masuk/kode/", {"code": "123456"})
        self.assertContains(wrong, "Kode salah atau sudah dipakai")
        self.assertNotIn("_auth_user_id", self.client.session)

        code = self.code()
        response = self.client.post("/masuk/kode/", {"code": code})
        self.assertRedirects(response, "/desa/pondok/permohonan/", fetch_redirect_response=False)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.user.pk)
        self.assertEqual(self.client.get("/desa/pondok/").status_code, 200)

        # The same code does not work twice (someone who saw it over a shoulder).
        self.client.logout()
        self.password_step()
        self.assertContains(self.client.post("/masuk/kode/", {"code": code}), "sudah dipakai")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_codes_from_the_neighbouring_steps_are_accepted(self):
        self.switch_on()
        TwoFactor.objects.filter(user=self.user).update(last_step=0)
        secret = TwoFactor.objects.get(user=self.user).secret
        self.assertIsNotNone(two_factor.matching_step(secret, self.code(offset=1)))
        self.assertIsNone(two_factor.matching_step(secret, self.code(offset=-3)))
        self.assertIsNone(two_factor.matching_step(secret, "12345"))
        self.assertIsNone(two_factor.matching_step(secret, "١٢٣٤٥٦"))  # Arabic-Indic digits
        self.password_step()
        response = self.client.post("/masuk/kode/", {"code": self.code(offset=-1)})
        self.assertEqual(response.status_code, 302)

    def test_recovery_code_works_once(self):
        codes = self.switch_on()
        self.password_step()
        response = self.client.post("/masuk/kode/", {"code": codes[0].lower().replace("-", " ")})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(two_factor.remaining_recovery_codes(self.user), 9)
        self.client.logout()
        self.password_step()
        self.assertContains(self.client.post("/masuk/kode/", {"code": codes[0]}), "Kode salah")

    @override_settings(TWO_FACTOR_MAX_FAILURES=3)
    def test_wrong_codes_are_throttled(self):
        self.switch_on()
        self.password_step()
        for _ in range(3):
            self.client.post("/masuk/kode/", {"code": "000000"})
        response = self.client.post("/masuk/kode/", {"code": self.code(offset=1)})
        self.assertContains(response, "Terlalu banyak kode yang salah", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_code_page_without_a_fresh_password_goes_back_to_login(self):
        self.assertRedirects(
            self.client.get("/masuk/kode/"), "/masuk/", fetch_redirect_response=False
        )
        self.switch_on()
        self.password_step()
        later = time.time() + 6 * 60
        with mock.patch("balai.accounts.views.time.time", return_value=later):
            response = self.client.post("/masuk/kode/", {"code": self.code()})
        self.assertRedirects(response, "/masuk/", fetch_redirect_response=False)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_without_two_factor_login_is_one_step(self):
        response = self.password_step()
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_required_per_village_sends_staff_to_set_it_up(self):
        TwoFactorRequirement.objects.create(village=self.village)
        self.assertTrue(two_factor.is_required(self.user))
        self.assertFalse(two_factor.is_required(self.other_staff[Role.KADES]))
        self.password_step()
        self.assertRedirects(
            self.client.get("/desa/pondok/"), "/akun/dua-langkah/", fetch_redirect_response=False
        )
        page = self.client.get("/akun/dua-langkah/")
        self.assertContains(page, "wajib memakai login dua langkah")
        secret = TwoFactor.objects.get(user=self.user).secret
        self.client.post("/akun/dua-langkah/", {"code": pyotp.TOTP(secret).now()})
        self.assertEqual(self.client.get("/desa/pondok/").status_code, 200)
        # It cannot be switched off while required.
        self.client.post("/akun/dua-langkah/matikan/", {"password": PASSWORD})
        self.assertTrue(two_factor.is_enabled(self.user))
        # Other villages' staff are not concerned.
        self.login(self.other_staff[Role.KADES])
        self.assertEqual(self.client.get("/desa/tigawasa/").status_code, 200)

    def test_required_for_everyone(self):
        TwoFactorRequirement.objects.create(village=None)
        self.assertTrue(two_factor.is_required(self.other_staff[Role.KADES]))
        response = self.password_step(username="kades-b")
        self.assertRedirects(response, "/akun/dua-langkah/", fetch_redirect_response=False)
        self.assertRedirects(
            self.client.get("/desa/tigawasa/"), "/akun/dua-langkah/", fetch_redirect_response=False
        )
        with override_settings(TWO_FACTOR_REQUIRED=True):
            TwoFactorRequirement.objects.all().delete()
            self.assertTrue(two_factor.is_required(self.platform))
            # The setting applies at once, to sessions opened before it too.
            self.login(self.platform)
            self.assertRedirects(
                self.client.get("/desa/pondok/"),
                "/akun/dua-langkah/",
                fetch_redirect_response=False,
            )

    def test_a_session_that_skipped_the_code_must_log_in_again_when_required(self):
        self.switch_on()
        self.login(self.user)  # not through the code page
        with override_settings(TWO_FACTOR_REQUIRED=True):
            response = self.client.get("/desa/pondok/")
        self.assertTrue(response["Location"].startswith("/masuk/"))
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_disable_and_new_recovery_codes_need_the_password(self):
        old = self.switch_on()
        self.login(self.user)
        self.client.post("/akun/dua-langkah/kode-pemulihan/", {"password": "salah"})
        self.assertEqual(two_factor.remaining_recovery_codes(self.user), 10)
        page = self.client.post("/akun/dua-langkah/kode-pemulihan/", {"password": PASSWORD})
        new = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", page.content.decode())
        self.assertEqual(len(new), 10)
        self.assertFalse(set(new) & set(old))
        self.client.post("/akun/dua-langkah/matikan/", {"password": "salah"})
        self.assertTrue(two_factor.is_enabled(self.user))
        self.client.post("/akun/dua-langkah/matikan/", {"password": PASSWORD})
        self.assertFalse(two_factor.is_enabled(self.user))
        self.assertFalse(RecoveryCode.objects.filter(user=self.user).exists())

    def test_the_secret_is_encrypted_at_rest(self):
        self.switch_on()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM accounts_twofactor")
            raw = cursor.fetchone()[0]
        self.assertNotIn(TwoFactor.objects.get(user=self.user).secret, raw)
        self.assertTrue(raw.startswith("gAAAA"))
