"""The public transparency board: its numbers, what it hides, and what it costs."""

import csv
import datetime as dt
import io
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balai.complaints.models import Category, Complaint, ComplaintState
from balai.letters.models import IssuedLetter, LetterRequest, LetterType, RequestState
from balai.public import transparency
from balai.public.demo import seed_transparency_history
from balai.residents.models import Resident
from balai.test import BaseTestCase, make_village

CSS = Path(settings.BASE_DIR) / "balai/public/static/public/public.css"
BUDGET = 50 * 1024
UTC = dt.UTC
# 15 March 2026, midday in Pondok (WIB) and in Tigawasa (WITA): the board covers
# April 2025 – March 2026.
NOW = dt.datetime(2026, 3, 15, 4, 0, tzinfo=UTC)
_codes = itertools.count(1)


def local(village, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=village.tz)


def add_request(
    village,
    slug,
    submitted,
    *,
    state=RequestState.SUBMITTED,
    completed=None,
    issued=None,
    due=None,
    resident=None,
    answers=None,
):
    """A request as the workflow leaves it, with ``issued`` making an IssuedLetter."""
    letter_type = LetterType.objects.get(village=village, slug=slug)
    resident = resident or village.residents.first()
    request = LetterRequest.objects.create(
        village=village,
        code=f"TST-{next(_codes):06d}",
        letter_type=letter_type,
        resident=resident,
        contact=resident,
        identity="matched",
        answers=answers or {},
        state=state,
        submitted_at=submitted,
        due_date=due or letter_type.due_date(submitted.astimezone(village.tz).date()),
        completed_at=completed,
    )
    if issued:
        number = next(_codes)
        IssuedLetter.objects.create(
            request=request,
            village=village,
            number=f"470/{number:03d}/TEST",
            sequence=number,
            issued_at=issued,
            signer_name="Kepala Desa",
            signer_title="Kepala Desa",
            sha256="0" * 64,
            verify_token=f"token-{number}",
        )
    return request


def add_complaint(village, slug, submitted, *, state=ComplaintState.RECEIVED, resolved=None, **kw):
    return Complaint.objects.create(
        village=village,
        code=f"TSC-{next(_codes):06d}",
        category=Category.objects.get(village=village, slug=slug),
        description=kw.pop("description", "Jalan rusak."),
        resident=kw.pop("resident", None) or village.residents.first(),
        state=state,
        submitted_at=submitted,
        resolved_at=resolved,
        **kw,
    )


def bulk_requests(village, per_cell: int, months: int = 12, types=None):
    """``per_cell`` completed requests for every letter type in each of the last ``months``
    months before NOW (one day to complete, on time)."""
    resident = village.residents.first()
    types = types or list(LetterType.objects.filter(village=village))
    rows = []
    for back in range(months):
        first = transparency.last_months(village, NOW)[-1 - back].start
        for letter_type in types:
            for i in range(per_cell):
                submitted = first + dt.timedelta(days=1, hours=i)
                rows.append(
                    LetterRequest(
                        village=village,
                        code=f"TSB-{next(_codes):07d}",
                        letter_type=letter_type,
                        resident=resident,
                        contact=resident,
                        identity="matched",
                        state=RequestState.COMPLETED,
                        submitted_at=submitted,
                        due_date=(submitted + dt.timedelta(days=5)).date(),
                        completed_at=submitted + dt.timedelta(days=1),
                    )
                )
    LetterRequest.objects.bulk_create(rows)


def bulk_complaints(village, per_cell: int, months: int = 12):
    resident = village.residents.first()
    rows = []
    for back in range(months):
        first = transparency.last_months(village, NOW)[-1 - back].start
        for category in Category.objects.filter(village=village):
            for i in range(per_cell):
                submitted = first + dt.timedelta(days=2, hours=i)
                rows.append(
                    Complaint(
                        village=village,
                        code=f"TSK-{next(_codes):07d}",
                        category=category,
                        description="Lampu mati.",
                        resident=resident,
                        state=ComplaintState.CLOSED,
                        submitted_at=submitted,
                        resolved_at=submitted + dt.timedelta(days=3),
                    )
                )
    Complaint.objects.bulk_create(rows)


def cells(html: str) -> list[str]:
    """The numbers in the page's tables, as shown."""
    return re.findall(r"<td class=n>([^<\n]*)", html)


