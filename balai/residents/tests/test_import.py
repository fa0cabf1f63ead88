"""Importing the resident register from CSV/XLSX: OpenSID's layout and Balai's template,
row-by-row checks, all-or-nothing writes, and no NIK outside the masked form."""

import csv
import datetime as dt
import io
from unittest import mock

import openpyxl
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from balai.residents.actions import do_import_residents
from balai.residents.importer import (
    TEMPLATE_HEADERS,
    ImportFileError,
    parse_date,
    plan_import,
)
from balai.residents.models import Resident
from balai.test import BaseTestCase
from balai.villages.models import Area, AuditEvent
from balai.villages.roles import Role

IMPORT = "/desa/pondok/impor-warga/"
CONFIRM = "/desa/pondok/impor-warga/simpan/"
TEMPLATE = "/desa/pondok/impor-warga/templat.csv"


def nik(day: int, serial: int, female: bool = False, month: int = 1, year: int = 90) -> str:
    """A valid NIK in Kab. Sukoharjo (33.11.02) with the birth date encoded."""
    return f"331102{day + (40 if female else 0):02d}{month:02d}{year:02d}{serial:04d}"


def csv_file(headers, rows, name="warga.csv", delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def xlsx_file(rows, name="penduduk.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def balai_row(name, number, **extra):
    row = {
        "nama": name,
        "nik": number,
        "no_kk": "3311020101100777",
        "jenis_kelamin": "L",
        "tempat_lahir": "Sukoharjo",
        "tanggal_lahir": "01-01-1990",
        "kepala_keluarga": "tidak",
        "dusun": "Krajan",
        "rw": "",
        "rt": "001",
        "alamat": "Jl. Mawar 1",
        "pekerjaan": "Petani/Pekebun",
        "no_hp": "",
    }
    row.update(extra)
    return [row[h] for h in TEMPLATE_HEADERS]


class ImportTestCase(BaseTestCase):
    def setUp(self):
        self.login(self.operator)

    def upload(self, file):
        return self.client.post(IMPORT, {"berkas": file})

    def register_count(self):
        return Resident.objects.filter(village=self.village).count()


class BalaiTemplateImportTest(ImportTestCase):
    def test_template_download_has_balai_headers(self):
        response = self.client.get(TEMPLATE)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(rows, [TEMPLATE_HEADERS])

    def test_csv_preview_then_confirm_creates_residents_and_areas(self):
        file = csv_file(
            TEMPLATE_HEADERS,
            [
                balai_row(
                    "Budi Santoso",
                    nik(1, 11),
                    kepala_keluarga="ya",
                    dusun="KRAJAN",  # the existing dusun, in OpenSID's upper case
                    rw="1",
                    rt="2",
                    no_hp="0812 3456 7001",
                ),
                balai_row(
                    "Sri Wahyuni",
                    nik(2, 12, female=True),
                    jenis_kelamin="P",
                    tanggal_lahir="1990-01-02",
                    dusun="Ngasem",
                    rw="-",
                    rt="3",
                ),
                balai_row("Agus", nik(3, 13), tanggal_lahir="03/01/1990", dusun="", rt=""),
            ],
        )
        before = self.register_count()
        response = self.upload(file)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Pratinjau impor")
        self.assertContains(response, "format templat Balai")
        self.assertContains(response, "<strong>3</strong>warga baru", html=False)
        self.assertContains(response, "Dusun Ngasem")
        self.assertContains(response, "Impor sekarang")
        self.assertNotContains(response, "disabled")
        # Nothing is written before the confirmation.
        self.assertEqual(self.register_count(), before)
        self.assertFalse(Area.objects.filter(village=self.village, name="Ngasem").exists())

        response = self.client.post(CONFIRM)
        self.assertRedirects(response, "/desa/pondok/warga/")
        self.assertEqual(self.register_count(), before + 3)

        budi = Resident.objects.with_nik(nik(1, 11)).get(village=self.village)
        self.assertEqual(
            (budi.name, budi.gender, budi.birth_date, budi.phone, budi.is_head_of_family),
            ("Budi Santoso", "L", dt.date(1990, 1, 1), "+6281234567001", True),
        )
        self.assertTrue(budi.is_verified)
        self.assertEqual(budi.kk, "3311020101100777")
        self.assertEqual(budi.area.label, "RT 002, RW 001, Dusun Krajan")
        self.assertEqual(budi.area.parent.parent, self.dusun)  # Krajan reused, not duplicated
        sri = Resident.objects.with_nik(nik(2, 12, female=True)).get()
        self.assertEqual((sri.gender, sri.birth_date), ("P", dt.date(1990, 1, 2)))
        self.assertEqual(sri.area.label, "RT 003, Dusun Ngasem")
        agus = Resident.objects.with_nik(nik(3, 13)).get()
        self.assertEqual((agus.birth_date, agus.area), (dt.date(1990, 1, 3), None))
        self.assertEqual(Area.objects.filter(village=self.village, kind="dusun").count(), 2)

        event = AuditEvent.objects.get(action="resident.import")
        self.assertEqual((event.actor, event.village), (self.operator, self.village))
        self.assertEqual(
            (event.detail["created"], event.detail["updated"], event.detail["areas_created"]),
            (3, 0, 4),
        )
        # The upload is gone: a second confirm imports nothing.
        self.assertRedirects(self.client.post(CONFIRM), IMPORT)
        self.assertEqual(self.register_count(), before + 3)
        self.assertEqual(AuditEvent.objects.filter(action="resident.import").count(), 1)

    def test_semicolon_csv_from_indonesian_excel(self):
        file = csv_file(
            ["Nama", "NIK", "Tanggal Lahir"],
            [["Rina", nik(4, 14, female=True), "04-01-1990"]],
            delimiter=";",
        )
        response = self.upload(file)
        self.assertContains(response, "<strong>1</strong>warga baru", html=False)
        self.client.post(CONFIRM)
        self.assertEqual(Resident.objects.with_nik(nik(4, 14, female=True)).get().name, "Rina")

    def test_existing_nik_updates_that_person(self):
        file = csv_file(
            TEMPLATE_HEADERS,
            [
                balai_row(
                    "SITI AMINAH",
                    "3311024501900001",
                    jenis_kelamin="P",
                    tanggal_lahir="05-01-1990",
                    alamat="Jl. Melati 7",
                    rt="004",
                )
            ],
        )
        response = self.upload(file)
        self.assertContains(response, "<strong>0</strong>warga baru", html=False)
        self.assertContains(response, "<strong>1</strong>diperbarui", html=False)
        self.assertContains(response, "Memperbarui data Siti Aminah")

        before = self.register_count()
        self.client.post(CONFIRM)
        self.assertEqual(self.register_count(), before)
        siti = Resident.objects.get(pk=self.resident.pk)
        self.assertEqual(
            (siti.name, siti.address, siti.area.name), ("SITI AMINAH", "Jl. Melati 7", "004")
        )
        self.assertTrue(siti.is_verified)
        self.assertEqual(siti.phone, "+6281234567890")  # an empty cell never clears data
        self.assertEqual(siti.kk, "3311020101100777")
        event = AuditEvent.objects.get(action="resident.import")
        self.assertEqual((event.detail["created"], event.detail["updated"]), (0, 1))

    def test_confirm_checks_again_when_the_register_changed_since_the_preview(self):
        file = csv_file(
            TEMPLATE_HEADERS, [balai_row("Andi", nik(8, 81)), balai_row("Beni", nik(9, 82))]
        )
        self.upload(file)
        # Meanwhile Beni wrote on WhatsApp and gave his NIK.
        Resident.objects.create(village=self.village, name="Beni WA", nik=nik(9, 82))
        response = self.client.post(CONFIRM)
        self.assertContains(response, "Data warga berubah sejak pratinjau", status_code=409)
        self.assertContains(response, "Memperbarui data Beni WA", status_code=409)
        self.assertFalse(Resident.objects.with_nik(nik(8, 81)).exists())
        self.assertRedirects(self.client.post(CONFIRM), "/desa/pondok/warga/")
        self.assertEqual(Resident.objects.with_nik(nik(9, 82)).get().name, "Beni")
        self.assertTrue(Resident.objects.with_nik(nik(8, 81)).exists())

    def test_phone_already_used_is_a_note_not_an_error(self):
        file = csv_file(
            TEMPLATE_HEADERS,
            [
                balai_row("Bayu", nik(5, 15), no_hp="081234567890"),  # Siti's number
                balai_row("Dewi", nik(6, 16, female=True), no_hp="0812 9999 0001"),
                balai_row("Eko", nik(7, 17), no_hp="0812 9999 0001"),  # a shared family phone
            ],
        )
        response = self.upload(file)
        self.assertContains(response, "sudah dipakai Siti Aminah")
        self.assertContains(response, "Nomor HP sama dengan baris 3")
        self.client.post(CONFIRM)
        phones = dict(
            Resident.objects.filter(
                village=self.village, name__in=["Bayu", "Dewi", "Eko"]
            ).values_list("name", "phone")
        )
        self.assertEqual(phones, {"Bayu": "", "Dewi": "+6281299990001", "Eko": ""})


class OpenSidImportTest(ImportTestCase):
    HEADERS = [
        "NIK",
        "No. KK",
        "NAMA",
        "SEX",
        "Tempat Lahir",
        "TanggalLahir",
        "kk_level",
        "agama_id",
        "alamat",
        "dusun",
        "rw",
        "rt",
        "pekerjaan_id",
        "telepon",
        "status_dasar",
    ]

    def test_xlsx_in_opensid_layout_with_a_title_row(self):
        file = xlsx_file(
            [
                ["DATA PENDUDUK DESA PONDOK"],
                [],
                self.HEADERS,
                [
                    int(nik(8, 18)),  # NIK stored as a number cell
                    "3311020101100888",
                    "JOKO WIDODO",
                    1,
                    "SUKOHARJO",
                    dt.datetime(1990, 1, 8),  # an Excel date cell
                    1,
                    1,
                    "JL. KENANGA",
                    "DUSUN NGASEM",
                    "001",
                    "005",
                    9,
                    "6281234560008",
                    1,
                ],
                [
                    nik(9, 19, female=True),
                    "3311020101100888",
                    "SUMARNI",
                    2,
                    "KLATEN",
                    "09-01-1990",
                    3,
                    1,
                    "JL. KENANGA",
                    "NGASEM",
                    "1",
                    "5",
                    2,
                    "",
                    1,
                ],
                [
                    nik(10, 20),
                    "'3311020101100999",
                    "ANAK",
                    "L",
                    "SUKOHARJO",
                    32883,  # Excel's day number for 10-01-1990, without a date format
                    4,
                    1,
                    "",
                    "NGASEM",
                    "001",
                    "005",
                    3,
                    None,
                    1,
                ],
            ]
        )
        response = self.upload(file)
        self.assertContains(response, "format OpenSID")
        self.assertContains(response, "<strong>3</strong>warga baru", html=False)
        self.assertContains(response, "agama_id")  # listed as ignored
        self.client.post(CONFIRM)

        joko = Resident.objects.with_nik(nik(8, 18)).get()
        self.assertEqual(
            (joko.name, joko.gender, joko.birth_place, joko.birth_date),
            ("JOKO WIDODO", "L", "SUKOHARJO", dt.date(1990, 1, 8)),
        )
        self.assertEqual(
            (joko.is_head_of_family, joko.occupation, joko.phone),
            (True, "Petani/Pekebun", "+6281234560008"),
        )
        self.assertEqual(joko.area.label, "RT 005, RW 001, Dusun Ngasem")
        sumarni = Resident.objects.with_nik(nik(9, 19, female=True)).get()
        self.assertEqual(
            (sumarni.gender, sumarni.is_head_of_family, sumarni.occupation),
            ("P", False, "Mengurus Rumah Tangga"),
        )
        self.assertEqual(sumarni.area, joko.area)  # "1"/"001" and "5"/"005" are the same
        anak = Resident.objects.with_nik(nik(10, 20)).get()
        self.assertEqual((anak.birth_date, anak.kk), (dt.date(1990, 1, 10), "3311020101100999"))
        self.assertEqual(Area.objects.filter(village=self.village, name="Ngasem").count(), 1)

    def test_opensid_csv_with_l_p_codes(self):
        file = csv_file(
            ["nik", "no_kk", "nama", "sex", "tempatlahir", "tanggallahir", "kk_level", "no_hp"],
            [[nik(11, 21), "3311020101100111", "WAWAN", "LK", "SOLO", "1990-01-11", "1", ""]],
        )
        self.upload(file)
        self.client.post(CONFIRM)
        wawan = Resident.objects.with_nik(nik(11, 21)).get()
        self.assertEqual((wawan.gender, wawan.is_head_of_family), ("L", True))


class RowErrorTest(ImportTestCase):
    def ten_rows_with_an_error_on_row_7(self):
        # Row 1 is the header; rows 2–10 are people. Row 7 has a bad date and a bad KK.
        rows = [balai_row(f"Warga {i}", nik(i, 100 + i)) for i in range(1, 10)]
        rows[5] = balai_row("Warga 6", nik(6, 106), tanggal_lahir="31-02-1990", no_kk="12345")
        return csv_file(TEMPLATE_HEADERS, rows)

    def test_error_in_row_7_blocks_the_whole_file(self):
        before = self.register_count()
        response = self.upload(self.ten_rows_with_an_error_on_row_7())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Belum bisa diimpor")
        self.assertContains(
            response, "<td>Baris 7</td><td><code>tanggal_lahir</code></td>", html=False
        )
        self.assertContains(response, "<td>Baris 7</td><td><code>no_kk</code></td>", html=False)
        self.assertContains(response, "Nomor KK harus 16 angka.")
        self.assertContains(response, ">1</strong>baris bermasalah", html=False)
        self.assertContains(response, "3311********0106")  # the row's NIK, masked
        self.assertContains(response, "disabled")
        self.assertNotContains(response, "Baris 6</td>")
        self.assertNotContains(response, "Baris 8</td>")

        # The confirm POST refuses: nothing was kept to import.
        response = self.client.post(CONFIRM)
        self.assertRedirects(response, IMPORT)
        self.assertEqual(self.register_count(), before)
        self.assertFalse(Area.objects.filter(village=self.village, name="001").exists())
        self.assertFalse(AuditEvent.objects.filter(action="resident.import").exists())

    def test_a_good_upload_then_a_bad_one_leaves_nothing_to_confirm(self):
        self.upload(csv_file(TEMPLATE_HEADERS, [balai_row("Tono", nik(12, 22))]))
        self.upload(self.ten_rows_with_an_error_on_row_7())
        self.client.post(CONFIRM)
        self.assertFalse(Resident.objects.with_nik(nik(12, 22)).exists())

    def test_the_action_refuses_a_plan_with_errors(self):
        file = self.ten_rows_with_an_error_on_row_7()
        plan = plan_import(self.village, file.read(), "warga.csv")
        self.assertEqual({e.row for e in plan.errors}, {7})
        with self.assertRaises(ValueError):
            do_import_residents(self.village, plan, self.operator)

    def test_required_values_and_duplicates_within_the_file(self):
        file = csv_file(
            TEMPLATE_HEADERS,
            [
                balai_row("", nik(1, 31)),
                balai_row("Tanpa NIK", ""),
                balai_row("Pertama", nik(2, 32)),
                balai_row("Kedua", nik(2, 32)),
                balai_row("Salah JK", nik(3, 33), jenis_kelamin="X"),
                balai_row("Salah HP", nik(4, 34), no_hp="12"),
                balai_row("NIK Excel", "3,31102E+15"),
                balai_row("NIK provinsi", "9911020101900001"),
            ],
        )
        response = self.upload(file)
        content = response.content.decode()
        for row, column, message in [
            (2, "nama", "Nama wajib diisi."),
            (3, "nik", "NIK wajib diisi."),
            (5, "nik", "NIK sama dengan baris 4"),
            (6, "jenis_kelamin", "Jenis kelamin"),
            (7, "no_hp", "Nomor telepon"),
            (8, "nik", "angka ilmiah"),
            (9, "nik", "bukan kode provinsi"),
        ]:
            with self.subTest(row=row):
                self.assertIn(f"<td>Baris {row}</td><td><code>{column}</code></td>", content)
                self.assertIn(message, content)
        self.assertEqual(AuditEvent.objects.filter(action="resident.import").count(), 0)


class FileProblemTest(ImportTestCase):
    def test_missing_required_column(self):
        response = self.upload(csv_file(["nama", "tanggal_lahir"], [["Budi", "01-01-1990"]]))
        self.assertContains(response, "Kolom wajib tidak ada: nik", status_code=400)

    def test_no_header_row(self):
        response = self.upload(csv_file(["a", "b"], [["1", "2"]]))
        self.assertContains(response, "Baris judul kolom tidak ditemukan", status_code=400)

    def test_empty_file_and_header_only(self):
        response = self.upload(SimpleUploadedFile("kosong.csv", b""))
        self.assertContains(response, "Berkas kosong", status_code=400)
        response = self.upload(csv_file(TEMPLATE_HEADERS, []))
        self.assertContains(response, "belum ada data warga", status_code=400)

    def test_wrong_file_types(self):
        for name, data, message in [
            ("foto.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "Jenis berkas tidak didukung"),
            ("data.pdf", b"%PDF-1.7 ...", "Jenis berkas tidak didukung"),
            ("lama.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 50, "Excel lama (.xls)"),
            ("rusak.xlsx", b"PK\x03\x04" + b"\x00" * 50, "Berkas Excel"),
            ("biner.csv", b"nama,nik\x00\x01\x02", "Jenis berkas tidak didukung"),
        ]:
            with self.subTest(name=name):
                response = self.upload(SimpleUploadedFile(name, data))
                self.assertContains(response, message, status_code=400)
        self.assertRedirects(self.client.post(CONFIRM), IMPORT)

    def test_too_big(self):
        data = b"nama,nik\n" + b"x" * (5 * 1024 * 1024)
        response = self.upload(SimpleUploadedFile("besar.csv", data))
        self.assertContains(response, "lebih dari 5 MB", status_code=400)

    def test_too_many_rows(self):
        rows = [balai_row(f"Warga {i}", nik(1, 200 + i)) for i in range(6)]
        with mock.patch("balai.residents.importer.MAX_ROWS", 5):
            response = self.upload(csv_file(TEMPLATE_HEADERS, rows))
        self.assertContains(response, "lebih dari 5 baris", status_code=400)

    def test_no_file(self):
        response = self.client.post(IMPORT, {})
        self.assertContains(response, "Pilih berkas", status_code=400)

    def test_dates(self):
        for value, expected in [
            ("25-12-1990", dt.date(1990, 12, 25)),
            ("1990-12-25", dt.date(1990, 12, 25)),
            ("25/12/1990", dt.date(1990, 12, 25)),
            ("1990-12-25 00:00:00", dt.date(1990, 12, 25)),
            (dt.datetime(1990, 12, 25, 0, 0), dt.date(1990, 12, 25)),
            (33232, dt.date(1990, 12, 25)),
        ]:
            with self.subTest(value=value):
                self.assertEqual(parse_date(value), expected)
        for value in ["31-02-1990", "kemarin", "12-25-1990", "01-01-2999"]:
            with self.subTest(value=value), self.assertRaises(ValidationError):
                parse_date(value)

    def test_plan_import_raises_for_a_bad_file(self):
        with self.assertRaises(ImportFileError):
            plan_import(self.village, b"", "x.csv")


class PrivacyTest(ImportTestCase):
    def test_nik_and_kk_never_appear_unmasked(self):
        good, short = nik(13, 41), "331102130190004"  # 15 digits
        file = csv_file(
            TEMPLATE_HEADERS,
            [
                balai_row("Baik", good, no_kk="3311020101104242"),
                balai_row("Pendek", short),
                balai_row("Salah tanggal", nik(14, 42), tanggal_lahir=nik(15, 43)),
            ],
        )
        response = self.upload(file)
        content = response.content.decode()
        for secret in [good, short, nik(14, 42), nik(15, 43), "3311020101104242"]:
            self.assertNotIn(secret, content)
        self.assertIn("3311********0042", content)  # the row with the error, masked

        file = csv_file(TEMPLATE_HEADERS, [balai_row("Baik", good, no_kk="3311020101104242")])
        response = self.upload(file)
        self.assertNotIn(good, response.content.decode())
        # The session holds an opaque key; the URL of every step carries nothing personal.
        response = self.client.post(CONFIRM)
        for url in [IMPORT, CONFIRM, response["Location"]]:
            self.assertNotIn(good, url)
        response = self.client.get(response["Location"])
        self.assertNotIn(good, response.content.decode())
        self.assertContains(response, "3311********0041")

    def test_upload_is_kept_under_an_opaque_key_and_only_for_its_user(self):
        self.upload(csv_file(TEMPLATE_HEADERS, [balai_row("Baik", nik(16, 44))]))
        token = self.client.session["resident_import"]
        self.assertNotIn(nik(16, 44), token)
        self.assertIsNotNone(cache.get("resident-import:" + token))
        # Another office member cannot confirm someone else's upload.
        self.login(self.staff[Role.KADES])
        session = self.client.session
        session["resident_import"] = token
        session.save()
        self.assertRedirects(self.client.post(CONFIRM), IMPORT)
        self.assertFalse(Resident.objects.with_nik(nik(16, 44)).exists())


class ImportAccessTest(ImportTestCase):
    def test_office_roles_may_import_others_may_not(self):
        for role in [Role.OPERATOR, Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES]:
            self.login(self.staff[role])
            with self.subTest(role=role):
                self.assertEqual(self.client.get(IMPORT).status_code, 200)
                self.assertEqual(self.client.get(TEMPLATE).status_code, 200)
        for role in [Role.PENDAMPING, Role.DPL]:
            self.login(self.staff[role])
            with self.subTest(role=role):
                self.assertEqual(self.client.get(IMPORT).status_code, 403)
                file = csv_file(TEMPLATE_HEADERS, [balai_row("X", nik(17, 45))])
                self.assertEqual(self.upload(file).status_code, 403)
                self.assertEqual(self.client.post(CONFIRM).status_code, 403)
                self.assertEqual(self.client.get(TEMPLATE).status_code, 403)

    def test_other_village_staff_get_404(self):
        self.login(self.other_staff[Role.KADES])
        file = csv_file(TEMPLATE_HEADERS, [balai_row("X", nik(18, 46))])
        self.assertEqual(self.upload(file).status_code, 404)
        self.assertEqual(self.client.get(IMPORT).status_code, 404)
        self.assertEqual(self.client.post(CONFIRM).status_code, 404)
        self.assertEqual(self.client.get(TEMPLATE).status_code, 404)
        self.assertFalse(Resident.objects.with_nik(nik(18, 46)).exists())

    def test_an_upload_for_one_village_cannot_be_confirmed_in_another(self):
        self.upload(csv_file(TEMPLATE_HEADERS, [balai_row("X", nik(19, 47))]))
        token = self.client.session["resident_import"]
        # The same person working in both villages.
        from balai.villages.actions import do_add_staff

        do_add_staff(
            self.other_village,
            username=self.operator.username,
            full_name="Op",
            role=Role.OPERATOR,
            password=None,
        )
        session = self.client.session
        session["resident_import"] = token
        session.save()
        self.assertRedirects(
            self.client.post("/desa/tigawasa/impor-warga/simpan/"), "/desa/tigawasa/impor-warga/"
        )
        self.assertFalse(Resident.objects.with_nik(nik(19, 47)).exists())

    def test_list_links_to_import_and_queue_for_office_roles(self):
        response = self.client.get("/desa/pondok/warga/")
        self.assertContains(response, 'href="/desa/pondok/impor-warga/"')
        self.assertContains(response, 'href="/desa/pondok/verifikasi-warga/"')
