"""Letter documents: default templates, PDFs, signing (numbers, QR, SHA-256), verification,
the template editor and the download of issued letters."""

import datetime as dt
import hashlib
import io
import threading
from unittest import mock

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import close_old_connections, connection
from django.test import TransactionTestCase

from balai.core.models import Counter
from balai.letters import documents
from balai.letters import templates_views as views
from balai.letters.actions import do_submit_request
from balai.letters.catalogue import DEFAULT_LETTER_TYPES
from balai.letters.documents import (
    PLACEHOLDERS,
    default_html,
    do_issue_letter,
    matches,
    template_errors,
    verification,
    verify_url,
)
from balai.letters.models import IssuedLetter, LetterTemplate, LetterType, RequestState
from balai.residents.models import Resident
from balai.test import BaseTestCase, make_village
from balai.villages.actions import do_add_staff
from balai.villages.models import AuditEvent
from balai.villages.roles import Role

MANAGERS = [Role.OPERATOR, Role.SEKDES, Role.KADES]
NOT_MANAGERS = [Role.KASI_PELAYANAN, Role.PENDAMPING, Role.DPL]
PX_PER_MM = 96 / 25.4


def page_text(document) -> str:
    """The text WeasyPrint laid out, page by page (pypdf is not a dependency)."""
    return " ".join(
        box.text
        for page in document.pages
        for box in page._page_box.descendants()
        if hasattr(box, "text")
    )


def page_size_mm(document) -> list[tuple[int, int]]:
    return [(round(p.width / PX_PER_MM), round(p.height / PX_PER_MM)) for p in document.pages]


class DocumentTestCase(BaseTestCase):
    def submit(self, slug="sktm", answers=None, resident=None):
        resident = resident or self.resident
        return do_submit_request(
            letter_type=LetterType.objects.get(village=resident.village, slug=slug),
            resident=resident,
            contact=resident,
            identity="matched",
            answers=answers if answers is not None else {"keperluan": "biaya sekolah"},
            attachments=[],
        )

    def issue(self, request=None, signer=None):
        """Sign, keeping the HTML and paper that went into the PDF."""
        calls = []
        real = documents.render_pdf

        def spy(html, paper="A4"):
            pdf = real(html, paper)
            calls.append((html, paper, pdf))
            return pdf

        with mock.patch.object(documents, "render_pdf", spy):
            letter = do_issue_letter(
                request or self.submit(), signer=signer or self.staff[Role.KADES]
            )
        return letter, calls