def service(board, slug):
    return next(s for s in board["letters"]["services"] if s["slug"] == slug)


def category(board, slug):
    return next(c for c in board["complaints"]["categories"] if c["slug"] == slug)


def month(row, key):
    return next(m for m in row["months"] if m["month"] == key)


class TransparencyTestCase(BaseTestCase):
    def setUp(self):
        cache.clear()
        patcher = mock.patch("django.utils.timezone.now", return_value=NOW)
        patcher.start()
        self.addCleanup(patcher.stop)


class NumbersTest(TransparencyTestCase):
    def test_counts_medians_and_on_time_share_per_service_and_month(self):
        v = self.village  # WIB
        sent = local(v, 2026, 2, 2, 9, 0)
        feb4, feb6, feb11 = dt.date(2026, 2, 4), dt.date(2026, 2, 6), dt.date(2026, 2, 11)
        day = dt.timedelta(days=1)
        # Five letters done: 1 day (delivered), 2 days (issued, waiting for pickup), 3 days
        # (issued a day late, picked up much later: timed by the issue), 4.6 days (23:30 on
        # the promised day: on time), 9.6 days (00:30 the day after: late).
        add_request(v, "domisili", sent, state="completed", completed=sent + day, due=feb4)
        add_request(v, "domisili", sent, state="ready", issued=sent + 2 * day, due=feb4)
        add_request(
            v,
            "domisili",
            sent,
            state="completed",
            issued=sent + 3 * day,
            completed=sent + 18 * day,
            due=feb4,
        )
        add_request(
            v, "domisili", sent, state="completed", completed=local(v, 2026, 2, 6, 23, 30), due=feb6
        )
        add_request(
            v,
            "domisili",
            sent,
            state="completed",
            completed=local(v, 2026, 2, 12, 0, 30),
            due=feb11,
        )
        # Received but not completed: rejected, cancelled, still open.
        for state in ["rejected", "cancelled", "in_review"]:
            add_request(v, "domisili", sent, state=state)

        board = transparency.compute_board(v, NOW)

        feb = month(service(board, "domisili"), "2026-02")
        self.assertEqual(feb["received"], {"value": 8, "suppressed": False})
        self.assertEqual(feb["completed"], {"value": 5, "suppressed": False})
        self.assertEqual(feb["median_days"], {"value": 3.0, "suppressed": False})
        self.assertEqual(feb["on_time_pct"], {"value": 60, "suppressed": False})  # 3 of 5
        self.assertEqual(board["months"][0], "2025-04")
        self.assertEqual(board["months"][-1], "2026-03")
        jan = month(service(board, "domisili"), "2026-01")
        self.assertEqual(jan["received"], {"value": 0, "suppressed": False})
        self.assertEqual(jan["median_days"], {"value": None, "suppressed": False})
        total = board["letters"]["total"]
        self.assertEqual(total["received"]["value"], 8)
        self.assertEqual(total["median_days"]["value"], 3.0)
        self.assertFalse(total["received"]["partial"])

    def test_months_follow_the_village_time_zone(self):
        v = self.other_village  # Tigawasa, WITA (UTC+8)
        times = {
            # 23:30 WITA on the last day of January: still January (15:30 UTC).
            "2026-01": local(v, 2026, 1, 31, 23, 30),
            # 00:30 WITA on 1 March is 28 February in UTC: March here.
            "2026-03": local(v, 2026, 3, 1, 0, 30),
            # The first minute of the board's first month.
            "2025-04": local(v, 2025, 4, 1, 0, 10),
        }
        for when in times.values():
            for _ in range(5):
                add_request(v, "skck", when)
        for _ in range(5):  # 23:30 WITA before the first month: not on the board
            add_request(v, "skck", local(v, 2025, 3, 31, 23, 30))

        board = transparency.compute_board(v, NOW)

        skck = service(board, "skck")
        counts = {m["month"]: m["received"]["value"] for m in skck["months"]}
        self.assertEqual(counts["2026-01"], 5)
        self.assertEqual(counts["2026-02"], 0)
        self.assertEqual(counts["2026-03"], 5)
        self.assertEqual(counts["2025-04"], 5)
        self.assertEqual(skck["total"]["received"]["value"], 15)

    def test_complaints_by_category(self):
        v = self.village
        sent = local(v, 2026, 2, 10, 8, 0)
        day = dt.timedelta(days=1)
        first = None
        for days, state in [(1, "resolved"), (2, "closed"), (3, "closed"), (5, "closed"),
                            (8, "resolved")]:  # fmt: skip
            c = add_complaint(v, "jalan", sent, state=state, resolved=sent + days * day)
            first = first or c
        add_complaint(v, "jalan", sent, state=ComplaintState.REOPENED)  # "belum beres"
        add_complaint(v, "jalan", sent, state=ComplaintState.REJECTED)
        # The same problem reported again and merged: counted once.
        add_complaint(v, "jalan", sent, state=ComplaintState.CLOSED, duplicate_of=first)

        board = transparency.compute_board(v, NOW)

        feb = month(category(board, "jalan"), "2026-02")
        self.assertEqual(feb["received"], {"value": 7, "suppressed": False})
        self.assertEqual(feb["resolved_pct"], {"value": 71, "suppressed": False})  # 5 of 7
        self.assertEqual(feb["median_days"], {"value": 3.0, "suppressed": False})
        self.assertEqual(board["complaints"]["total"]["received"]["value"], 7)

    def test_only_this_villages_data(self):
        for _ in range(6):
            add_request(self.other_village, "skck", local(self.other_village, 2026, 2, 3, 9, 0))
            add_complaint(self.other_village, "lampu", local(self.other_village, 2026, 2, 3, 9, 0))
        board = transparency.compute_board(self.village, NOW)
        self.assertEqual(board["letters"]["total"]["received"]["value"], 0)
        self.assertEqual(board["complaints"]["total"]["received"]["value"], 0)
        other = transparency.compute_board(self.other_village, NOW)
        self.assertEqual(other["letters"]["total"]["received"]["value"], 6)


