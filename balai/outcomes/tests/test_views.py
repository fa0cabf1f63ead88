"""Dashboards, indicator management, exports, the JSON API and its tokens."""

import csv
import datetime as dt
import io
from unittest import mock

from django.urls import reverse

from balai.outcomes import tables
from balai.outcomes.models import ApiToken, Indicator, Kind, ManualValue, Target, hash_token
from balai.outcomes.tests import fixture
from balai.test import BaseTestCase
from balai.villages.models import AuditEvent, Village
from balai.villages.roles import Role

NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=dt.UTC)


class ViewsTest(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.data = fixture.build(cls)
        cls.programme = cls.data["programme"]

    def setUp(self):
        patcher = mock.patch.object(Village, "local_now", lambda v: NOW.astimezone(v.tz))
        patcher.start()
        self.addCleanup(patcher.stop)
        self.slug = self.village.slug
        self.board_url = reverse("outcomes:programme", args=[self.slug, self.programme.code])

    def add_standard(self):
        self.login(self.staff[Role.PENDAMPING])
        url = reverse("outcomes:programme_standard", args=[self.slug, self.programme.code])
        return self.client.post(url)

    def test_programme_board_for_facilitator_and_dpl(self):
        self.assertRedirects(self.add_standard(), self.board_url)
        self.assertEqual(Indicator.objects.filter(programme=self.programme).count(), 12)
        self.add_standard()  # a second press adds nothing
        self.assertEqual(Indicator.objects.filter(programme=self.programme).count(), 12)
        sales = Indicator.objects.get(programme=self.programme, kind=Kind.SALES)
        self.assertEqual(
            (sales.baseline_start, sales.baseline_end), (dt.date(2026, 4, 1), dt.date(2026, 6, 1))
        )

        response = self.client.get(self.board_url)
        self.assertContains(response, "Rp 115.000")  # sales per participant now
        self.assertContains(response, "Rp 80.000")  # its baseline, computed
        self.assertContains(response, "Pakai indikator siap pakai")
        self.assertContains(response, 'src="data:image/svg+xml;base64,', count=4)
        self.assertContains(response, "1 mengundurkan diri")
        self.assertNotContains(response, "Wati")  # withdrew: not on the page at all

        self.login(self.staff[Role.DPL])
        response = self.client.get(self.board_url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Pakai indikator siap pakai")
        self.assertNotContains(response, "Tambah indikator")
        url = reverse("outcomes:indicator", args=[self.slug, sales.code])
        self.assertNotContains(self.client.get(url), "Simpan target")
        self.assertEqual(
            self.client.post(reverse("outcomes:target", args=[self.slug, sales.code])).status_code,
            403,
        )

    def test_village_board_lists_programmes(self):
        self.login(self.staff[Role.KADES])
        response = self.client.get(reverse("outcomes:village", args=[self.slug]))
        self.assertContains(response, "Hasil program desa")
        self.assertContains(response, self.programme.title)
        self.assertContains(response, "Akses API")  # the kades manages the village

    def test_indicator_forms(self):
        self.login(self.staff[Role.PENDAMPING])
        add = reverse("outcomes:programme_indicator_add", args=[self.slug, self.programme.code])
        response = self.client.post(add, {"kind": "manual", "direction": "higher"})
        self.assertContains(response, "Wajib diisi untuk indikator manual.")
        response = self.client.post(
            add,
            {"kind": "post_pass", "direction": "higher", "baseline_start": "2026-06",
             "baseline_end": "2026-05"},
        )  # fmt: skip
        self.assertContains(response, "Bulan akhir baseline sebelum bulan awalnya.")
        response = self.client.post(
            add, {"kind": "post_pass", "direction": "higher", "baseline_start": "juni"}
        )
        self.assertContains(response, "Tulis bulan sebagai TTTT-BB")
        response = self.client.post(add, {"kind": "post_pass", "direction": "higher"})
        made = Indicator.objects.get(programme=self.programme, kind="post_pass")
        self.assertRedirects(response, reverse("outcomes:indicator", args=[self.slug, made.code]))
        self.assertEqual((made.name, made.unit), ("Peserta lulus post-test", "%"))

        target = reverse("outcomes:target", args=[self.slug, made.code])
        self.client.post(target, {"period": "2026-09", "value": "80"})
        self.client.post(target, {"period": "2026-09", "value": "85"})
        self.assertEqual(
            list(made.targets.values_list("period", "value")), [(dt.date(2026, 9, 1), 85)]
        )
        response = self.client.post(target, {"period": "bulan lalu", "value": "1"}, follow=True)
        self.assertContains(response, "Target belum tersimpan")
        detail = self.client.get(reverse("outcomes:indicator", args=[self.slug, made.code]))
        self.assertContains(detail, "Belum tercapai")  # 50% against 85%
        self.assertContains(detail, "Perempuan")  # breakdown
        self.client.post(target, {"period": "2026-09", "value": ""})
        self.assertFalse(Target.objects.filter(indicator=made).exists())

        # Ready-made indicators take no typed values.
        value = reverse("outcomes:value", args=[self.slug, made.code])
        response = self.client.post(value, {"period": "2026-09", "value": "3"}, follow=True)
        self.assertContains(response, "dihitung Balai dari data")
        self.assertFalse(ManualValue.objects.exists())

    def test_manual_values(self):
        self.login(self.staff[Role.PENDAMPING])
        manual = Indicator.objects.create(
            village=self.village, programme=self.programme, name="Akun usaha", unit="peserta"
        )
        url = reverse("outcomes:value", args=[self.slug, manual.code])
        self.client.post(url, {"period": "2026-09", "value": "3"})
        self.client.post(url, {"period": "2026-10", "value": "4"})
        self.client.post(url, {"period": "2026-10", "value": "5"})  # a correction
        self.client.post(
            url, {"period": "2026-10", "value": "2", "dimension": "gender", "group": "Perempuan"}
        )
        response = self.client.post(
            url, {"period": "2026-10", "value": "2", "dimension": "gender"}, follow=True
        )
        self.assertContains(response, "Isi rincian dan kelompoknya bersama-sama")
        self.assertEqual(ManualValue.objects.filter(indicator=manual).count(), 4)
        response = self.client.get(self.board_url)
        board = response.context["board"]
        view = next(v for v in board.indicators if v.indicator == manual)
        self.assertEqual(view.result.value, 5.0)
        self.assertEqual(view.result.series, {dt.date(2026, 9, 1): 3.0, dt.date(2026, 10, 1): 5.0})
        self.assertEqual(view.breakdown, {"gender": [("Perempuan", 2.0, 0)]})

    def test_exports_do_not_carry_formulas(self):
        Indicator.objects.create(
            village=self.village, programme=self.programme, name="=HYPERLINK(\"http://x\")",
            unit="-",
        )  # fmt: skip
        self.login(self.staff[Role.DPL])
        body = self.client.get(
            reverse("outcomes:programme_csv", args=[self.slug, self.programme.code, "indikator"])
        ).content.decode("utf-8-sig")
        row = next(csv.DictReader(io.StringIO(body)))
        self.assertEqual((row["nama"], row["satuan"]), ('\'=HYPERLINK("http://x")', "'-"))
        from openpyxl import load_workbook

        url = reverse("outcomes:programme_xlsx", args=[self.slug, self.programme.code])
        book = load_workbook(io.BytesIO(self.client.get(url).content))
        cell = book["indikator"]["C2"]
        self.assertEqual((cell.data_type, cell.value), ("s", '\'=HYPERLINK("http://x")'))

    def test_exports_parse_back(self):
        self.add_standard()
        for name, spec in tables.TABLES.items():
            url = reverse("outcomes:programme_csv", args=[self.slug, self.programme.code, name])
            response = self.client.get(url)
            self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            with self.subTest(table=name):
                self.assertEqual(
                    list(rows[0]) if rows else [], [c.key for c in spec.columns] if rows else []
                )
        indicators = self.client.get(
            reverse("outcomes:programme_csv", args=[self.slug, self.programme.code, "indikator"])
        )
        rows = list(csv.DictReader(io.StringIO(indicators.content.decode("utf-8-sig"))))
        sales = next(r for r in rows if r["jenis"] == "sales")
        self.assertEqual(
            (sales["baseline"], sales["capaian"], sales["baseline_sumber"]),
            ("80000", "115000", "dihitung"),
        )
        people = self.client.get(
            reverse(
                "outcomes:programme_csv", args=[self.slug, self.programme.code, "penjualan_peserta"]
            )
        ).content.decode("utf-8-sig")
        self.assertNotIn("Siti", people)  # codes, never names
        self.assertIn(self.data["part"]["A"].code, people)

        from openpyxl import load_workbook

        response = self.client.get(
            reverse("outcomes:programme_xlsx", args=[self.slug, self.programme.code])
        )
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        self.assertEqual(book.sheetnames, [*tables.TABLES, "kamus_data"])
        sheet = list(book["indikator"].iter_rows(values_only=True))
        self.assertEqual(list(sheet[0]), [c.key for c in tables.TABLES["indikator"].columns])
        self.assertEqual(len(sheet) - 1, 12)
        guide = list(book["kamus_data"].iter_rows(values_only=True))
        described = {(t, c) for t, c, *_ in guide[1:] if c}
        expected = {(t.name, c.key) for t in tables.TABLES.values() for c in t.columns}
        self.assertEqual(described, expected)
        monthly = list(book["penjualan_bulanan"].iter_rows(values_only=True))
        self.assertIn(("2026-08", 300_000, 2, 150_000, 1, "pembanding"), monthly)
        # Village scope and a table that does not exist.
        self.assertEqual(
            self.client.get(reverse("outcomes:xlsx", args=[self.slug])).status_code, 200
        )
        self.assertEqual(
            self.client.get(reverse("outcomes:csv", args=[self.slug, "rahasia"])).status_code, 404
        )


class ApiTest(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.data = fixture.build(cls)

    def setUp(self):
        patcher = mock.patch.object(Village, "local_now", lambda v: NOW.astimezone(v.tz))
        patcher.start()
        self.addCleanup(patcher.stop)

    def make_token(self, village=None, user=None):
        village = village or self.village
        user = user or self.staff[Role.KADES]
        self.login(user)
        response = self.client.post(
            reverse("outcomes:tokens", args=[village.slug]), {"name": "Power BI"}
        )
        self.client.logout()
        return response

    def get(self, url, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(url, headers=headers)

    def test_token_made_once_and_stored_hashed(self):
        response = self.make_token()
        raw = response.context["created"]
        self.assertTrue(raw.startswith("blt_"))
        self.assertContains(response, raw)
        token = ApiToken.objects.get(village=self.village)
        self.assertEqual(token.digest, hash_token(raw))
        self.assertNotIn(raw, str(ApiToken.objects.values_list().get()))
        self.assertTrue(AuditEvent.objects.filter(action="outcomes.token_create").exists())
        self.login(self.staff[Role.KADES])
        self.assertNotContains(self.client.get(reverse("outcomes:tokens", args=[self.slug])), raw)
        # Facilitators and the DPL cannot make tokens.
        self.login(self.staff[Role.PENDAMPING])
        self.assertEqual(
            self.client.get(reverse("outcomes:tokens", args=[self.slug])).status_code, 403
        )

    @property
    def slug(self):
        return self.village.slug

    def test_api_reads_with_a_token_only(self):
        raw = self.make_token().context["created"]
        index = reverse("outcomes_api:index", args=[self.slug])
        self.assertEqual(self.get(index).status_code, 401)
        self.assertEqual(self.get(index).headers["WWW-Authenticate"], 'Bearer realm="balai"')
        self.assertEqual(self.get(index, "blt_wrong").status_code, 401)
        self.assertEqual(
            self.client.get(index, headers={"Authorization": f"Token {raw}"}).status_code, 401
        )
        # A staff session is no key either.
        self.login(self.staff[Role.KADES])
        self.assertEqual(self.client.get(index).status_code, 401)
        self.client.logout()

        body = self.get(index, raw).json()
        self.assertEqual(body["village"]["slug"], "pondok")
        self.assertEqual([p["code"] for p in body["programmes"]], [self.data["programme"].code])
        self.assertEqual([t["table"] for t in body["tables"]], list(tables.TABLES))

        url = reverse("outcomes_api:table", args=[self.slug, "penjualan_bulanan"])
        body = self.get(url + f"?program={self.data['programme'].code}", raw).json()
        august = next(r for r in body["rows"] if r["bulan"] == "2026-08")
        self.assertEqual(august["per_peserta_rp"], 150_000)
        self.assertEqual(self.get(url + "?program=TIDAKADA", raw).status_code, 404)
        self.assertEqual(
            self.get(reverse("outcomes_api:table", args=[self.slug, "x"]), raw).status_code, 404
        )
        self.assertIsNotNone(ApiToken.objects.get().last_used_at)
        self.assertEqual(
            self.client.post(index, headers={"Authorization": f"Bearer {raw}"}).status_code, 405
        )

    def test_tenant_isolation_and_revocation(self):
        raw = self.make_token().context["created"]
        other_raw = self.make_token(self.other_village, self.other_staff[Role.KADES]).context[
            "created"
        ]
        other = reverse("outcomes_api:index", args=[self.other_village.slug])
        self.assertEqual(self.get(other, raw).status_code, 404)
        self.assertEqual(self.get(other, other_raw).status_code, 200)
        # Another village's programme under one's own village: not found.
        from balai.programmes.models import Programme

        theirs = Programme.objects.create(
            village=self.other_village, title="Lain", purpose="x", target_group="x",
            starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 2, 1),
        )  # fmt: skip
        url = (
            reverse("outcomes_api:table", args=[self.slug, "indikator"]) + f"?program={theirs.code}"
        )
        self.assertEqual(self.get(url, raw).status_code, 404)

        token = ApiToken.objects.get(village=self.village)
        self.login(self.other_staff[Role.KADES])  # another village's admin cannot revoke it
        revoke = reverse("outcomes:token_revoke", args=[self.slug, token.code])
        self.assertEqual(self.client.post(revoke).status_code, 404)
        self.login(self.staff[Role.KADES])
        self.client.post(revoke)
        token.refresh_from_db()
        self.assertIsNotNone(token.revoked_at)
        self.assertEqual(
            self.get(reverse("outcomes_api:index", args=[self.slug]), raw).status_code, 401
        )


class RegencyTest(BaseTestCase):
    def test_platform_operators_only(self):
        fixture.build(self)
        url = reverse("outcomes:regency")
        self.assertEqual(self.client.get(url).status_code, 302)
        self.login(self.staff[Role.KADES])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.platform)
        response = self.client.get(url + "?kabupaten=Kab")
        self.assertContains(response, "Pondok")
        self.assertContains(response, "Tigawasa")
        lines = {line["label"]: line for line in response.context["lines"]}
        self.assertEqual(lines["Desa Pondok"]["participants"], 2)
        self.assertEqual(lines["Desa Tigawasa"]["participants"], 0)
        self.assertEqual(self.client.get(url + "?kabupaten=Entah").status_code, 404)