class DefaultTemplateTest(DocumentTestCase):
    def test_every_seeded_type_has_its_own_complete_letter(self):
        self.assertEqual(len(DEFAULT_LETTER_TYPES), 12)
        generic = default_html(LetterType(village=self.village, slug="tidak-ada", fields=[]))
        for spec in DEFAULT_LETTER_TYPES:
            letter_type = LetterType.objects.get(village=self.village, slug=spec["slug"])
            html = default_html(letter_type)
            with self.subTest(slug=spec["slug"]):
                self.assertNotEqual(html, generic)
                self.assertEqual(template_errors(letter_type, html), [])
                for field in spec["fields"]:
                    self.assertIn(f"[form_{field['key']}]", html)
                for name in ("nama", "nik", "ttl", "alamat", "nomor_surat", "tanggal_surat"):
                    self.assertIn(f"[{name}]", html)
                self.assertIn("[jabatan_penandatangan]", html)
                self.assertIn("[nama_penandatangan]", html)
                self.assertIn("[qr_code]", html)
                self.assertIn("Pindai untuk memeriksa keaslian surat ini", html)
                self.assertNotIn("<!--", html)  # every snippet marker was filled

    def test_previews_render_for_every_type_with_sample_data(self):
        for letter_type in LetterType.objects.filter(village=self.village):
            with self.subTest(slug=letter_type.slug):
                html = documents.preview_html(letter_type)
                self.assertNotIn(self.resident.name, html)
                self.assertIn("CONTOH", html)
                self.assertNotRegex(html, r"\[(nama|nik|nomor_surat|form_[a-z_]+)\]")
                document = documents.render_document(html, "A4")
                self.assertEqual(page_size_mm(document), [(210, 297)])  # one page each
                self.assertIn("Budi Santoso (contoh)", page_text(document))
                self.assertIn(f"/{self.village.official_code[-4:]}/", page_text(document))

    def test_a_new_letter_type_gets_the_generic_body_with_its_answers(self):
        letter_type = LetterType.objects.create(
            village=self.village,
            slug="custom",
            name="Surat Keterangan Penghasilan",
            keyword="GAJI",
            fields=[{"key": "gaji", "label": "Penghasilan", "kind": "amount"}],
        )
        html = default_html(letter_type)
        self.assertIn("[isian_surat]", html)
        self.assertEqual(template_errors(letter_type, html), [])
        text = page_text(documents.render_document(documents.preview_html(letter_type)))
        self.assertIn("Penghasilan", text)
        self.assertIn("Rp1.500.000", text)

    def test_template_errors(self):
        sktm = LetterType.objects.get(village=self.village, slug="sktm")
        html = default_html(sktm)
        self.assertEqual(template_errors(sktm, html), [])
        errors = template_errors(sktm, html.replace("[nama]", "[nama_bapak]"))
        self.assertEqual(len(errors), 1)
        self.assertIn("[nama_bapak]", errors[0])
        # Another type's field is not this type's placeholder.
        self.assertIn("[form_nama_usaha]", template_errors(sktm, html + "[form_nama_usaha]")[0])
        self.assertIn("[qr_code]", template_errors(sktm, html.replace("[qr_code]", ""))[0])
        self.assertIn("[nomor_surat]", template_errors(sktm, "<p>[nama] [qr_code]</p>")[0])
        # CSS attribute selectors are not placeholders.
        styled = html.replace("</style>", "td[colspan] { color: black; }</style>")
        self.assertEqual(template_errors(sktm, styled), [])
        self.assertTrue(set(PLACEHOLDERS) >= {"nama", "nik", "ttl", "alamat", "qr_code"})


class RenderTest(DocumentTestCase):
    def test_paper_sizes(self):
        html = "<p>Halaman</p>"
        self.assertEqual(page_size_mm(documents.render_document(html, "A4")), [(210, 297)])
        self.assertEqual(page_size_mm(documents.render_document(html, "F4")), [(215, 330)])
        # A template cannot change the paper chosen for it.
        sized = "<style>@page { size: A5 }</style><p>x</p>"
        self.assertEqual(page_size_mm(documents.render_document(sized, "F4")), [(215, 330)])
        self.assertTrue(documents.render_pdf(html, "F4").startswith(b"%PDF-"))

    def test_nothing_is_fetched_but_data_uris(self):
        fetcher = documents._fetcher()
        for url in [
            "http://127.0.0.1:9/logo.png",
            "https://example.org/x.css",
            "file:///etc/hostname",
            "ftp://example.org/a",
        ]:
            with self.subTest(url=url), self.assertRaises(ValueError):
                fetcher.fetch(url)
        response = fetcher.fetch("data:text/plain;base64,aGFsbw==")
        self.assertEqual(response.read(), b"halo")
        with mock.patch("urllib.request.OpenerDirector.open") as opened:
            html = (
                '<style>@import url("http://127.0.0.1:9/a.css");</style>'
                '<img src="http://127.0.0.1:9/a.png"><img src="file:///etc/hostname"><p>ok</p>'
            )
            self.assertTrue(documents.render_pdf(html).startswith(b"%PDF"))
        opened.assert_not_called()

    def test_values_are_escaped_and_the_logo_is_inlined(self):
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
        self.village.logo.save("pondok.png", ContentFile(buffer.getvalue()))
        request = self.submit(answers={"keperluan": "<b>beasiswa</b> & [nik]"})
        _letter, calls = self.issue(request)
        html = calls[0][0]
        self.assertIn("&lt;b&gt;beasiswa&lt;/b&gt; &amp; [nik]", html)
        self.assertNotIn("<b>beasiswa</b>", html)
        self.assertIn('<img src="data:image/png;base64,', html)
        # No letterhead lines in the village settings: a default from its names.
        self.assertIn("PEMERINTAH KABUPATEN KAB", html)
        self.assertIn("DESA PONDOK", html)


