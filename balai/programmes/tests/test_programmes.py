"""Programmes through the simulator: consent asked and answered both ways, withdrawal with
`berhenti`, reminders with attendance taps, imports with row errors, the calendar feed."""

import datetime as dt

from django.test import override_settings
from django.utils import timezone

from balai.conversations.tests.base import ConversationTestCase
from balai.programmes import actions, consent
from balai.programmes.models import (
    Attendance,
    ConsentEvent,
    ConsentState,
    Participant,
    Programme,
    Reminder,
)
from balai.programmes.participants import do_add_participant, do_import_participants
from balai.villages.roles import Role
from balai.whatsapp.models import Template


class ProgrammeTestCase(ConversationTestCase):
    def setUp(self):
        super().setUp()
        self.programme = Programme.objects.create(
            village=self.village,
            title="Pendampingan Protokol",
            purpose="Mendampingi pedagang pasar menerapkan protokol kesehatan.",
            target_group="pedagang pasar",
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2027, 1, 31),
            university="Universitas Udayana",
            cohort="KKN KMbD 2026",
            group_name="Pendampingan Protokol",
            group_invite_link="https://chat.whatsapp.com/AbCdEf123",
            opening_info="Kegiatan pertama Senin pukul 09.00.",
            reminder_offsets=[24 * 60, 60],
        )
        self.programme.facilitators.add(self.staff[Role.PENDAMPING])
        self.participant = do_add_participant(
            self.programme, name="Bu Sumi", phone="+" + self.WA_ID, business="nasi"
        )
        Template.objects.create(
            village=self.village,
            name="balai_kesediaan_program",
            purpose=consent.PURPOSE,
            status=Template.Status.APPROVED,
            body="Halo {{1}}, {{2}} mengajak Anda ikut program {{3}}. Balas pesan ini.",
            parameters=["nama", "pendamping", "program"],
        )

    def ask(self):
        with self.round_trip():
            consent.do_request_consent(self.participant, self.staff[Role.PENDAMPING])
        return self.replies()


class ConsentTest(ProgrammeTestCase):
    def test_new_participant_gets_the_template_then_the_request_and_says_yes(self):
        (first,) = self.ask()
        # Never wrote to the village: only a template may go.
        self.assertEqual(first["type"], "template")
        self.assertEqual(first["template"]["name"], "balai_kesediaan_program")
        params = [p["text"] for p in first["template"]["components"][0]["parameters"]]
        self.assertEqual(params[2], "Pendampingan Protokol")
        self.participant.refresh_from_db()
        self.assertEqual(self.participant.consent, ConsentState.ASKED)

        replies = self.send("halo, ini dari siapa?")
        request = next(p for p in replies if p["type"] == "interactive")
        text = self.body(request)
        for needed in (
            "Pendampingan Protokol",
            "Universitas Udayana",
            "berhenti",
            "nomor WhatsApp",
        ):
            self.assertIn(needed, text)
        self.assertLessEqual(len(text), 1024)

        (welcome,) = self.tap(request, "Bersedia")
        self.assertIn("sudah terdaftar sebagai peserta", self.body(welcome))
        self.assertIn("https://chat.whatsapp.com/AbCdEf123", self.body(welcome))
        self.assertIn("Kegiatan pertama Senin", self.body(welcome))
        self.participant.refresh_from_db()
        self.assertEqual(self.participant.consent, ConsentState.GIVEN)
        given = self.participant.consent_events.get(kind=ConsentEvent.Kind.GIVEN)
        self.assertTrue(given.wamid.startswith("wamid."))
        requested = self.participant.consent_events.get(kind=ConsentEvent.Kind.REQUESTED)
        self.assertEqual(requested.text, text)
        self.assertTrue(requested.outbound.wamid.startswith("wamid."))

        # A second tap on the same button changes nothing.
        (again,) = self.tap(request, "Bersedia")
        self.assertIn("sudah terdaftar", self.body(again))
        self.assertEqual(self.participant.consent_events.filter(kind="given").count(), 1)

        # `berhenti` withdraws; the facilitator sees it.
        (stopped,) = self.send("berhenti")
        self.assertIn("Keikutsertaan di program Pendampingan Protokol", self.body(stopped))
        self.participant.refresh_from_db()
        self.assertEqual(self.participant.consent, ConsentState.WITHDRAWN)
        self.login(self.staff[Role.PENDAMPING])
        page = self.client.get(f"/desa/pondok/program/{self.programme.code}/peserta/")
        self.assertContains(page, "1 peserta mengundurkan diri")

    def test_typed_refusal_is_recorded(self):
        self.ask()
        self.send("halo")
        (answer,) = self.send("Tidak bersedia")
        self.assertIn("tidak akan mengirim pesan program", self.body(answer))
        self.participant.refresh_from_db()
        self.assertEqual(self.participant.consent, ConsentState.REFUSED)
        refused = self.participant.consent_events.get(kind="refused")
        self.assertEqual(refused.text, "Tidak bersedia")

    def test_someone_elses_consent_button_does_nothing(self):
        other = do_add_participant(self.programme, name="Pak Darto", phone="+6281311112222")
        replies = self.send(button_reply={"id": f"consent:{other.code}:yes", "title": "Bersedia"})
        other.refresh_from_db()
        self.assertEqual(other.consent, ConsentState.NOT_ASKED)
        self.assertNotIn("sudah terdaftar", self.texts(replies))

    def test_unanswered_requests_are_reminded_twice_at_most(self):
        self.ask()
        now = timezone.now()
        self.assertEqual(consent.remind_unanswered(now), 0)
        with self.round_trip():
            self.assertEqual(consent.remind_unanswered(now + dt.timedelta(days=3)), 1)
        self.assertEqual(consent.remind_unanswered(now + dt.timedelta(days=3)), 0)
        with self.round_trip():
            self.assertEqual(consent.remind_unanswered(now + dt.timedelta(days=6)), 1)
        self.assertEqual(consent.remind_unanswered(now + dt.timedelta(days=9)), 0)
        self.assertEqual(self.participant.consent_events.filter(kind="reminded").count(), 2)


