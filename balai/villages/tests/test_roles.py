from balai.test import BaseTestCase
from balai.villages.models import AuditEvent, Membership
from balai.villages.roles import Role


class RolesTest(BaseTestCase):
    def test_dpl_reads_nothing_it_may_not_and_changes_nothing(self):
        self.login(self.staff[Role.DPL])
        self.assertEqual(self.client.get("/desa/pondok/").status_code, 200)
        self.assertEqual(self.client.get("/desa/pondok/warga/").status_code, 403)
        self.assertEqual(
            self.client.post("/desa/pondok/pengaturan/", {"name": "X"}).status_code, 403
        )
        response = self.client.post("/desa/pondok/wilayah/", {"kind": "dusun", "name": "Baru"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.village.areas.filter(name="Baru").exists())

    def test_pendamping_does_not_see_the_resident_register(self):
        self.login(self.staff[Role.PENDAMPING])
        self.assertEqual(
            self.client.get(f"/desa/pondok/warga/{self.resident.code}/").status_code, 403
        )

    def test_operator_manages_staff_and_cannot_lock_self_out(self):
        self.login(self.operator)
        response = self.client.post(
            "/desa/pondok/petugas/",
            {
                "username": "baru-pondok",
                "full_name": "Petugas Baru",
                "role": "operator",
                "title": "",
                "password": "kata-sandi-panjang-1",
            },
        )
        self.assertRedirects(response, "/desa/pondok/petugas/")
        self.assertTrue(
            Membership.objects.filter(user__username="baru-pondok", village=self.village).exists()
        )
        own = Membership.objects.get(user=self.operator, village=self.village)
        self.client.post(f"/desa/pondok/petugas/{own.code}/nonaktifkan/")
        own.refresh_from_db()
        self.assertTrue(own.is_active)
        dpl = Membership.objects.get(user=self.staff[Role.DPL], village=self.village)
        self.client.post(f"/desa/pondok/petugas/{dpl.code}/nonaktifkan/")
        dpl.refresh_from_db()
        self.assertFalse(dpl.is_active)
        self.assertTrue(AuditEvent.objects.filter(action="staff.deactivate").exists())
        # A deactivated member no longer reaches the village at all.
        self.login(self.staff[Role.DPL])
        self.assertEqual(self.client.get("/desa/pondok/").status_code, 404)

    def test_village_settings_office_hours_round_trip(self):
        self.login(self.staff[Role.SEKDES])
        form = {
            "name": "Pondok",
            "kind": "desa",
            "official_code": "33.11.02.2010",
            "kecamatan": "Nguter",
            "kabupaten": "Sukoharjo",
            "provinsi": "Jawa Tengah",
            "timezone": "Asia/Jakarta",
            "address": "",
            "postal_code": "",
            "phone": "",
            "email": "",
            "letterhead": "",
            "office_hours_text": "senin 08:00-12:00, 13:00-15:00\njumat 08:00-11:00",
            "ticket_prefix": "PDK",
            "approval_chain": "operator-kades",
            "session_idle_hours": 6,
            "handoff_hours": 12,
        }
        response = self.client.post("/desa/pondok/pengaturan/", form)
        self.assertRedirects(response, "/desa/pondok/pengaturan/")
        self.village.refresh_from_db()
        # The WhatsApp and workflow settings are the village's own.
        self.assertEqual(
            (
                self.village.ticket_prefix,
                self.village.approval_chain,
                self.village.deliver_on_whatsapp,
            ),
            ("PDK", "operator-kades", False),
        )
        self.assertEqual((self.village.session_idle_hours, self.village.handoff_hours), (6, 12))
        self.assertEqual(
            self.village.office_hours["senin"], [["08:00", "12:00"], ["13:00", "15:00"]]
        )
        self.assertEqual(self.village.office_hours["selasa"], [])
        form["office_hours_text"] = "senin 15:00-08:00"
        response = self.client.post("/desa/pondok/pengaturan/", form)
        self.assertContains(response, "jam buka harus sebelum jam tutup")