class IssueTest(DocumentTestCase):
    def test_signing_makes_the_pdf_with_number_name_nik_and_qr(self):
        request = self.submit()
        letter, calls = self.issue(request)
        self.assertEqual(len(calls), 1)
        html, paper, pdf = calls[0]

        # The stored file is exactly the PDF that was rendered, and its SHA-256 is stored.
        letter.pdf.open("rb")
        stored = letter.pdf.read()
        letter.pdf.close()
        self.assertEqual(stored, pdf)
        self.assertTrue(stored.startswith(b"%PDF-"))
        self.assertEqual(letter.sha256, hashlib.sha256(stored).hexdigest())
        # Named by the ticket (storage adds a suffix when the name is taken).
        name = letter.pdf.name.rsplit("/", 1)[-1]
        self.assertTrue(name.startswith(request.code) and name.endswith(".pdf"), name)
        self.assertNotIn(self.resident.nik, letter.pdf.name)

        # Number, dates, signer.
        local = letter.issued_at.astimezone(self.village.tz).date()
        roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
        self.assertEqual(letter.number, f"460/001/2010/{roman[local.month - 1]}/{local.year}")
        self.assertEqual(letter.sequence, 1)
        self.assertEqual(letter.valid_until, local + dt.timedelta(days=30))
        self.assertEqual(letter.village, self.village)
        self.assertEqual(letter.signer, self.staff[Role.KADES])
        self.assertEqual(
            (letter.signer_title, letter.signer_name), ("Kepala Desa", "Kepala Desa A")
        )

        # What the PDF shows: the letter laid out from the same HTML.
        document = documents.render_document(html, paper)
        self.assertEqual(page_size_mm(document), [(210, 297)])
        text = page_text(document)
        for expected in [
            letter.number,
            "Siti Aminah",
            self.resident.nik,  # in full: an official document
            "5 Januari 1990",
            "Perempuan",
            "biaya sekolah",
            "Kepala Desa Pondok",
            "Kepala Desa A",
            "Pindai untuk memeriksa keaslian surat ini",
            "SURAT KETERANGAN TIDAK MAMPU",
        ]:
            self.assertIn(expected, text)

        # The QR code encodes the verification URL of this letter's token.
        self.assertGreaterEqual(len(letter.verify_token), 20)
        self.assertRegex(letter.verify_token, r"^[A-Za-z0-9_-]+$")
        url = verify_url(letter.verify_token)
        self.assertEqual(url, f"{settings.SITE_URL}/v/{letter.verify_token}")
        self.assertIn(documents.qr_data_uri(url), html)

    def test_the_template_and_paper_of_the_village_are_used(self):
        sktm = LetterType.objects.get(village=self.village, slug="sktm")
        LetterTemplate.objects.create(
            letter_type=sktm,
            paper="F4",
            html="<h1>SKTM DESA KAMI</h1><p>[nama] [nomor_surat]</p>[qr_code]",
        )
        letter, calls = self.issue()
        html, paper, _pdf = calls[0]
        self.assertEqual(paper, "F4")
        document = documents.render_document(html, paper)
        self.assertEqual(page_size_mm(document), [(215, 330)])
        self.assertIn(f"Siti Aminah {letter.number}", page_text(document))

    def test_issuing_is_idempotent(self):
        request = self.submit()
        first, _ = self.issue(request)
        again, calls = self.issue(request, signer=self.staff[Role.SEKDES])
        self.assertEqual(again.pk, first.pk)
        self.assertEqual(calls, [])  # nothing rendered, no number taken
        self.assertEqual(IssuedLetter.objects.count(), 1)
        self.assertEqual(Counter.objects.get(scope__startswith="letter:").value, 1)
        # The next request gets the next number.
        second, _ = self.issue(self.submit())
        self.assertEqual(second.sequence, 2)
        self.assertNotEqual(second.verify_token, first.verify_token)

    def test_a_cancelled_request_is_not_signed(self):
        request = self.submit()
        request.state = RequestState.CANCELLED
        request.save()
        with self.assertRaises(ValueError):
            do_issue_letter(request, signer=self.staff[Role.KADES])
        self.assertFalse(IssuedLetter.objects.exists())
        self.assertFalse(Counter.objects.filter(scope__startswith="letter:").exists())

    def test_membership_title_signs_the_letter(self):
        membership = self.staff[Role.KADES].memberships.get(village=self.village)
        membership.title = "Kepala Desa Pondok"
        membership.save()
        letter, calls = self.issue()
        self.assertEqual(letter.signer_title, "Kepala Desa")
        self.assertIn("Kepala Desa Pondok", calls[0][0])
        self.assertNotIn("Kepala Desa Pondok Pondok", calls[0][0])


