"""Monthly follow-up after a programme ends: reading sales answers, the schedule, the whole
flow through the simulator (template outside the window, answers, correction), reminders,
``berhenti``, idempotency and the console page."""

import datetime as dt
from unittest import mock

from django.test import SimpleTestCase

from balai.conversations.tests.base import ConversationTestCase
from balai.market.actions import do_add_seller
from balai.market.models import Sale
from balai.market.sales import add_months, month_start
from balai.programmes import followup
from balai.programmes.followup import Unclear, parse_number, parse_sales
from balai.programmes.forms import FollowUpForm
from balai.programmes.models import CheckIn, ConsentState, Programme
from balai.programmes.participants import do_add_participant
from balai.simulator.models import SimMessage
from balai.villages.roles import Role
from balai.whatsapp.models import OutboundMessage, Template

SELLER = "6285712345678"
NON_SELLER = "6285722223333"
WITHDRAWN = "6285733334444"


class ParseTest(SimpleTestCase):
    def test_sales_amounts(self):
        cases = {
            "1,5 juta": 1_500_000,
            "1.5jt": 1_500_000,
            "850rb": 850_000,
            "850 ribu": 850_000,
            "Rp 1.250.000": 1_250_000,
            "Rp. 750.000,-": 750_000,
            "850000": 850_000,
            "850.000": 850_000,
            "sekitar 2 juta an": 2_000_000,
            "alhamdulillah 3,2 juta": 3_200_000,
            "dua juta": 2_000_000,
            "sejuta": 1_000_000,
            "0": 0,
            "Rp 0": 0,
            "nol": 0,
            "tidak ada penjualan": 0,
            "gak ada": 0,
            "ga ada yg laku": 0,
            "belum laku": 0,
            "nihil": 0,
        }
        self.assertEqual({text: parse_sales(text) for text in cases}, cases)

    def test_not_sales_and_unclear(self):
        for text in ["halo", "mau bikin surat domisili", "sepi", ""]:
            self.assertIsNone(parse_sales(text), text)
        for text in ["850", "500rb dan 300rb"]:
            with self.assertRaises(Unclear):
                parse_sales(text)

    def test_custom_numbers(self):
        self.assertEqual(parse_number("12"), 12)
        self.assertEqual(str(parse_number("12,5")), "12.5")
        self.assertEqual(parse_number("3 pesanan"), 3)
        self.assertEqual(parse_number("1.500"), 1500)
        self.assertEqual(parse_number("500rb"), 500_000)
        self.assertIsNone(parse_number("tidak tahu"))
        self.assertIsNone(parse_number("2 atau 3"))


