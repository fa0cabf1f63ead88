"""The "Layanan WhatsApp" overview and the FAQ the WhatsApp assistant offers."""

import pytest

from balai.test import PASSWORD, BaseTestCase, make_village
from balai.villages.actions import do_add_staff
from balai.villages.models import AuditEvent, Faq
from balai.villages.roles import Role

MANAGERS = [Role.OPERATOR, Role.SEKDES, Role.KADES]
NOT_MANAGERS = [Role.KASI_PELAYANAN, Role.PENDAMPING, Role.DPL]
OVERVIEW = "/desa/pondok/layanan/"
BASE = "/desa/pondok/layanan/tanya-jawab"


def on_whatsapp(village):
    """The questions the assistant offers (balai.conversations.flows.info), in order."""
    return [f.question for f in Faq.objects.filter(village=village, is_active=True)]


class ServicesOverviewTest(BaseTestCase):
    def test_every_staff_role_reads_the_overview(self):
        Faq.objects.create(village=self.village, question="Jadwal posyandu?", answer="Tiap Rabu.")
        for role in Role:
            with self.subTest(role=role):
                self.login(self.staff[role])
                response = self.client.get(OVERVIEW)
                self.assertContains(response, "Layanan WhatsApp")
                self.assertContains(response, "Surat Keterangan Tidak Mampu (SKTM)")
                self.assertContains(response, "LAYANAN SKTM")
                self.assertContains(response, "Gratis")
                self.assertContains(response, "hanya kepala keluarga")
                self.assertContains(response, "Air bersih")
                self.assertContains(response, "Jadwal posyandu?")
                manager = role in MANAGERS
                for url in (f"{BASE}/baru/", "/desa/pondok/layanan/kategori/baru/"):
                    self.assertEqual(url in response.content.decode(), manager, url)
                self.assertContains(response, ">Ubah<" if manager else ">Lihat<")
                self.assertNotContains(response, ">Lihat<" if manager else ">Ubah<")

    def test_inactive_rows_are_marked_and_costs_shown_in_rupiah(self):
        self.village.letter_types.filter(slug="sktm").update(is_active=False, cost=15000)
        self.village.complaint_categories.filter(slug="air").update(is_active=False)
        self.login(self.staff[Role.KASI_PELAYANAN])
        response = self.client.get(OVERVIEW)
        self.assertContains(response, "Rp 15.000")
        self.assertContains(response, "Nonaktif", count=2)

    def test_nav_links_to_the_section(self):
        self.login(self.staff[Role.DPL])
        response = self.client.get("/desa/pondok/")
        self.assertContains(response, f'<a href="{OVERVIEW}">Layanan</a>', html=True)
        response = self.client.get(OVERVIEW)
        self.assertContains(response, f'href="{OVERVIEW}" aria-current="page"')

    def test_anonymous_outsider_and_other_village(self):
        self.assertTrue(self.client.get(OVERVIEW)["Location"].startswith("/masuk/?next="))
        self.login(self.outsider)
        self.assertEqual(self.client.get(OVERVIEW).status_code, 404)
        Faq.objects.create(village=self.other_village, question="Jadwal subak?", answer="Senin.")
        for role in (Role.OPERATOR, Role.DPL):
            self.login(self.other_staff[role])
            self.assertEqual(self.client.get(OVERVIEW).status_code, 404)
            response = self.client.get("/desa/tigawasa/layanan/")
            self.assertContains(response, "Jadwal subak?")
        self.login(self.operator)
        self.assertEqual(self.client.get("/desa/tigawasa/layanan/").status_code, 404)
        self.assertNotContains(self.client.get(OVERVIEW), "Jadwal subak?")


