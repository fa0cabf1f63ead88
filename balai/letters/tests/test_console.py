"""The letter-type page of "Layanan WhatsApp": who may edit, validation, audit, tenancy."""

from balai.letters.models import LetterType
from balai.test import BaseTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role

MANAGERS = [Role.OPERATOR, Role.SEKDES, Role.KADES]
NOT_MANAGERS = [Role.KASI_PELAYANAN, Role.PENDAMPING, Role.DPL]


class LetterTypeConsoleTest(BaseTestCase):
    def setUp(self):
        self.sktm = LetterType.objects.get(village=self.village, slug="sktm")
        self.other_sktm = LetterType.objects.get(village=self.other_village, slug="sktm")
        self.url = f"/desa/pondok/layanan/surat/{self.sktm.slug}/"

    def test_a_bad_number_format_is_refused(self):
        from balai.villages.roles import Role

        self.login(self.staff[Role.OPERATOR])
        response = self.client.post(self.url, self.form(number_format="[nomor]/[bulan_jawa]"))
        self.assertEqual(response.status_code, 200)
        self.sktm.refresh_from_db()
        self.assertEqual(
            self.sktm.number_format,
            "[kode_klasifikasi]/[nomor:3]/[kode_desa]/[bulan_romawi]/[tahun]",
        )

    def form(self, letter_type=None, **changes):
        t = letter_type or self.sktm
        data = {
            "name": t.name,
            "keyword": t.keyword,
            "summary": t.summary,
            "requirements": t.requirements,
            "days": t.days,
            "cost": t.cost,
            "position": t.position,
            "classification_code": t.classification_code,
            "number_format": t.number_format,
            "validity_days": t.validity_days,
        }
        if t.head_of_family_only:
            data["head_of_family_only"] = "on"
        if t.is_active:
            data["is_active"] = "on"
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    def snapshot(self, village):
        return list(
            LetterType.objects.filter(village=village)
            .order_by("pk")
            .values("name", "keyword", "days", "cost", "is_active", "position", "summary")
        )

    def test_managers_edit_and_the_change_is_audited(self):
        for role in MANAGERS:
            with self.subTest(role=role):
                self.login(self.staff[role])
                response = self.client.post(
                    self.url, self.form(name=f"SKTM {role.value}", days=5, cost=10000)
                )
                self.assertRedirects(response, "/desa/pondok/layanan/#surat")
                self.sktm.refresh_from_db()
                self.assertEqual(self.sktm.name, f"SKTM {role.value}")
                self.assertEqual((self.sktm.days, self.sktm.cost), (5, 10000))
                event = AuditEvent.objects.filter(action="letter_type.update").first()
                self.assertEqual(event.actor, self.staff[role])
                self.assertEqual(event.village, self.village)
                self.assertEqual(event.detail["slug"], "sktm")
                self.assertIn("name", event.detail["fields"])
        # The overview shows the new cost as the resident reads it.
        self.assertContains(self.client.get("/desa/pondok/layanan/"), "Rp 10.000")

    def test_other_roles_read_but_cannot_edit(self):
        before = self.snapshot(self.village)
        for role in NOT_MANAGERS:
            with self.subTest(role=role):
                self.login(self.staff[role])
                response = self.client.get(self.url)
                self.assertContains(response, "LAYANAN SKTM")
                self.assertNotContains(response, 'name="keyword"')
                response = self.client.post(self.url, self.form(name="Diubah", is_active=None))
                self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(self.village), before)
        self.assertFalse(AuditEvent.objects.filter(action="letter_type.update").exists())

    def test_anonymous_goes_to_login_and_outsider_gets_404(self):
        response = self.client.post(self.url, self.form(name="Diubah"))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/masuk/?next="))
        self.login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.form(name="Diubah")).status_code, 404)
        self.sktm.refresh_from_db()
        self.assertNotEqual(self.sktm.name, "Diubah")

    def test_other_village_cannot_see_or_edit(self):
        before = self.snapshot(self.village)
        other_before = self.snapshot(self.other_village)
        # Staff of Tigawasa, with Pondok's slug in the URL.
        self.login(self.other_staff[Role.OPERATOR])
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.form(name="Diubah")).status_code, 404)
        # Staff of Pondok, asking for a slug that exists only in Tigawasa, under Pondok.
        only_there = LetterType.objects.create(
            village=self.other_village, slug="khusus-bali", name="Surat Adat", keyword="ADAT"
        )
        self.login(self.staff[Role.KADES])
        url = f"/desa/pondok/layanan/surat/{only_there.slug}/"
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(
            self.client.post(url, self.form(only_there, name="Diubah")).status_code, 404
        )
        # ... and under Tigawasa's slug.
        url = f"/desa/tigawasa/layanan/surat/{self.other_sktm.slug}/"
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, self.form(name="Diubah")).status_code, 404)
        self.assertEqual(self.snapshot(self.village), before)
        other_before.append(
            {
                "name": "Surat Adat",
                "keyword": "ADAT",
                "days": 3,
                "cost": 0,
                "is_active": True,
                "position": 0,
                "summary": "",
            }
        )
        self.assertEqual(self.snapshot(self.other_village), other_before)
        self.assertFalse(AuditEvent.objects.filter(action="letter_type.update").exists())

    def test_keyword_rules(self):
        self.login(self.operator)
        before = self.snapshot(self.village)
        cases = {
            "DOMISILI": "Kata kunci DOMISILI sudah dipakai untuk Surat Keterangan Domisili",
            "domisili": "Kata kunci DOMISILI sudah dipakai",
            "SK TM": "hanya boleh huruf dan angka tanpa spasi",
            "SKTM!": "hanya boleh huruf dan angka tanpa spasi",
            "S": "2–30 karakter",
            "A" * 31: "2–30 karakter",
        }
        for keyword, message in cases.items():
            with self.subTest(keyword=keyword):
                response = self.client.post(self.url, self.form(keyword=keyword))
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        self.assertEqual(self.snapshot(self.village), before)
        # The same keyword in another village is fine; lowercase input is stored uppercase.
        LetterType.objects.filter(village=self.other_village, slug="sktm").update(keyword="MISKIN")
        response = self.client.post(self.url, self.form(keyword="miskin2"))
        self.assertRedirects(response, "/desa/pondok/layanan/#surat")
        self.sktm.refresh_from_db()
        self.assertEqual(self.sktm.keyword, "MISKIN2")
        self.assertContains(self.client.get("/desa/pondok/layanan/"), "LAYANAN MISKIN2")

    def test_days_and_cost_limits(self):
        self.login(self.operator)
        before = self.snapshot(self.village)
        for changes, message in [
            ({"days": 0}, "paling sedikit 1 hari kerja"),
            ({"days": 61}, "paling lama 60 hari kerja"),
            ({"days": ""}, "Bidang ini tidak boleh kosong"),
            ({"cost": -1}, "tidak boleh kurang dari 0"),
            ({"name": ""}, "Bidang ini tidak boleh kosong"),
        ]:
            with self.subTest(changes=changes):
                response = self.client.post(self.url, self.form(**changes))
                self.assertContains(response, message)
        self.assertEqual(self.snapshot(self.village), before)
        for days in (1, 60):
            self.client.post(self.url, self.form(days=days))
            self.sktm.refresh_from_db()
            self.assertEqual(self.sktm.days, days)

    def test_deactivated_letter_type_leaves_the_whatsapp_catalogue(self):
        self.login(self.staff[Role.SEKDES])
        self.assertIn(self.sktm, LetterType.objects.active().filter(village=self.village))
        response = self.client.post(self.url, self.form(is_active=None))
        self.assertRedirects(response, "/desa/pondok/layanan/#surat")
        active = LetterType.objects.active().filter(village=self.village)
        self.assertNotIn(self.sktm, active)
        self.assertIn(self.other_sktm, LetterType.objects.active())
        event = AuditEvent.objects.get(action="letter_type.update")
        self.assertEqual(event.detail["fields"], ["is_active"])

    def test_documents_and_fields_are_listed_read_only(self):
        self.login(self.operator)
        response = self.client.get(self.url)
        self.assertContains(response, "Foto Kartu Keluarga (KK)")
        self.assertContains(response, "Penghasilan keluarga per bulan")
        self.assertContains(response, "Nominal (Rp)")  # the field's kind, in words
        self.assertContains(response, "Contoh: 1,5 juta atau 1500000")
        self.assertContains(response, "Hubungi operator platform untuk mengubah isian")
        self.assertNotContains(response, 'name="documents"')
        self.assertNotContains(response, 'name="fields"')
        # Posting JSON anyway changes nothing.
        documents = list(self.sktm.documents)
        self.client.post(self.url, self.form(documents="[]", fields="[]"))
        self.sktm.refresh_from_db()
        self.assertEqual(self.sktm.documents, documents)
        self.assertTrue(self.sktm.fields)

    def test_saving_unchanged_form_writes_no_audit_event(self):
        self.login(self.operator)
        response = self.client.post(self.url, self.form(), follow=True)
        self.assertContains(response, "Tidak ada yang berubah.")
        self.assertFalse(AuditEvent.objects.filter(action="letter_type.update").exists())
