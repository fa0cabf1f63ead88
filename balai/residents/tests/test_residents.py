from django.db import connection
from django.test import override_settings

from balai.residents.models import Resident
from balai.test import BaseTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role


class EncryptionAtRestTest(BaseTestCase):
    def test_nik_and_kk_are_not_stored_in_clear(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nik, kk, nik_hash FROM residents_resident WHERE id = %s", [self.resident.id]
            )
            nik, kk, nik_hash = cursor.fetchone()
        self.assertNotIn("3311024501900001", nik + kk + nik_hash)
        self.assertNotIn("3311020101100002", nik + kk)
        self.assertEqual(Resident.objects.get(pk=self.resident.pk).nik, "3311024501900001")

    def test_lookup_by_keyed_hash(self):
        self.assertEqual(list(Resident.objects.with_nik("3311024501900001")), [self.resident])
        self.assertEqual(list(Resident.objects.search("3311020101100002")), [self.resident])

    def test_old_key_still_decrypts_after_rotation(self):
        from django.conf import settings

        old = settings.FIELD_ENCRYPTION_KEYS
        with override_settings(FIELD_ENCRYPTION_KEYS=["a-brand-new-key-" + "z" * 40, *old]):
            self.assertEqual(Resident.objects.get(pk=self.resident.pk).nik, "3311024501900001")


class ResidentPagesTest(BaseTestCase):
    def test_list_masks_nik_and_phone(self):
        self.login(self.operator)
        response = self.client.get("/desa/pondok/warga/")
        self.assertContains(response, "3311********0001")
        self.assertNotContains(response, "3311024501900001")
        self.assertNotContains(response, "81234567890")
        self.assertNotContains(response, self.other_resident.name)

    def test_list_query_count_does_not_grow_with_residents(self):
        self.login(self.operator)
        self.client.get("/desa/pondok/warga/")  # warm the session
        for i in range(20):
            Resident.objects.create(village=self.village, name=f"Warga {i}", area=self.dusun)
        with self.assertNumQueries(7):
            self.client.get("/desa/pondok/warga/")

    def test_search_by_name_and_by_full_nik(self):
        self.login(self.operator)
        self.assertContains(self.client.get("/desa/pondok/warga/?q=siti"), "Siti Aminah")
        # A NIK is posted: the page it lands on carries a random key, not the number.
        response = self.client.post("/desa/pondok/warga/", {"q": "3311024501900001"})
        self.assertEqual(response.status_code, 302)
        self.assertNotIn("3311", response["Location"])
        self.assertIn("?cari=", response["Location"])
        page = self.client.get(response["Location"])
        self.assertContains(page, "Siti Aminah")
        self.assertContains(page, 'value="3311024501900001"')
        # The other village's NIK finds nothing here.
        response = self.client.post("/desa/pondok/warga/", {"q": "5108055203850003"}, follow=True)
        self.assertNotContains(response, self.other_resident.name)
        self.assertContains(response, "0 warga cocok")
        # A number typed into a URL is not searched, and the page says where to type it.
        response = self.client.get("/desa/pondok/warga/?q=3311024501900001")
        self.assertContains(response, "pakai kotak pencarian")
        self.assertNotContains(response, "cocok dengan pencarian")
        # Another session's key finds nothing.
        self.client.logout()
        self.login(self.operator)
        self.assertContains(self.client.get(page.request["PATH_INFO"] + "?cari=zzz"), "kedaluwarsa")

    def test_detail_masks_and_reveal_is_logged_for_allowed_roles(self):
        url = f"/desa/pondok/warga/{self.resident.code}/"
        self.login(self.operator)
        response = self.client.get(url)
        self.assertContains(response, "3311********0001")
        self.assertNotContains(response, "Tampilkan NIK")
        self.assertEqual(self.client.post(url + "lihat-nik/").status_code, 403)

        self.login(self.staff[Role.KASI_PELAYANAN])
        response = self.client.post(url + "lihat-nik/")
        self.assertContains(response, "3311024501900001")
        event = AuditEvent.objects.get(action="resident.reveal_identity")
        self.assertEqual(
            (event.actor, event.object_code, event.village),
            (self.staff[Role.KASI_PELAYANAN], self.resident.code, self.village),
        )
        # NIK never goes into a URL: revealing is a POST to a URL with only the code.
        self.assertNotIn("3311024501900001", url)

    def test_create_validates_nik_with_a_clear_message(self):
        self.login(self.operator)
        data = {
            "name": "Budi",
            "phone": "0812 1111 2222",
            "nik_input": "1234",
            "kk_input": "",
            "gender": "L",
            "birth_place": "",
            "birth_date": "",
            "area": self.dusun.pk,
            "address": "",
            "occupation": "",
        }
        response = self.client.post("/desa/pondok/warga/baru/", data)
        self.assertContains(response, "NIK harus 16 angka (yang Anda tulis 4 angka)")
        data["nik_input"] = "3311020505850007"
        response = self.client.post("/desa/pondok/warga/baru/", data)
        budi = Resident.objects.get(name="Budi")
        self.assertRedirects(response, f"/desa/pondok/warga/{budi.code}/")
        self.assertEqual((budi.phone, budi.nik), ("+6281211112222", "3311020505850007"))

    def test_duplicate_nik_and_foreign_area_are_refused(self):
        self.login(self.operator)
        data = {
            "name": "Kembar",
            "phone": "",
            "nik_input": "3311024501900001",
            "kk_input": "",
            "gender": "",
            "birth_place": "",
            "birth_date": "",
            "area": self.other_dusun.pk,
            "address": "",
            "occupation": "",
        }
        response = self.client.post("/desa/pondok/warga/baru/", data)
        self.assertContains(response, "sudah terdaftar")
        self.assertFalse(Resident.objects.filter(name="Kembar").exists())
        self.assertEqual(response.context["form"].errors.keys(), {"nik_input", "area"})

    def test_edit_keeps_nik_when_left_empty(self):
        self.login(self.operator)
        data = {
            "name": "Siti Aminah Baru",
            "phone": "+6281234567890",
            "nik_input": "",
            "kk_input": "",
            "gender": "P",
            "birth_place": "",
            "birth_date": "1990-01-05",
            "area": self.dusun.pk,
            "address": "",
            "occupation": "",
        }
        self.client.post(f"/desa/pondok/warga/{self.resident.code}/ubah/", data)
        self.resident.refresh_from_db()
        self.assertEqual(
            (self.resident.name, self.resident.nik), ("Siti Aminah Baru", "3311024501900001")
        )
        self.assertEqual(Resident.objects.with_nik("3311024501900001").get(), self.resident)