class ReminderTest(ProgrammeTestCase):
    def setUp(self):
        super().setUp()
        consent.do_answer_consent(self.participant, True, wamid="wamid.x", text="Bersedia")
        self.withdrawn = do_add_participant(
            self.programme, name="Pak Darto", phone="+6281311112222"
        )
        consent.do_answer_consent(self.withdrawn, True, wamid="wamid.y", text="Bersedia")
        consent.do_answer_consent(self.withdrawn, False, wamid="wamid.z", text="berhenti")
        self.send("halo")  # the 24-hour window is open: reminders go as buttons
        self.activity = self.programme.activities.create(
            title="Pelatihan foto produk",
            starts_at=timezone.now() + dt.timedelta(hours=20),
            place="Balai desa",
        )

    def test_the_day_before_reminder_goes_once_and_a_tap_records_attendance(self):
        with self.round_trip():
            self.assertEqual(actions.do_send_due_reminders(), 1)
            self.assertEqual(actions.do_send_due_reminders(), 0)
        (reminder,) = self.replies()
        self.assertIn("Pelatihan foto produk* besok", self.body(reminder))
        self.assertIn("Balai desa", self.body(reminder))
        # Nothing for the one who withdrew.
        self.assertFalse(Reminder.objects.filter(participant=self.withdrawn).exists())

        (thanks,) = self.tap(reminder, "Hadir")
        self.assertIn("Kami tunggu", self.body(thanks))
        attendance = Attendance.objects.get(activity=self.activity, participant=self.participant)
        self.assertEqual(attendance.answer, Attendance.Answer.COMING)

        # An hour before: the second reminder.
        later = self.activity.starts_at - dt.timedelta(minutes=50)
        with self.round_trip():
            self.assertEqual(actions.do_send_due_reminders(later), 1)
        (hour,) = self.replies()
        self.assertIn("sebentar lagi", self.body(hour))

    def test_facilitator_marks_who_came(self):
        self.login(self.staff[Role.PENDAMPING])
        url = f"/desa/pondok/program/{self.programme.code}/kegiatan/{self.activity.code}/hadir/"
        response = self.client.post(url, {"hadir": [self.participant.code]})
        self.assertEqual(response.status_code, 302)
        marks = dict(
            Attendance.objects.filter(activity=self.activity).values_list(
                "participant__resident__name", "present"
            )
        )
        self.assertEqual(marks, {"Bu Sumi": True, "Pak Darto": False})
        # The DPL reads but cannot mark.
        self.login(self.staff[Role.DPL])
        self.assertEqual(self.client.get(url.replace("hadir/", "")).status_code, 200)
        self.assertEqual(self.client.post(url, {"hadir": []}).status_code, 403)