class SuppressionTest(TransparencyTestCase):
    def setUp(self):
        super().setUp()
        v = self.village
        sent = local(v, 2026, 2, 2, 9, 0)
        done = sent + dt.timedelta(days=1)
        for _ in range(6):  # domisili in February: 6 received, all done
            add_request(v, "domisili", sent, state="completed", completed=done)
        for i in range(6):  # SKTM in February: 6 received, 3 done
            add_request(v, "sktm", sent, state="completed" if i < 3 else "submitted",
                        completed=done if i < 3 else None)  # fmt: skip
        for _ in range(3):  # SKCK in February: 3 received
            add_request(v, "skck", sent, state="completed", completed=done)
        for _ in range(2):  # complaints about lamps in February: 2
            add_complaint(v, "lampu", sent, state="closed", resolved=done)

    def test_small_cells_are_hidden_in_the_board(self):
        board = transparency.compute_board(self.village, NOW)
        hidden = {"value": None, "suppressed": True}
        sktm = month(service(board, "sktm"), "2026-02")
        self.assertEqual(sktm["received"], {"value": 6, "suppressed": False})
        self.assertEqual(sktm["completed"], hidden)
        self.assertEqual(sktm["median_days"], hidden)
        self.assertEqual(sktm["on_time_pct"], hidden)
        skck = month(service(board, "skck"), "2026-02")
        self.assertEqual(skck["received"], hidden)
        lampu = month(category(board, "lampu"), "2026-02")
        self.assertEqual(lampu["received"], hidden)
        self.assertEqual(lampu["resolved_pct"], hidden)

    def test_totals_cannot_reveal_a_hidden_cell(self):
        board = transparency.compute_board(self.village, NOW)
        letters = board["letters"]
        feb = next(m for m in letters["by_month"] if m["month"] == "2026-02")
        # 6 + 6 shown; SKCK's 3 are not added, or "15 - 6 - 6" would give them away.
        self.assertEqual(feb["received"], {"value": 12, "suppressed": False, "partial": True})
        # Only domisili's 6 completed letters are shown; SKTM's 3 and SKCK's 3 are left out.
        self.assertEqual(feb["completed"], {"value": 6, "suppressed": False, "partial": True})
        self.assertEqual(letters["total"]["received"]["value"], 12)
        self.assertEqual(letters["total"]["completed"]["value"], 6)
        skck = service(board, "skck")
        self.assertEqual(
            skck["total"]["received"], {"value": 0, "suppressed": False, "partial": True}
        )
        self.assertEqual(board["complaints"]["total"]["received"]["value"], 0)
        self.assertTrue(board["complaints"]["total"]["received"]["partial"])
        # Every count anywhere on the board is 0 or at least the threshold.
        counts = []

        def walk(node):
            if isinstance(node, dict):
                if "suppressed" in node and isinstance(node["value"], int):
                    counts.append(node["value"])
                for child in node.values():
                    walk(child)
            elif isinstance(node, list):
                for child in node:
                    walk(child)

        walk({k: board[k] for k in ("letters", "complaints")})
        self.assertTrue(counts)
        self.assertFalse([n for n in counts if 0 < n < transparency.THRESHOLD])

    def test_page_csv_and_json_hide_them(self):
        page = self.client.get("/d/pondok/transparansi/").content.decode()
        self.assertIn("&lt;5", cells(page))
        self.assertIn("12*", cells(page))  # February, all services
        self.assertIn(
            '<meta property="og:description" content="12 bulan terakhir: sedikitnya 12 '
            'permohonan surat, 100% selesai tepat waktu.">',
            page,
        )

        body = self.client.get("/d/pondok/transparansi.csv").content.decode("utf-8-sig")
        rows = {(r[0], r[1], r[2]): r for r in csv.reader(io.StringIO(body))}
        sktm = rows[("Permohonan surat", "Surat Keterangan Tidak Mampu (SKTM)", "2026-02")]
        self.assertEqual(sktm[3:8], ["6", "", "", "", ""])
        self.assertEqual(sktm[8], "selesai; median hari; selesai tepat waktu (%)")
        skck = next(r for k, r in rows.items() if k[2] == "2026-02" and "SKCK" in k[1])
        self.assertEqual(skck[3:5], ["", ""])
        domisili = next(r for k, r in rows.items() if k[2] == "2026-02" and "Domisili" in k[1])
        self.assertEqual(domisili[3:8], ["6", "6", "1.0", "100", ""])
        self.assertEqual(domisili[8], "")
        lampu = rows[("Pengaduan dan aspirasi", "Lampu jalan", "2026-02")]
        self.assertEqual(lampu[3], "")
        self.assertEqual(lampu[7], "")

        data = self.client.get("/d/pondok/transparansi.json").json()
        self.assertEqual(data["suppression"]["threshold"], 5)
        self.assertIn("suppressed", data["definitions"])
        sktm = month(service(data, "sktm"), "2026-02")
        self.assertEqual(sktm["completed"], {"value": None, "suppressed": True})