class FaqConsoleTest(BaseTestCase):
    def setUp(self):
        self.faq = Faq.objects.create(
            village=self.village,
            question="Kapan jadwal posyandu?",
            answer="Setiap Rabu kedua, pukul 08.00 di balai dusun.",
            position=1,
        )
        self.faq2 = Faq.objects.create(
            village=self.village,
            question="Bagaimana mengurus KTP?",
            answer="Bawa KK ke kantor desa.",
            position=2,
        )
        self.other_faq = Faq.objects.create(
            village=self.other_village, question="Jadwal subak?", answer="Senin.", position=1
        )

    def snapshot(self):
        return list(
            Faq.objects.order_by("pk").values_list(
                "village", "code", "question", "answer", "position", "is_active"
            )
        )

    def actions(self, code):
        """Every change a manager can make, as (url, data, GET status for a manager)."""
        return [
            (f"{BASE}/baru/", {"question": "Ada pasar desa?", "answer": "Setiap Kamis."}, 200),
            (f"{BASE}/{code}/", {"question": "Jadwal posyandu?", "answer": "Rabu."}, 200),
            (f"{BASE}/{code}/tampil/", {"tampil": "0"}, 405),
            (f"{BASE}/{code}/urutan/", {"arah": "turun"}, 405),
            (f"{BASE}/{code}/hapus/", {}, 200),
        ]

    def test_managers_may_do_every_action(self):
        for role in MANAGERS:
            with self.subTest(role=role):
                faq = Faq.objects.create(village=self.village, question="Q?", answer="A.")
                self.login(self.staff[role])
                for url, data, get_status in self.actions(faq.code):
                    self.assertEqual(self.client.get(url).status_code, get_status, url)
                    response = self.client.post(url, data)
                    self.assertRedirects(
                        response, f"{OVERVIEW}#tanya-jawab", fetch_redirect_response=False
                    )
                self.assertFalse(Faq.objects.filter(pk=faq.pk).exists())
                added = Faq.objects.get(question="Ada pasar desa?")
                self.assertEqual(added.village, self.village)
                added.delete()
                actions = set(
                    AuditEvent.objects.filter(actor=self.staff[role]).values_list(
                        "action", flat=True
                    )
                )
                self.assertEqual(
                    actions, {"faq.add", "faq.update", "faq.hide", "faq.move", "faq.delete"}
                )

    def test_other_roles_get_403_and_nothing_changes(self):
        before = self.snapshot()
        for role in NOT_MANAGERS:
            self.login(self.staff[role])
            for url, data, _ in self.actions(self.faq.code):
                with self.subTest(role=role, url=url):
                    self.assertEqual(self.client.post(url, data).status_code, 403)
                    if not url.endswith(("/tampil/", "/urutan/")):
                        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="faq.").exists())

    def test_anonymous_goes_to_login_and_outsider_gets_404(self):
        before = self.snapshot()
        for url, data, _ in self.actions(self.faq.code):
            self.client.logout()
            for method in ("get", "post"):
                response = getattr(self.client, method)(url, data)
                self.assertEqual(response.status_code, 302, url)
                self.assertTrue(response["Location"].startswith("/masuk/?next="), url)
            self.login(self.outsider)
            self.assertEqual(self.client.post(url, data).status_code, 404, url)
        self.assertEqual(self.snapshot(), before)

    def test_other_village_cannot_see_or_change(self):
        before = self.snapshot()
        # Tigawasa's operator on Pondok's pages, with Pondok's FAQ code.
        self.login(self.other_staff[Role.OPERATOR])
        for url, data, _ in self.actions(self.faq.code):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertEqual(self.client.post(url, data).status_code, 404)
        # Pondok's kades with Tigawasa's FAQ code, under Pondok's slug and under Tigawasa's.
        self.login(self.staff[Role.KADES])
        for own_url, data, get_status in self.actions(self.other_faq.code)[1:]:
            for url in (own_url, own_url.replace("/pondok/", "/tigawasa/")):
                with self.subTest(url=url):
                    expected_get = 405 if get_status == 405 and "/pondok/" in url else 404
                    self.assertEqual(self.client.get(url).status_code, expected_get)
                    self.assertEqual(self.client.post(url, data).status_code, 404)
        self.assertNotContains(self.client.get(OVERVIEW), "Jadwal subak?")
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="faq.").exists())

    def test_add_goes_last_and_reaches_whatsapp(self):
        self.login(self.operator)
        response = self.client.post(
            f"{BASE}/baru/",
            {"question": "Di mana bayar PBB?", "answer": "Di kantor desa, loket 2."},
            follow=True,
        )
        self.assertContains(response, "Tanya jawab sudah ditambahkan")
        self.assertContains(response, "Di mana bayar PBB?")
        faq = Faq.objects.get(question="Di mana bayar PBB?")
        self.assertEqual((faq.village, faq.position, faq.is_active), (self.village, 3, True))
        self.assertEqual(on_whatsapp(self.village)[-1], "Di mana bayar PBB?")
        self.assertNotIn("Di mana bayar PBB?", on_whatsapp(self.other_village))
        event = AuditEvent.objects.get(action="faq.add")
        self.assertEqual((event.actor, event.village), (self.operator, self.village))
        self.assertEqual((event.object_type, event.object_code), ("faq", faq.code))

    def test_lengths_are_checked_and_nothing_saved(self):
        self.login(self.operator)
        before = self.snapshot()
        for url in (f"{BASE}/baru/", f"{BASE}/{self.faq.code}/"):
            for data, message in [
                ({"question": "x" * 201, "answer": "Ya."}, "paling banyak 200 karakter"),
                ({"question": "Tanya?", "answer": "x" * 3001}, "paling banyak 3000 karakter"),
                ({"question": "", "answer": "Ya."}, "Bidang ini tidak boleh kosong"),
            ]:
                with self.subTest(url=url, data={k: v[:10] for k, v in data.items()}):
                    response = self.client.post(url, data)
                    self.assertEqual(response.status_code, 200)
                    self.assertContains(response, message)
        self.assertEqual(self.snapshot(), before)
        response = self.client.post(f"{BASE}/baru/", {"question": "x" * 200, "answer": "y" * 3000})
        self.assertEqual(response.status_code, 302)

    def test_edit_is_audited_with_its_fields(self):
        self.login(self.staff[Role.SEKDES])
        self.client.post(
            f"{BASE}/{self.faq.code}/",
            {"question": self.faq.question, "answer": "Setiap Rabu kedua, pukul 09.00."},
        )
        self.faq.refresh_from_db()
        self.assertEqual(self.faq.answer, "Setiap Rabu kedua, pukul 09.00.")
        event = AuditEvent.objects.get(action="faq.update")
        self.assertEqual((event.object_code, event.detail["fields"]), (self.faq.code, ["answer"]))

    def test_hide_and_show(self):
        self.login(self.staff[Role.KADES])
        self.client.post(f"{BASE}/{self.faq.code}/tampil/", {"tampil": "0"})
        self.assertEqual(on_whatsapp(self.village), ["Bagaimana mengurus KTP?"])
        self.assertContains(self.client.get(OVERVIEW), "Disembunyikan")
        # Sending the same button twice does not flip it back (nor write a second event).
        self.client.post(f"{BASE}/{self.faq.code}/tampil/", {"tampil": "0"})
        self.assertEqual(on_whatsapp(self.village), ["Bagaimana mengurus KTP?"])
        self.client.post(f"{BASE}/{self.faq.code}/tampil/", {"tampil": "1"})
        self.assertEqual(on_whatsapp(self.village), [self.faq.question, self.faq2.question])
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action__startswith="faq.")
                .order_by("created", "pk")
                .values_list("action", flat=True)
            ),
            ["faq.hide", "faq.show"],
        )

    def test_reorder(self):
        self.login(self.operator)
        self.client.post(f"{BASE}/{self.faq.code}/urutan/", {"arah": "turun"})
        self.assertEqual(on_whatsapp(self.village), [self.faq2.question, self.faq.question])
        self.client.post(f"{BASE}/{self.faq.code}/urutan/", {"arah": "turun"})  # already last
        self.assertEqual(on_whatsapp(self.village), [self.faq2.question, self.faq.question])
        self.client.post(f"{BASE}/{self.faq.code}/urutan/", {"arah": "naik"})
        self.assertEqual(on_whatsapp(self.village), [self.faq.question, self.faq2.question])
        self.assertEqual(AuditEvent.objects.filter(action="faq.move").count(), 2)
        self.other_faq.refresh_from_db()
        self.assertEqual(self.other_faq.position, 1)

    def test_delete_asks_first(self):
        self.login(self.operator)
        response = self.client.get(f"{BASE}/{self.faq.code}/hapus/")
        self.assertContains(response, "Hapus tanya jawab?")
        self.assertTrue(Faq.objects.filter(pk=self.faq.pk).exists())
        self.client.post(f"{BASE}/{self.faq.code}/hapus/")
        self.assertFalse(Faq.objects.filter(pk=self.faq.pk).exists())
        self.assertEqual(on_whatsapp(self.village), [self.faq2.question])
        event = AuditEvent.objects.get(action="faq.delete")
        self.assertEqual(event.object_code, self.faq.code)
        self.assertEqual(event.detail["question"], "Kapan jadwal posyandu?")


