"""No personal data in the logs: a full scenario with every logger at DEBUG, through the
handler production uses (``settings.LOGGING``'s console handler and its filters), and not
one NIK, KK or phone number (+62…, 62…, 08…) in what it wrote.

The scenario: a new resident asks for an SKTM over WhatsApp (NIK, photos), staff check,
approve and sign it in the console (the PDF goes out on WhatsApp), the resident files a
complaint, staff reveal the NIK, search the register by phone, reply to the complaint, and a
few requests fail (an unknown page, a forged link, a wrong login).
"""

import logging
import logging.config
import re

from django.conf import settings
from django.test import Client

from balai.complaints.models import Complaint
from balai.conversations.tests.base import ConversationTestCase
from balai.letters.models import IssuedLetter, LetterRequest
from balai.villages.roles import Role

NIK = "3311021503850007"
KK = "3311020101100009"
PHONE = "6285712345678"
TICKET = re.compile(r"\*(PON-\d{4}-\d{4})\*")


def phone_forms(wa_id: str) -> list[str]:
    local = "0" + wa_id[2:]
    return [f"+{wa_id}", wa_id, local, f"{local[:4]}-{local[4:8]}-{local[8:]}", wa_id[2:]]


class LogsHoldNoPersonalDataTest(ConversationTestCase):
    WA_ID = PHONE

    def setUp(self):
        super().setUp()
        # The in-process WSGI app the simulator calls runs django.setup(), whose logging
        # dictConfig would drop the handler added below: build it first.
        from django.core.wsgi import get_wsgi_application

        import balai.test

        if balai.test._app is None:
            balai.test._app = get_wsgi_application()
        self.stream = _Capture()
        # The production console handler (its formatter and redaction filter), fed by every
        # logger at DEBUG.
        config = settings.LOGGING
        handler = logging.StreamHandler(self.stream)
        handler.setFormatter(logging.Formatter(config["formatters"]["plain"]["format"]))
        for name in config["handlers"]["console"].get("filters", []):
            spec = dict(config["filters"][name])
            factory = spec.pop("()")
            module, _, attr = factory.rpartition(".")
            handler.addFilter(getattr(__import__(module, fromlist=[attr]), attr)(**spec))
        handler.setLevel(logging.DEBUG)
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        touched = []
        for name in [*list(logging.root.manager.loggerDict), "django.request", "balai"]:
            logger = logging.getLogger(name)
            if name.startswith("django.db.backends"):
                continue  # SQL logging stays off in production (LOGGING), its params hold data
            touched.append((logger, logger.level, logger.disabled))
            logger.setLevel(logging.DEBUG)
            logger.disabled = False

        def restore():
            root.removeHandler(handler)
            root.setLevel(old_level)
            for logger, level, disabled in touched:
                logger.setLevel(level)
                logger.disabled = disabled

        self.addCleanup(restore)

    def staff_client(self, role):
        client = Client()
        client.force_login(self.staff[role])
        return client

    def request_sktm(self) -> str:
        self.send("halo")
        (letters,) = self.send(list_reply={"id": "menu:surat", "title": "1. Permohonan surat"})
        _requirements, subject = self.tap(letters, "Tidak Mampu (SKTM)")
        self.tap(subject, "Saya sendiri")
        self.send(NIK)
        self.send("budi santoso")
        (head,) = self.send("15 maret 1985")
        self.tap(head, "Ya")
        self.send("keringanan biaya sekolah anak")
        self.send("1,5jt")
        self.photo()
        self.photo()
        (confirm,) = self.send("nanti")
        (done,) = self.tap(confirm, "Kirim")
        return TICKET.search(self.body(done))[1]

    def file_complaint(self) -> str:
        (categories,) = self.send("ADUAN")[-1:]
        self.tap(categories, "Lampu jalan")
        self.send(f"Lampu mati. Hubungi saya di 0{PHONE[2:]}, NIK {NIK}")
        (_where,) = self.photo()
        (public,) = self.send(location={"latitude": -7.7169, "longitude": 110.8372})
        (confirm,) = self.tap(public, "Rahasiakan")
        (done,) = self.tap(confirm, "Kirim")
        return TICKET.search(self.body(done))[1]

    def test_full_scenario_logs_no_nik_kk_or_phone(self):
        code = self.request_sktm()
        request = LetterRequest.objects.get(code=code)
        resident = request.resident
        resident.kk = KK
        resident.save(update_fields=["kk"])

        slug = self.village.slug
        for role in (Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES):
            staff = self.staff_client(role)
            with self.round_trip():
                response = staff.post(f"/desa/{slug}/permohonan/{code}/setujui/", {"note": "ok"})
            self.assertEqual(response.status_code, 302)
        self.assertTrue(IssuedLetter.objects.filter(request=request).exists())

        complaint = Complaint.objects.get(code=self.file_complaint())
        kasi = self.staff_client(Role.KASI_PELAYANAN)
        self.assertEqual(
            kasi.post(f"/desa/{slug}/warga/{resident.code}/lihat-nik/").status_code, 200
        )
        kasi.get(f"/desa/{slug}/warga/", {"q": f"0{PHONE[2:]}"})
        with self.round_trip():
            kasi.post(
                f"/desa/{slug}/pengaduan/{complaint.code}/balas/",
                {"text": "Terima kasih, segera kami cek."},
            )
        kasi.get(f"/desa/{slug}/warga/{resident.code}/tidak-ada/")
        kasi.get(f"/surat/unduh/{NIK}/")
        Client().post("/masuk/", {"username": f"0{PHONE[2:]}", "password": NIK})
        self.send(f"nik saya {NIK} kk {KK}")

        logged = self.stream.getvalue()
        self.assertIn("django.request", logged, "the capture saw no request log at all")
        self.assertGreater(len(logged.splitlines()), 5)
        for secret in [NIK, KK, *phone_forms(PHONE)]:
            with self.subTest(secret=secret):
                lines = [line for line in logged.splitlines() if secret in line]
                self.assertEqual(lines, [], f"{secret} in the logs")


class _Capture:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    def getvalue(self):
        return "".join(self.parts)