class PagesTest(TransparencyTestCase):
    def test_no_personal_data_anywhere(self):
        v = self.village
        people = [
            Resident.objects.create(
                village=v,
                name=f"Kadek Rahasiawati {i}",
                phone=f"+62812555000{i:02d}",
                nik=f"33110255029100{i:02d}",
            )
            for i in range(6)
        ]
        sent = local(v, 2026, 2, 2, 9, 0)
        codes = []
        for person in people:
            r = add_request(
                v,
                "domisili",
                sent,
                state="completed",
                completed=sent + dt.timedelta(days=1),
                resident=person,
                answers={"keperluan": "melamar kerja di pabrik gula"},
            )
            c = add_complaint(
                v, "jalan", sent, resident=person, description="Jalan depan rumah Pak Warsito"
            )
            codes += [r.code, c.code]
        outputs = [
            self.client.get(f"/d/pondok/transparansi{suffix}").content.decode("utf-8-sig")
            for suffix in ["/", ".csv", ".json"]
        ] + [
            self.client.get(f"/d/pondok/transparansi/grafik/{name}.svg").content.decode()
            for name in transparency.CHARTS
        ]
        self.assertIn("6", cells(outputs[0]))  # the data is there…
        secrets = [p.name for p in people] + [p.phone for p in people] + [p.nik for p in people]
        secrets += [p.phone[1:] for p in people] + codes + ["Rahasiawati", "pabrik gula", "Warsito"]
        secrets += [self.resident.name, self.resident.phone, self.resident.nik]
        for text in outputs:  # …but nobody in it
            for secret in secrets:
                self.assertNotIn(secret, text)

    def test_other_villages_numbers_never_appear(self):
        for _ in range(7):
            add_request(self.other_village, "skck", local(self.other_village, 2026, 2, 3, 9, 0),
                        resident=self.other_resident)  # fmt: skip
        page = self.client.get("/d/pondok/transparansi/").content.decode()
        self.assertIn("Belum ada data", page)
        self.assertNotIn("7", cells(page))
        data = self.client.get("/d/pondok/transparansi.json").json()
        self.assertEqual(data["village"]["slug"], "pondok")
        self.assertEqual(data["letters"]["total"]["received"]["value"], 0)
        other = self.client.get("/d/tigawasa/transparansi/").content.decode()
        self.assertIn("7", cells(other))
        self.assertNotIn(self.other_resident.name, other)

    def test_unknown_village_and_chart_are_404(self):
        for path in [
            "/d/nowhere/transparansi/",
            "/d/nowhere/transparansi.csv",
            "/d/nowhere/transparansi.json",
            "/d/nowhere/transparansi/grafik/permohonan.svg",
            "/d/pondok/transparansi/grafik/rahasia.svg",
            "/d/pondok/transparansi/grafik/permohonan.png.svg",
        ]:
            self.assertEqual(self.client.get(path).status_code, 404, path)

    def test_no_login_and_read_only(self):
        self.assertEqual(self.client.get("/d/pondok/transparansi/").status_code, 200)
        self.assertEqual(self.client.post("/d/pondok/transparansi/").status_code, 405)

    def test_new_village_empty_state(self):
        village = make_village("baru", "Baru", "Asia/Jayapura", "94.01.01.2001", "Papua")
        response = self.client.get("/d/baru/transparansi/")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("Belum ada data", html)
        self.assertNotIn("<img", html)
        self.assertIn('<meta property="og:title" content="Transparansi layanan Desa Baru">', html)
        self.assertIn("WIT", html)
        self.assertIn('<meta property="og:description" content="Berapa permohonan surat', html)
        rows = list(csv.reader(io.StringIO(self.client.get("/d/baru/transparansi.csv")
                                           .content.decode("utf-8-sig"))))  # fmt: skip
        types = LetterType.objects.filter(village=village).count()
        categories = Category.objects.filter(village=village).count()
        self.assertEqual(len(rows), 1 + 12 * (types + categories))
        self.assertEqual(rows[1][3:5], ["0", "0"])
        for name in transparency.CHARTS:
            svg = self.client.get(f"/d/baru/transparansi/grafik/{name}.svg").content.decode()
            self.assertIn("Belum ada data", svg)

    def test_page_weight_with_twelve_services_for_twelve_months(self):
        self.assertEqual(LetterType.objects.filter(village=self.village).count(), 12)
        bulk_requests(self.village, per_cell=5)
        bulk_complaints(self.village, per_cell=5)
        response = self.client.get("/d/pondok/transparansi/")
        html = response.content.decode()
        self.assertNotIn("&lt;5", cells(html))  # every cell has a number
        self.assertEqual(len(cells(html)), 4 * (13 + 12 + 12 * 12) + 3 * (9 + 12 + 8 * 12))
        self.assertEqual(html.count("<details>"), 12 + 8 + 1)
        weight = len(response.content) + CSS.stat().st_size
        self.assertLess(weight, BUDGET, f"{weight} bytes")
        self.assertIn("Transparansi layanan Desa Pondok", html)
        self.assertIn(
            '<meta property="og:description" content="12 bulan terakhir: 720 permohonan surat, '
            '100% selesai tepat waktu; 480 pengaduan dan aspirasi, 100% ditangani.">',
            html,
        )
        for name in transparency.CHARTS:
            self.assertIn(
                f'<img class="chart" src="/d/pondok/transparansi/grafik/{name}.svg" '
                'loading="lazy" width="480" height="300" alt="',
                html,
            )

    def test_charts_are_svg_with_their_labels(self):
        sent = local(self.village, 2026, 2, 2, 9, 0)
        for _ in range(6):
            add_request(self.village, "domisili", sent, state="completed",
                        completed=sent + dt.timedelta(days=1))  # fmt: skip
            add_complaint(self.village, "jalan", sent, state="closed",
                          resolved=sent + dt.timedelta(days=2))  # fmt: skip
        expected = {
            "permohonan": ["Masuk", "Selesai", "Feb", "Apr", "2025"],
            "tepat-waktu": ["100%", "Feb", "selesai tepat waktu"],
            "pengaduan": ["Jalan/jembatan", "Lampu jalan", "6 · 100%", "ditangani"],
        }
        for name, labels in expected.items():
            response = self.client.get(f"/d/pondok/transparansi/grafik/{name}.svg")
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response["Content-Type"], "image/svg+xml")
            self.assertIn("public", response["Cache-Control"])
            self.assertIn("max-age=300", response["Cache-Control"])
            self.assertIn("default-src 'none'", response["Content-Security-Policy"])
            root = ET.fromstring(response.content)
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
            texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
            for label in labels:
                self.assertIn(label, texts, name)
            self.assertNotIn(b"<script", response.content)
            self.assertLess(len(response.content), 40_000)

    def test_csv_and_json_downloads(self):
        bulk_requests(self.village, per_cell=5, months=2)
        response = self.client.get("/d/pondok/transparansi.csv")
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment", response["Content-Disposition"])
        self.assertTrue(response.content.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(rows[0][:4], ["Bagian", "Layanan/kategori", "Bulan", "Masuk"])
        letter_rows = [r for r in rows if r[0] == "Permohonan surat"]
        self.assertEqual(len(letter_rows), 12 * 12)
        self.assertEqual(len([r for r in rows if r[0] == "Pengaduan dan aspirasi"]), 8 * 12)
        self.assertIn(["Permohonan surat", "Surat Keterangan Domisili", "2026-03", "5", "5",
                       "1.0", "100", "", ""], rows)  # fmt: skip

        data = self.client.get("/d/pondok/transparansi.json").json()
        self.assertEqual(data["suppression"]["threshold"], transparency.THRESHOLD)
        self.assertEqual(data["generated_at"], "2026-03-15T11:00:00+07:00")
        self.assertEqual(data["time_zone"], "Asia/Jakarta")
        self.assertEqual(len(data["months"]), 12)
        self.assertEqual(len(data["letters"]["services"]), 12)
        self.assertEqual(len(data["letters"]["by_month"]), 12)
        self.assertEqual(data["letters"]["total"]["received"]["value"], 120)
        domisili = service(data, "domisili")
        self.assertEqual(domisili["promised_days"], 2)
        self.assertEqual(len(domisili["months"]), 12)
        self.assertEqual(set(domisili["months"][-1]), {"month", "received", "completed",
                                                       "median_days", "on_time_pct"})  # fmt: skip
        self.assertEqual(set(data["complaints"]["categories"][0]["total"]),
                         {"received", "resolved_pct", "median_days"})  # fmt: skip


class CacheTest(TransparencyTestCase):
    def test_served_from_the_cache_until_it_goes_stale(self):
        def received(board):
            return board["letters"]["total"]["received"]["value"]

        sent = local(self.village, 2026, 3, 2, 9, 0)
        for _ in range(5):
            add_request(self.village, "domisili", sent)
        self.assertEqual(received(transparency.get_board(self.village)), 5)
        for _ in range(5):
            add_request(self.village, "domisili", sent)
        soon = NOW + dt.timedelta(seconds=transparency.CACHE_SECONDS - 1)
        with self.assertNumQueries(1):  # one cache read, no counting
            self.assertEqual(received(transparency.get_board(self.village, soon)), 5)

        stale = NOW + dt.timedelta(seconds=transparency.CACHE_SECONDS + 1)
        key = transparency.cache_key(self.village, stale)
        # Another request is already computing it: this one serves the stale board.
        cache.add(f"{key}:lock", 1)
        self.assertEqual(received(transparency.get_board(self.village, stale)), 5)
        # It has finished (the lock is gone): the next request computes it again.
        cache.delete(f"{key}:lock")
        self.assertEqual(received(transparency.get_board(self.village, stale)), 10)
        self.assertIsNone(cache.get(f"{key}:lock"))
        with self.assertNumQueries(1):
            self.assertEqual(received(transparency.get_board(self.village, stale)), 10)

    def test_a_new_month_is_a_new_board(self):
        board = transparency.get_board(self.village)
        self.assertEqual(board["months"][-1], "2026-03")
        april = local(self.village, 2026, 4, 1, 0, 5)
        self.assertEqual(transparency.get_board(self.village, april)["months"][-1], "2026-04")

    def test_each_village_its_own_entry_and_forget(self):
        for _ in range(5):
            add_request(self.other_village, "skck", local(self.other_village, 2026, 3, 2, 9, 0))
        self.assertEqual(
            transparency.get_board(self.village)["letters"]["total"]["received"]["value"], 0
        )
        self.assertEqual(
            transparency.get_board(self.other_village)["letters"]["total"]["received"]["value"], 5
        )
        self.assertNotEqual(
            transparency.cache_key(self.village, NOW),
            transparency.cache_key(self.other_village, NOW),
        )
        for _ in range(5):
            add_request(self.village, "skck", local(self.village, 2026, 3, 2, 9, 0))
        transparency.forget(self.village)
        self.assertEqual(
            transparency.get_board(self.village)["letters"]["total"]["received"]["value"], 5
        )

    def test_board_queries_do_not_grow_with_the_data(self):
        def queries():
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get("/d/pondok/transparansi/").status_code, 200)
            return len(captured)

        add_request(self.village, "domisili", local(self.village, 2026, 3, 2, 9, 0))
        small = queries()
        bulk_requests(self.village, per_cell=6)
        bulk_complaints(self.village, per_cell=6)
        cache.clear()
        with self.assertNumQueries(small):
            self.client.get("/d/pondok/transparansi/")
        self.assertEqual(queries(), small)
        # The village, the cache read, six for the board, and the database cache's write
        # (count, savepoint, read, insert, release).
        self.assertEqual(small, 1 + 1 + 6 + 5)
        # Charts and downloads of the same board: no counting at all.
        with CaptureQueriesContext(connection) as captured:
            self.client.get("/d/pondok/transparansi.json")
        self.assertLessEqual(len(captured), 2)