class ImportAndFeedTest(ProgrammeTestCase):
    def test_import_reports_every_bad_row_and_saves_nothing(self):
        bad = (
            b"Nama,No HP,Usaha,Jenis kelamin,Umur,Dusun\n"
            b"Ni Made Sari,081234567891,Sokasi,P,42,Krajan\n"
            b",081234567892,Sokasi,P,30,\n"
            b"Ketut Arta,12345,Sokasi,L,30,\n"
            b"Wayan Lodra,081234567891,Sokasi,X,30,\n"
            b"Komang Ayu,081234567893,Sokasi,P,30,Tidak Ada\n"
        )
        result = do_import_participants(self.programme, bad, "peserta.csv", self.operator)
        rows = dict(result.errors)
        self.assertEqual(sorted(rows), [3, 4, 5, 6])
        self.assertIn("Nama kosong", rows[3])
        self.assertIn("Nomor telepon", rows[4])
        self.assertIn("sudah ada di baris lain", rows[5])
        self.assertIn("Dusun", rows[6])
        self.assertEqual(self.programme.participants.count(), 1)

        good = bad.split(b"\n")[0] + b"\nNi Made Sari,081234567891,Sokasi,P,42,Krajan\n"
        result = do_import_participants(self.programme, good, "peserta.csv", self.operator)
        self.assertTrue(result.ok)
        made = Participant.objects.get(programme=self.programme, resident__name="Ni Made Sari")
        self.assertEqual(
            (made.age_group, made.area.name, made.resident.gender), ("40-54", "Krajan", "P")
        )

    def test_calendar_feed_needs_a_valid_token_of_a_current_member(self):
        import icalendar

        self.programme.activities.create(title="Pelatihan 1", starts_at=timezone.now())
        self.login(self.staff[Role.PENDAMPING])
        page = self.client.get(f"/desa/pondok/program/{self.programme.code}/")
        url = page.context["ics_url"].removeprefix("http://testserver")
        self.client.logout()
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        cal = icalendar.Calendar.from_ical(response.content)
        self.assertEqual([str(e["summary"]) for e in cal.walk("VEVENT")], ["Pelatihan 1"])
        self.assertEqual(self.client.get(url.replace(".ics", "x.ics")).status_code, 404)
        self.staff[Role.PENDAMPING].memberships.update(is_active=False)
        self.assertEqual(self.client.get(url).status_code, 404)


@override_settings()
class ConsoleTest(ProgrammeTestCase):
    def test_facilitator_creates_a_programme_and_asks_for_consent(self):
        self.login(self.staff[Role.PENDAMPING])
        response = self.client.post(
            "/desa/pondok/program/baru/",
            {
                "title": "Pemasaran Online",
                "purpose": "Membantu perajin berjualan lewat Facebook dan Instagram.",
                "objectives_text": "Peserta punya akun\n- Peserta mengunggah 5 produk",
                "target_group": "perajin",
                "starts_on": "2026-12-01",
                "ends_on": "2027-02-28",
                "facilitators": [self.staff[Role.PENDAMPING].pk],
            },
        )
        self.assertEqual(response.status_code, 302)
        programme = Programme.objects.get(title="Pemasaran Online")
        self.assertEqual(
            programme.objectives, ["Peserta punya akun", "Peserta mengunggah 5 produk"]
        )
        self.assertEqual(programme.reminder_offsets, [1440, 60])
        base = f"/desa/pondok/program/{programme.code}/peserta/"
        self.client.post(base + "tambah/", {"name": "Bu Sumi", "phone": "0857 1234 5678"})
        with self.round_trip():
            self.client.post(base + "minta-persetujuan/")
        self.assertEqual(programme.participants.get().consent, ConsentState.ASKED)
        # The other village's staff see nothing of it.
        self.login(self.other_staff[Role.PENDAMPING])
        self.assertEqual(self.client.get(base).status_code, 404)