class FollowUpTest(ConversationTestCase):
    def setUp(self):
        super().setUp()
        Template.objects.create(
            village=self.village,
            name="balai_laporan_bulanan",
            purpose=followup.PURPOSE,
            status=Template.Status.APPROVED,
            body="Halo {{1}}, pendamping program {{2}} menanyakan kabar usaha bulan {{3}}.",
            parameters=["nama", "program", "bulan"],
        )
        # The programme ended in the month before ``period``; ``period`` is asked about a few
        # days ago, so it is due now.
        self.today = self.village.local_now().date()
        base = self.today - dt.timedelta(days=5)
        self.period = add_months(month_start(base), -1)
        self.programme = Programme.objects.create(
            village=self.village,
            title="Pemasaran Daring",
            purpose="Berjualan lewat WhatsApp.",
            target_group="pedagang",
            starts_on=self.period - dt.timedelta(days=60),
            ends_on=self.period - dt.timedelta(days=1),
            followup_months=6,
            followup_day=min(base.day, 28),
            followup_question="Berapa pesanan yang datang lewat WhatsApp?",
        )
        self.people = {}
        for wa, name in [(SELLER, "Sumiyati"), (NON_SELLER, "Darmaji"), (WITHDRAWN, "Wayan")]:
            participant = do_add_participant(self.programme, name=name, phone="+" + wa)
            state = ConsentState.WITHDRAWN if wa == WITHDRAWN else ConsentState.GIVEN
            participant.consent = state
            participant.save(update_fields=["consent"])
            self.people[wa] = participant
        self.seller = do_add_seller(
            self.village, self.people[SELLER].resident, business_name="Nasi Bu Sumi"
        )
        # A sale she reported herself in that month ("laku …").
        Sale.objects.create(
            seller=self.seller, amount=200_000, sold_on=self.period + dt.timedelta(days=3),
            source=Sale.Source.WHATSAPP,
        )  # fmt: skip

    def at(self, days=0, hour=10):
        return dt.datetime.combine(
            self.today + dt.timedelta(days=days), dt.time(hour), tzinfo=self.village.tz
        )

    def as_(self, wa_id):
        self.WA_ID = wa_id
        self.seen = SimMessage.objects.filter(direction="out", wa_id=wa_id).count()

    def ask(self, **kwargs):
        with self.round_trip():
            return followup.do_ask_due(self.at(**kwargs))

    def checkin(self, wa):
        return CheckIn.objects.get(participant=self.people[wa], period=self.period)

    def interactive(self, replies):
        return next(p for p in replies if p["type"] == "interactive")

    def test_monthly_flow_through_the_simulator(self):
        self.assertEqual(followup.due_period(self.programme, self.at()), self.period)
        self.assertEqual(self.ask(), 2)  # not the one who withdrew
        self.assertFalse(self.people[WITHDRAWN].checkins.exists())
        month = followup.month_label(self.period)

        # Never wrote to the village: the approved template goes first.
        self.as_(SELLER)
        self.seen -= 1
        (template,) = self.replies()
        self.assertEqual(template["type"], "template")
        self.assertEqual(template["template"]["name"], "balai_laporan_bulanan")
        params = [p["text"] for p in template["template"]["components"][0]["parameters"]]
        self.assertEqual(params, ["Sumiyati", "Pemasaran Daring", month])

        # "halo" opens the window: the question is the whole reply (no re-ask on top).
        replies = self.send("halo")
        question = self.interactive(replies)
        self.assertIn(f"bulan *{month}*", self.body(question))
        self.assertIn("sudah tercatat Rp 200.000", self.body(question))
        self.assertEqual([p["type"] for p in replies].count("interactive"), 1, replies)
        self.assertNotIn("belum bisa membaca", self.texts(replies))  # only the first greeting

        replies = self.send("1,5 juta")
        self.assertIn("Berapa pesanan yang datang lewat WhatsApp?", self.texts(replies))
        summary = self.interactive(self.send("kira-kira 12 pesanan"))
        self.assertIn("Penjualan: Rp 1.500.000", self.body(summary))
        checkin = self.checkin(SELLER)
        self.assertEqual(
            (checkin.state, checkin.sales_amount, checkin.custom_value, checkin.step),
            (CheckIn.State.ANSWERED, 1_500_000, 12, ""),
        )
        # The market's month holds what she reported: her own 200 rb plus the rest.
        sale = Sale.objects.get(seller=self.seller, source=Sale.Source.CHECKIN)
        self.assertEqual((sale.amount, sale.sold_on, sale.quantity), (1_300_000, self.period, 0))
        self.assertEqual(checkin.sale, sale)

        # A correction replaces the figure; it does not add one.
        self.tap(summary, "Ubah")
        summary = self.interactive(self.send("2jt"))
        self.assertIn("Penjualan: Rp 2.000.000", self.body(summary))
        self.assertEqual(
            list(Sale.objects.filter(seller=self.seller, source="checkin").values_list("amount")),
            [(1_800_000,)],
        )
        self.send("salah, yang benar 1,8 juta")
        self.assertEqual(self.checkin(SELLER).sales_amount, 1_800_000)
        self.assertEqual(Sale.objects.get(source="checkin").amount, 1_600_000)

        # The other participant sells outside the catalogue and answers the template with 0
        # (a bare 0 is an answer here, not the menu).
        self.as_(NON_SELLER)
        replies = self.send("0")
        self.assertIn("Berapa pesanan", self.texts(replies))
        self.assertNotIn("Menu", self.texts(replies))
        self.assertIn("Penjualan: Rp 0", self.texts(self.send("0")))  # no orders either
        checkin = self.checkin(NON_SELLER)
        self.assertEqual(
            (checkin.state, checkin.sales_amount, checkin.custom_answer, checkin.custom_value),
            (CheckIn.State.ANSWERED, 0, "0", 0),
        )
        self.assertIsNone(checkin.sale)
        self.assertEqual(Sale.objects.filter(source="checkin").count(), 1)  # no seller, no sale

    def test_unexpected_answers_get_a_polite_reask(self):
        self.ask()
        self.as_(SELLER)
        self.send("halo")
        replies = self.send("sepi pak")
        self.assertIn("Mohon maaf, kami belum bisa membaca jawabannya", self.texts(replies))
        self.assertIn("ribu rupiah", self.texts(self.send("850")))
        self.assertIn("totalnya saja", self.texts(self.send("minggu 1 500rb minggu 2 300rb")))
        # Something else entirely is answered as usual, and the check-in waits.
        replies = self.send("mau bikin surat keterangan domisili")
        self.assertNotIn("belum bisa membaca", self.texts(replies))
        self.assertNotIn("gangguan", self.texts(replies).lower())
        self.assertEqual(self.checkin(SELLER).state, CheckIn.State.ASKED)
        # The button still works later.
        self.send("batal")
        code = self.checkin(SELLER).code
        replies = self.send(
            button_reply={"id": f"checkin:{code}:nol", "title": "Tidak ada penjualan"}
        )
        self.assertIn("Berapa pesanan", self.texts(replies))
        self.assertEqual(self.checkin(SELLER).sales_amount, 0)

    def test_asking_is_idempotent_and_reminders_stop_at_two(self):
        self.assertEqual(self.ask(), 2)
        self.assertEqual(self.ask(), 0)
        self.assertEqual(self.ask(hour=15), 0)
        self.assertEqual(CheckIn.objects.count(), 2)
        self.assertEqual(OutboundMessage.objects.filter(purpose=followup.PURPOSE).count(), 2)
        # A crash between the check-in and its message leaves neither: asked once later.
        with mock.patch.object(followup, "do_send", side_effect=RuntimeError("crash")):
            next_month = add_months(self.period, 1)
            later = followup.ask_at(self.programme, next_month) + dt.timedelta(hours=1)
            with self.assertRaises(RuntimeError):
                followup.do_ask_due(later)
        self.assertFalse(CheckIn.objects.filter(period=next_month).exists())

        # Nobody answers: reminded REMIND_AFTER apart, twice, not a third time.
        sent = []
        for days in [1, 3, 3, 6, 9, 12]:
            with self.round_trip():
                sent.append(followup.do_remind_due(self.at(days=days, hour=10 + days % 3)))
        self.assertEqual(sent, [0, 2, 0, 2, 0, 0])
        checkin = self.checkin(SELLER)
        self.assertEqual((checkin.state, checkin.reminders), (CheckIn.State.REMINDED, 2))
        self.assertEqual(OutboundMessage.objects.filter(purpose=followup.PURPOSE).count(), 6)
        # Not at night.
        CheckIn.objects.update(reminders=0, last_reminded_at=None)
        self.assertEqual(followup.do_remind_due(self.at(days=4, hour=23)), 0)

        # The next month closes what is still open, and asks once.
        with self.round_trip():
            self.assertEqual(followup.do_ask_due(later), 2)
        self.assertEqual(self.checkin(SELLER).state, CheckIn.State.SKIPPED)
        self.assertEqual(CheckIn.objects.filter(period=next_month).count(), 2)

    def test_unanswered_are_closed_as_skipped(self):
        self.ask()
        self.assertEqual(followup.do_close_stale(self.at(days=20)), 2)
        self.assertEqual(
            set(CheckIn.objects.values_list("state", flat=True)), {CheckIn.State.SKIPPED}
        )

    def test_berhenti_stops_the_checkins(self):
        self.ask()
        self.as_(SELLER)
        self.send("halo")
        replies = self.send("berhenti")
        self.assertIn("Laporan bulanan program Pemasaran Daring", self.texts(replies))
        self.assertEqual(self.checkin(SELLER).state, CheckIn.State.STOPPED)
        self.people[SELLER].refresh_from_db()
        self.assertEqual(self.people[SELLER].consent, ConsentState.WITHDRAWN)
        # Not asked again, and nothing is waiting: a figure is not taken as an answer.
        self.send("1 juta")
        self.assertIsNone(self.checkin(SELLER).sales_amount)
        next_month = add_months(self.period, 1)
        later = followup.ask_at(self.programme, next_month) + dt.timedelta(hours=1)
        with self.round_trip():
            self.assertEqual(followup.do_ask_due(later), 1)  # only Darmaji
        self.assertFalse(self.people[SELLER].checkins.filter(period=next_month).exists())
        self.assertEqual(
            self.checkin(NON_SELLER).state, CheckIn.State.SKIPPED
        )  # his old month closed

    def test_schedule(self):
        programme = Programme(
            village=self.village, ends_on=dt.date(2027, 1, 20), followup_months=6, followup_day=5
        )
        months = followup.periods(programme)
        self.assertEqual((months[0], months[-1]), (dt.date(2027, 2, 1), dt.date(2027, 7, 1)))
        first = followup.ask_at(programme, months[0])
        self.assertEqual(first.astimezone(self.village.tz).replace(tzinfo=None),
                         dt.datetime(2027, 3, 5, 9, 0))  # fmt: skip
        self.assertIsNone(followup.due_period(programme, first - dt.timedelta(minutes=1)))
        self.assertEqual(followup.due_period(programme, first), months[0])
        self.assertIsNone(followup.due_period(programme, first + dt.timedelta(days=11)))
        self.assertIsNone(followup.due_period(Programme(ends_on=programme.ends_on), first))

    def test_console_page(self):
        self.ask()
        CheckIn.objects.filter(participant=self.people[NON_SELLER]).update(
            state=CheckIn.State.ANSWERED, sales_amount=850_000, custom_answer="4"
        )
        url = f"/desa/pondok/program/{self.programme.code}/tindak-lanjut/"
        self.login(self.staff[Role.DPL])
        page = self.client.get(url)
        self.assertContains(page, "Rp 850.000")
        self.assertContains(page, "ditanyakan")
        self.assertContains(page, "Berapa pesanan yang datang lewat WhatsApp?")
        self.assertNotContains(page, '<form method="post" class="card">')
        self.assertEqual(self.client.post(url, {"followup_months": 8}).status_code, 403)

        self.login(self.staff[Role.PENDAMPING])
        data = {"followup_months": 5, "followup_day": 1, "followup_question": ""}
        page = self.client.post(url, data)
        self.assertContains(page, "Isi 0 (tidak ada) atau 6 sampai 12 bulan.")
        self.programme.refresh_from_db()
        self.assertEqual(self.programme.followup_months, 6)
        data.update(followup_months=12, followup_day=15)
        self.assertRedirects(self.client.post(url, data), url)
        self.programme.refresh_from_db()
        self.assertEqual(
            (self.programme.followup_months, self.programme.followup_day,
             self.programme.followup_question),
            (12, 15, ""),
        )  # fmt: skip

    def test_form_limits(self):
        for months, day, ok in [(0, 1, True), (6, 28, True), (12, 1, True), (5, 1, False),
                                (13, 1, False), (6, 29, False), (6, 0, False)]:  # fmt: skip
            form = FollowUpForm(
                {"followup_months": months, "followup_day": day, "followup_question": ""},
                instance=self.programme,
            )
            self.assertEqual(form.is_valid(), ok, (months, day, form.errors))