@pytest.fixture
def pondok_operator(transactional_db):
    village = make_village("pondok", "Pondok", "Asia/Jakarta", "33.11.02.2010", "Jawa Tengah")
    do_add_staff(
        village,
        username="operator.pondok",
        full_name="Dewi Lestari",
        role=Role.OPERATOR,
        password=PASSWORD,
    )
    return village


def test_operator_adds_a_faq_on_a_phone(page, live_server, pondok_operator):
    page.goto(f"{live_server.url}/masuk/")
    page.fill("input[name=username]", "operator.pondok")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desa/pondok/")

    page.click("nav.tabs >> text=Layanan")
    page.wait_for_url(f"**{OVERVIEW}")
    assert page.locator("#surat").get_by_text("LAYANAN SKTM").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click("text=Tambah tanya jawab")
    page.fill("input[name=question]", "Kapan jadwal posyandu balita?")
    page.fill("textarea[name=answer]", "Setiap Rabu kedua, pukul 08.00 di balai Dusun Krajan.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**{OVERVIEW}#tanya-jawab")

    assert "Tanya jawab sudah ditambahkan" in page.locator(".messages").inner_text()
    item = page.locator("#tanya-jawab li").filter(has_text="Kapan jadwal posyandu balita?")
    assert item.count() == 1 and item.is_visible()
    assert "Setiap Rabu kedua" in item.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert on_whatsapp(pondok_operator) == ["Kapan jadwal posyandu balita?"]
