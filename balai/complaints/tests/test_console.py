"""Complaint categories in "Layanan WhatsApp": add, rename, reorder, switch off; who may."""

from django.utils import timezone

from balai.complaints.models import Category, Complaint
from balai.test import BaseTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role

MANAGERS = [Role.OPERATOR, Role.SEKDES, Role.KADES]
NOT_MANAGERS = [Role.KASI_PELAYANAN, Role.PENDAMPING, Role.DPL]
BASE = "/desa/pondok/layanan/kategori"


class CategoryConsoleTest(BaseTestCase):
    def setUp(self):
        self.jalan = Category.objects.get(village=self.village, slug="jalan")
        self.other_jalan = Category.objects.get(village=self.other_village, slug="jalan")

    def snapshot(self, village):
        return list(
            Category.objects.filter(village=village)
            .order_by("pk")
            .values_list("slug", "name", "position", "is_active")
        )

    def active_names(self, village):
        """What the WhatsApp complaint flow offers (balai.conversations.flows.complaint)."""
        return [c.name for c in Category.objects.filter(village=village, is_active=True)]

    def actions(self, category_slug):
        """Every change a manager can make, as (method, url, data)."""
        return [
            ("post", f"{BASE}/baru/", {"name": "Irigasi sawah"}),
            ("post", f"{BASE}/{category_slug}/", {"name": "Jalan desa"}),
            ("post", f"{BASE}/{category_slug}/aktif/", {"aktif": "0"}),
            ("post", f"{BASE}/{category_slug}/urutan/", {"arah": "turun"}),
        ]

    def test_managers_may_do_every_action(self):
        for role in MANAGERS:
            with self.subTest(role=role):
                Category.objects.filter(village=self.village, slug__startswith="irigasi").delete()
                self.login(self.staff[role])
                # The forms open; the buttons' URLs accept only POST.
                for url, status in [
                    (f"{BASE}/baru/", 200),
                    (f"{BASE}/jalan/", 200),
                    (f"{BASE}/jalan/aktif/", 405),
                    (f"{BASE}/jalan/urutan/", 405),
                ]:
                    self.assertEqual(self.client.get(url).status_code, status, url)
                for _method, url, data in self.actions("jalan"):
                    response = self.client.post(url, data)
                    self.assertEqual(response.status_code, 302, url)
                    self.assertEqual(response["Location"], "/desa/pondok/layanan/#kategori")
                self.assertTrue(
                    Category.objects.filter(village=self.village, name="Irigasi sawah").exists()
                )
                self.jalan.refresh_from_db()
                self.assertEqual((self.jalan.name, self.jalan.is_active), ("Jalan desa", False))
                Category.objects.filter(pk=self.jalan.pk).update(
                    name="Jalan/jembatan", is_active=True
                )

    def test_other_roles_get_403_and_nothing_changes(self):
        before = self.snapshot(self.village)
        for role in NOT_MANAGERS:
            self.login(self.staff[role])
            # They can read the overview, without the buttons.
            response = self.client.get("/desa/pondok/layanan/")
            self.assertContains(response, "Jalan/jembatan")
            self.assertNotContains(response, f"{BASE}/baru/")
            self.assertNotContains(response, f"{BASE}/jalan/")
            for method, url, data in self.actions("jalan"):
                with self.subTest(role=role, url=url):
                    self.assertEqual(getattr(self.client, method)(url, data).status_code, 403)
        self.assertEqual(self.snapshot(self.village), before)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="category.").exists())

    def test_anonymous_goes_to_login_and_outsider_gets_404(self):
        before = self.snapshot(self.village)
        for method, url, data in self.actions("jalan"):
            self.client.logout()
            response = getattr(self.client, method)(url, data)
            self.assertEqual(response.status_code, 302, url)
            self.assertTrue(response["Location"].startswith("/masuk/?next="), url)
            self.login(self.outsider)
            self.assertEqual(getattr(self.client, method)(url, data).status_code, 404, url)
        self.assertEqual(self.snapshot(self.village), before)

    def test_other_village_cannot_see_or_change(self):
        before = self.snapshot(self.village)
        other_before = self.snapshot(self.other_village)
        # Tigawasa's operator, on Pondok's pages.
        self.login(self.other_staff[Role.OPERATOR])
        self.assertEqual(self.client.get("/desa/pondok/layanan/").status_code, 404)
        for method, url, data in self.actions("jalan"):
            with self.subTest(url=url):
                self.assertEqual(getattr(self.client, method)(url, data).status_code, 404)
        # Pondok's kades, naming a category only Tigawasa has, under Pondok's slug.
        Category.objects.create(village=self.other_village, slug="subak", name="Subak")
        other_before = self.snapshot(self.other_village)
        self.login(self.staff[Role.KADES])
        for method, url, data in self.actions("subak")[1:]:
            with self.subTest(url=url):
                self.assertEqual(getattr(self.client, method)(url, data).status_code, 404)
        # ... and on Tigawasa's own pages.
        for method, url, data in self.actions("jalan"):
            url = url.replace("/pondok/", "/tigawasa/")
            with self.subTest(url=url):
                self.assertEqual(getattr(self.client, method)(url, data).status_code, 404)
        self.assertEqual(self.snapshot(self.village), before)
        self.assertEqual(self.snapshot(self.other_village), other_before)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="category.").exists())

    def test_add_derives_a_unique_slug_and_goes_last(self):
        self.login(self.operator)
        response = self.client.post(f"{BASE}/baru/", {"name": "  Irigasi   sawah "})
        self.assertRedirects(response, "/desa/pondok/layanan/#kategori")
        irigasi = Category.objects.get(village=self.village, name="Irigasi sawah")
        self.assertEqual(irigasi.slug, "irigasi-sawah")
        self.assertEqual(list(Category.objects.filter(village=self.village))[-1], irigasi)
        # A different name with the same slug gets a suffix; "baru" is the add page's URL.
        self.client.post(f"{BASE}/baru/", {"name": "Irigasi-sawah!"})
        self.client.post(f"{BASE}/baru/", {"name": "Baru"})
        slugs = set(Category.objects.filter(village=self.village).values_list("slug", flat=True))
        self.assertTrue({"irigasi-sawah", "irigasi-sawah-2", "baru-2"} <= slugs)
        self.assertEqual(self.client.get(f"{BASE}/baru-2/").status_code, 200)
        event = AuditEvent.objects.filter(action="category.add").order_by("created", "pk").first()
        self.assertEqual((event.actor, event.detail["slug"]), (self.operator, "irigasi-sawah"))
        # The WhatsApp complaint flow offers it at once.
        self.assertIn("Irigasi sawah", self.active_names(self.village))
        self.assertNotIn("Irigasi sawah", self.active_names(self.other_village))

    def test_duplicate_or_empty_name_is_refused(self):
        self.login(self.operator)
        before = self.snapshot(self.village)
        for url, name, message in [
            (f"{BASE}/baru/", "Air bersih", "Kategori “Air bersih” sudah ada"),
            (f"{BASE}/baru/", "air BERSIH", "sudah ada"),
            (f"{BASE}/baru/", "???", "harus memuat huruf atau angka"),
            (f"{BASE}/baru/", "", "Bidang ini tidak boleh kosong"),
            (f"{BASE}/jalan/", "Lampu jalan", "Kategori “Lampu jalan” sudah ada"),
        ]:
            with self.subTest(name=name):
                response = self.client.post(url, {"name": name})
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        self.assertEqual(self.snapshot(self.village), before)
        # A name only the other village has is fine here.
        Category.objects.create(village=self.other_village, slug="subak", name="Subak")
        self.assertEqual(self.client.post(f"{BASE}/baru/", {"name": "Subak"}).status_code, 302)

    def test_rename_keeps_the_slug_and_is_audited(self):
        self.login(self.staff[Role.SEKDES])
        self.client.post(f"{BASE}/jalan/", {"name": "Jalan dan jembatan"})
        self.jalan.refresh_from_db()
        self.assertEqual((self.jalan.slug, self.jalan.name), ("jalan", "Jalan dan jembatan"))
        event = AuditEvent.objects.get(action="category.rename")
        self.assertEqual(event.detail["old"], "Jalan/jembatan")
        self.assertEqual(event.detail["name"], "Jalan dan jembatan")
        # Its own name (another case) is not a duplicate.
        response = self.client.post(f"{BASE}/jalan/", {"name": "JALAN DAN JEMBATAN"})
        self.assertEqual(response.status_code, 302)

    def test_deactivate_keeps_the_category_and_its_complaints(self):
        complaint = Complaint.objects.create(
            village=self.village,
            code="ADU-1",
            category=self.jalan,
            description="Jalan berlubang di depan balai dusun",
            resident=self.resident,
            submitted_at=timezone.now(),
        )
        self.login(self.staff[Role.KADES])
        response = self.client.get(f"{BASE}/jalan/")
        self.assertContains(response, "Sudah ada 1 pengaduan dengan kategori ini")
        self.client.post(f"{BASE}/jalan/aktif/", {"aktif": "0"})
        self.jalan.refresh_from_db()
        self.assertFalse(self.jalan.is_active)
        self.assertNotIn("Jalan/jembatan", self.active_names(self.village))
        self.assertIn("Jalan/jembatan", self.active_names(self.other_village))
        complaint.refresh_from_db()
        self.assertEqual(complaint.category, self.jalan)
        self.assertTrue(AuditEvent.objects.filter(action="category.deactivate").exists())
        self.client.post(f"{BASE}/jalan/aktif/", {"aktif": "1"})
        self.assertIn("Jalan/jembatan", self.active_names(self.village))
        self.assertTrue(AuditEvent.objects.filter(action="category.activate").exists())

    def test_move_up_and_down(self):
        self.login(self.operator)
        names = self.active_names(self.village)
        self.client.post(f"{BASE}/lampu/urutan/", {"arah": "naik"})
        self.assertEqual(self.active_names(self.village), [names[1], names[0], *names[2:]])
        self.client.post(f"{BASE}/lampu/urutan/", {"arah": "naik"})  # already first
        self.client.post(f"{BASE}/lampu/urutan/", {"arah": "turun"})
        self.assertEqual(self.active_names(self.village), names)
        self.assertEqual(AuditEvent.objects.filter(action="category.move").count(), 2)
        positions = Category.objects.filter(village=self.village).values_list("position", flat=True)
        self.assertEqual(list(positions), list(range(1, len(names) + 1)))