class VerificationTest(DocumentTestCase):
    def test_verification_shows_the_letter_but_hides_the_person(self):
        letter, _ = self.issue()
        info = verification(letter.verify_token)
        self.assertEqual(info["number"], letter.number)
        self.assertEqual(info["letter_type"], "Surat Keterangan Tidak Mampu (SKTM)")
        self.assertEqual(info["name"], "Si*** Am****")
        self.assertEqual(info["signer_name"], "Kepala Desa A")
        self.assertEqual(info["signer_title"], "Kepala Desa")
        self.assertEqual(info["sha256"], letter.sha256)
        self.assertEqual(info["valid_until"], letter.valid_until)
        self.assertTrue(info["is_valid"])
        self.assertEqual(
            set(info),
            {
                "number",
                "letter_type",
                "village",
                "issued_on",
                "valid_until",
                "is_valid",
                "name",
                "signer_name",
                "signer_title",
                "sha256",
            },
        )
        shown = repr(info)
        self.assertNotIn("Siti", shown)
        self.assertNotIn("Aminah", shown)
        for piece in (self.resident.nik, self.resident.nik[:6], self.resident.nik[-4:]):
            self.assertNotIn(piece, shown)
        self.assertIsNone(verification("tidak-ada-token-seperti-ini"))
        self.assertIsNone(verification(""))

    def test_matches_only_the_exact_pdf(self):
        letter, _ = self.issue()
        with letter.pdf.open("rb") as f:
            pdf = f.read()
        self.assertTrue(matches(letter.verify_token, pdf))
        middle = len(pdf) // 2
        tampered = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :]
        self.assertTrue(len(tampered) == len(pdf) and tampered != pdf)
        self.assertFalse(matches(letter.verify_token, tampered))
        self.assertFalse(matches(letter.verify_token, pdf + b"\n"))
        self.assertFalse(matches("tidak-ada", pdf))
        # A pasted hash, as typed on the public page: case and spaces do not matter, and
        # anything that is not 64 hex digits (other scripts included) is simply no match.
        typed = " ".join(letter.sha256.upper()[i : i + 8] for i in range(0, 64, 8))
        self.assertTrue(documents.matches_hash(letter.verify_token, typed))
        self.assertFalse(documents.matches_hash(letter.verify_token, "é" * 64))
        self.assertFalse(documents.matches_hash(letter.verify_token, "٣" * 64))

    def test_name_masking(self):
        mask = documents.mask_name
        self.assertEqual(mask("Siti Aminah"), "Si*** Am****")
        self.assertEqual(mask("I Gusti Ngurah Rai"), "I*** Gu*** Ng**** Ra***")
        self.assertEqual(mask("Ni Wayan"), "N*** Wa***")