class DemoHistoryTest(TransparencyTestCase):
    def test_months_of_history_that_fill_the_board(self):
        for i in range(20):
            Resident.objects.create(village=self.village, name=f"Warga {i}")
        made = seed_transparency_history(self.village, months=6)
        self.assertGreater(made["requests"], 300)
        self.assertGreater(made["complaints"], 100)
        requests = LetterRequest.objects.filter(village=self.village)
        self.assertEqual(requests.values("code").distinct().count(), requests.count())
        self.assertTrue(requests.filter(code__startswith="PON-2510-").exists())
        self.assertFalse(requests.filter(submitted_at__gt=NOW).exists())
        self.assertFalse(requests.filter(completed_at__gt=NOW).exists())
        self.assertFalse(
            Complaint.objects.filter(village=self.village, resolved_at__gt=NOW).exists()
        )
        for request in requests.filter(state="completed")[:50]:
            self.assertGreater(request.completed_at, request.submitted_at)
            self.assertEqual(request.events.last().state, "completed")

        board = transparency.compute_board(self.village, NOW)
        domisili = month(service(board, "domisili"), "2026-01")
        self.assertGreaterEqual(domisili["received"]["value"], 10)
        self.assertIsNotNone(domisili["median_days"]["value"])
        self.assertTrue(50 <= board["letters"]["total"]["on_time_pct"]["value"] < 100)
        self.assertTrue(board["letters"]["total"]["received"]["partial"])  # rare letters hidden
        self.assertGreater(board["complaints"]["total"]["received"]["value"], 50)

        # Every total is the sum of the cells shown, across and down, and nothing else.
        for section, rows in [("letters", "services"), ("complaints", "categories")]:
            data = board[section]
            for row in data[rows]:
                shown = sum(m["received"]["value"] or 0 for m in row["months"])
                self.assertEqual(row["total"]["received"]["value"], shown)
            for i, by_month in enumerate(data["by_month"]):
                shown = sum(row["months"][i]["received"]["value"] or 0 for row in data[rows])
                self.assertEqual(by_month["received"]["value"], shown)
            self.assertEqual(
                data["total"]["received"]["value"],
                sum(m["received"]["value"] for m in data["by_month"]),
            )
        self.assertEqual(
            board["letters"]["total"]["completed"]["value"],
            sum(
                m["completed"]["value"] or 0
                for s in board["letters"]["services"]
                for m in s["months"]
            ),
        )

        self.assertEqual(seed_transparency_history(self.village), {"requests": 0, "complaints": 0})