class EditorTest(DocumentTestCase):
    def setUp(self):
        self.sktm = LetterType.objects.get(village=self.village, slug="sktm")
        self.url = "/desa/pondok/surat/templat/sktm/"
        self.preview = "/desa/pondok/surat/templat/sktm/pratinjau.pdf"

    def test_only_those_who_manage_the_village_edit_templates(self):
        for role in MANAGERS:
            with self.subTest(role=role):
                self.login(self.staff[role])
                response = self.client.get(self.url)
                self.assertContains(response, "[form_keperluan]")
                self.assertContains(response, "[qr_code]")
                self.assertContains(response, "Pratinjau")
                self.assertEqual(self.client.get("/desa/pondok/surat/templat/").status_code, 200)
        for role in NOT_MANAGERS:
            with self.subTest(role=role):
                self.login(self.staff[role])
                self.assertEqual(self.client.get(self.url).status_code, 403)
                self.assertEqual(self.client.get(self.preview).status_code, 403)
                self.assertEqual(self.client.post(self.url, self.form()).status_code, 403)
                self.assertEqual(self.client.get("/desa/pondok/surat/templat/").status_code, 403)
        self.assertFalse(LetterTemplate.objects.exists())

    def test_other_villages_staff_get_404(self):
        for role in Role:
            self.login(self.other_staff[role])
            for url in [self.url, self.preview, "/desa/pondok/surat/templat/"]:
                with self.subTest(role=role, url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)
                    self.assertEqual(self.client.post(url, self.form()).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)

    def form(self, html=None, paper="A4", **extra):
        return {"html": default_html(self.sktm) if html is None else html, "paper": paper, **extra}

    def test_preview_is_a_pdf(self):
        self.login(self.staff[Role.OPERATOR])
        response = self.client.get(self.preview)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF-"))
        # A draft is previewed as typed, on the paper chosen, without saving it.
        with mock.patch.object(views, "render_pdf", wraps=documents.render_pdf) as spy:
            draft = "<p>DRAF BARU [nama] [nomor_surat]</p>[qr_code]"
            response = self.client.post(self.preview, self.form(draft, paper="F4"))
        self.assertEqual(response["Content-Type"], "application/pdf")
        html, paper = spy.call_args.args
        self.assertIn("DRAF BARU Budi Santoso (contoh)", html)
        self.assertEqual(paper, "F4")
        self.assertFalse(LetterTemplate.objects.exists())
        # A draft with a mistake is explained, not rendered.
        response = self.client.post(self.preview, self.form("[nomor_surat] [qr_code] [namaa]"))
        self.assertContains(response, "[namaa]", status_code=400)

    def test_save_is_audited_and_reset_goes_back_to_the_default(self):
        kades = self.staff[Role.KADES]
        self.login(kades)
        html = default_html(self.sktm).replace("Yang bertanda tangan", "Kami yang bertanda tangan")
        response = self.client.post(self.url, self.form(html, paper="F4"))
        self.assertRedirects(response, self.url)
        stored = LetterTemplate.objects.get(letter_type=self.sktm)
        self.assertEqual((stored.html, stored.paper, stored.updated_by), (html, "F4", kades))
        event = AuditEvent.objects.get(action="letter_template.create")
        self.assertEqual((event.actor, event.village), (kades, self.village))
        self.assertEqual(event.detail["slug"], "sktm")
        self.assertContains(self.client.get(self.url), "Kami yang bertanda tangan")

        self.client.post(self.url, self.form(html, paper="A4"))
        self.assertTrue(AuditEvent.objects.filter(action="letter_template.update").exists())

        response = self.client.post(self.url, {"action": "reset"})
        self.assertRedirects(response, self.url)
        self.assertFalse(LetterTemplate.objects.exists())
        self.assertTrue(AuditEvent.objects.filter(action="letter_template.reset").exists())
        self.assertNotContains(self.client.get(self.url), "Kami yang bertanda tangan")

    def test_invalid_placeholders_are_refused(self):
        self.login(self.staff[Role.SEKDES])
        bad = default_html(self.sktm).replace("[nama]", "[nama_lengkap]")
        response = self.client.post(self.url, self.form(bad))
        self.assertContains(response, "Kode tidak dikenal: [nama_lengkap]")
        response = self.client.post(self.url, self.form("<p>[nama] [nomor_surat]</p>"))
        self.assertContains(response, "harus memuat [qr_code]")
        response = self.client.post(self.url, self.form(paper="B5"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(LetterTemplate.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action__startswith="letter_template").exists())


class DownloadTest(DocumentTestCase):
    def test_office_staff_download_their_villages_letters(self):
        letter, _ = self.issue()
        url = f"/desa/pondok/surat/terbit/{letter.request.code}.pdf"
        with letter.pdf.open("rb") as f:
            pdf = f.read()
        for role in [Role.OPERATOR, Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES]:
            with self.subTest(role=role):
                self.login(self.staff[role])
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Type"], "application/pdf")
                self.assertEqual(b"".join(response.streaming_content), pdf)
                self.assertIn(f'{letter.request.code}.pdf"', response["Content-Disposition"])
        self.assertEqual(AuditEvent.objects.filter(action="letter.download").count(), 4)
        for role in [Role.PENDAMPING, Role.DPL]:
            self.login(self.staff[role])
            self.assertEqual(self.client.get(url).status_code, 403)
        for role in Role:
            self.login(self.other_staff[role])
            self.assertEqual(self.client.get(url).status_code, 404)

    def test_another_villages_letter_is_404_under_own_slug(self):
        other_letter, _ = self.issue(
            self.submit(resident=self.other_resident), signer=self.other_staff[Role.KADES]
        )
        self.login(self.staff[Role.KADES])
        code = other_letter.request.code
        self.assertEqual(self.client.get(f"/desa/pondok/surat/terbit/{code}.pdf").status_code, 404)
        self.assertEqual(
            self.client.get("/desa/pondok/surat/terbit/PDK-0000-0000.pdf").status_code, 404
        )
        self.login(self.other_staff[Role.KADES])
        response = self.client.get(f"/desa/tigawasa/surat/terbit/{code}.pdf")
        self.assertEqual(response.status_code, 200)


class ConcurrentSigningTest(TransactionTestCase):
    """Fifty letters signed at once from fifty database connections get 1..50."""

    COUNT = 50

    def test_parallel_signatures_get_distinct_consecutive_numbers(self):
        if connection.vendor != "postgresql":
            self.skipTest(
                "needs PostgreSQL: SQLite in tests is one in-memory connection, so there are "
                "no parallel signatures (run with DATABASE_URL=postgres://…)"
            )
        import weasyprint  # noqa: F401  (imported once here, not by fifty threads at once)

        village = make_village("paralel", "Paralel", "Asia/Jakarta", "33.11.02.2099", "Jawa")
        kades = do_add_staff(
            village,
            username="kades-paralel",
            full_name="Kades Paralel",
            role=Role.KADES,
            password=None,
        ).user
        letter_type = LetterType.objects.get(village=village, slug="domisili")
        requests = []
        for i in range(self.COUNT):
            resident = Resident.objects.create(
                village=village, name=f"Warga {i}", phone=f"+62812000{i:05d}"
            )
            requests.append(
                do_submit_request(
                    letter_type=letter_type,
                    resident=resident,
                    contact=resident,
                    identity="matched",
                    answers={"alamat": "Dusun Krajan", "keperluan": "uji"},
                    attachments=[],
                )
            )

        start = threading.Barrier(self.COUNT)
        errors = []

        def sign(request):
            try:
                start.wait(timeout=30)
                do_issue_letter(request, signer=kades)
            except Exception as e:  # surfaced below
                errors.append(e)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=sign, args=(r,)) for r in requests]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)

        self.assertEqual(errors, [])
        letters = list(IssuedLetter.objects.filter(village=village).order_by("sequence"))
        self.assertEqual([letter.sequence for letter in letters], list(range(1, self.COUNT + 1)))
        numbers = [letter.number for letter in letters]
        self.assertEqual(len(set(numbers)), self.COUNT)
        self.assertTrue(all(n.startswith("470/") and "/2099/" in n for n in numbers))
        self.assertEqual(
            sorted(int(n.split("/")[1]) for n in numbers), list(range(1, self.COUNT + 1))
        )
        self.assertEqual(len({letter.verify_token for letter in letters}), self.COUNT)
        for letter in letters[:3]:
            with letter.pdf.open("rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), letter.sha256)
