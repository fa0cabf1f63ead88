"""The two programmes of the field reports, with a history: Pendampingan Protokol (six
market traders, Desa Pondok) and Pemasaran Online Sokasi (ten craft makers, Tigawasa)."""

import datetime as dt
import io
import random

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from balai.programmes import consent
from balai.programmes.learning import score_of
from balai.programmes.models import (
    Answer,
    Attempt,
    Attendance,
    Comment,
    ConsentEvent,
    ConsentState,
    Lesson,
    LogEntry,
    Participant,
    Photo,
    Programme,
    Question,
    Quiz,
)
from balai.residents.models import Resident

PROGRAMMES = {
    "pondok": {
        "title": "Pendampingan Protokol",
        "purpose": "Pedagang pasar perlu tetap berjualan dengan aman di masa pandemi. Program ini "
        "mendampingi pedagang menerapkan protokol kesehatan di lapak dan mulai menerima pesanan "
        "lewat WhatsApp, tanpa harus bertatap muka.",
        "objectives": [
            "Terlaksananya jadwal kegiatan yang telah disusun.",
            "Menjadi media koordinasi dan informasi.",
            "Mengefisienkan pelaksanaan edukasi dan pelatihan sehingga tidak perlu melakukannya "
            "secara personal.",
            "Sebagai media bertukar pikiran antarpeserta sesuai topik diskusi.",
        ],
        "target_group": "pedagang pasar",
        "university": "Universitas Diponegoro",
        "cohort": "KKN Mandiri berbasis Daring (KMbD) 2026",
        "staff": ("pendamping.pondok", "dpl.pondok"),
        "people": [
            ("Sumiyati", "P", "nasi", "40-54"),
            ("Darmaji", "L", "ikan", "40-54"),
            ("Tumini", "P", "pakaian", "55+"),
            ("Ngatini", "P", "canang dan bunga", "25-39"),
            ("Slamet Riyadi", "L", "sayur", "40-54"),
            ("Wagiyem", "P", "jajanan pasar", "55+"),
        ],
        "activities": [
            ("Pembentukan grup dan informasi awal", -40, "Grup WhatsApp"),
            ("Protokol kesehatan di lapak", -30, "Pasar Pondok"),
            ("Menerima pesanan lewat WhatsApp", -16, "Balai desa"),
            ("Foto produk dengan ponsel", -6, "Balai desa"),
            ("Evaluasi dan post-test", 3, "Balai desa"),
        ],
    },
    "tigawasa": {
        "title": "Pemasaran Online Sokasi",
        "purpose": "Sejak pandemi, pengepul berhenti membeli sokasi dan perajin belum berjualan "
        "daring. Program ini membantu perajin sokasi Tigawasa memasarkan produknya lewat "
        "Facebook, Instagram, dan WhatsApp.",
        "objectives": [
            "Perajin memiliki akun Facebook dan Instagram untuk usahanya.",
            "Setiap perajin mengunggah sedikitnya lima foto produk yang layak jual.",
            "Perajin mampu melayani pesanan lewat WhatsApp.",
        ],
        "target_group": "perajin sokasi",
        "university": "Universitas Pendidikan Ganesha",
        "cohort": "KKN KMbD 2026",
        "staff": ("pendamping.tigawasa", "dpl.tigawasa"),
        "people": [
            ("Ni Ketut Sariani", "P", "sokasi", "40-54"),
            ("I Wayan Sudiarta", "L", "sokasi", "40-54"),
            ("Ni Made Rastini", "P", "sokasi", "25-39"),
            ("Ni Nyoman Suartini", "P", "sokasi", "55+"),
            ("I Ketut Widana", "L", "sokasi dan keben", "40-54"),
            ("Ni Luh Sukerni", "P", "sokasi", "25-39"),
            ("I Made Arsana", "L", "anyaman bambu", "55+"),
            ("Ni Putu Ayu Wulandari", "P", "sokasi", "<25"),
            ("Ni Kadek Sumerti", "P", "sokasi", "40-54"),
            ("I Nengah Suparta", "L", "sokasi", "25-39"),
        ],
        "activities": [
            ("Pembuatan grup WhatsApp dan perkenalan", -45, "Grup WhatsApp"),
            ("Membuat akun Facebook dan Instagram", -35, "Daring (Google Meet)"),
            ("Memotret sokasi agar menarik", -21, "Balai Banjar Dinas"),
            ("Menulis keterangan produk dan harga", -9, "Daring (Google Meet)"),
            ("Evaluasi dan post-test", 4, "Balai Banjar Dinas"),
        ],
    },
}

QUESTIONS = {
    "pondok": [
        (
            "Kapan sebaiknya pedagang mencuci tangan?",
            [
                "Sebelum dan sesudah melayani pembeli",
                "Hanya pagi hari",
                "Bila tangan terlihat kotor saja",
            ],
            0,
        ),
        (
            "Cara menerima pesanan tanpa bertatap muka?",
            ["Lewat WhatsApp", "Menunggu di rumah", "Menitipkan ke tetangga"],
            0,
        ),
        (
            "Foto dagangan yang baik diambil…",
            ["Di tempat terang dengan latar polos", "Malam hari tanpa lampu", "Dari jarak jauh"],
            0,
        ),
        (
            "Apa yang ditulis saat menawarkan dagangan?",
            ["Nama, harga, dan cara memesan", "Hanya nama", "Tidak perlu ditulis"],
            0,
        ),
    ],
    "tigawasa": [
        (
            "Foto sokasi paling menarik bila…",
            ["Cahaya alami dan latar polos", "Di tempat gelap", "Banyak barang lain di sekitarnya"],
            0,
        ),
        (
            "Apa guna tagar (#) di Instagram?",
            ["Agar mudah ditemukan pembeli", "Hiasan saja", "Menyembunyikan unggahan"],
            0,
        ),
        (
            "Harga sebaiknya ditulis…",
            ["Jelas, mis. Rp 25.000", "Tidak usah ditulis", "Hanya lewat pesan pribadi"],
            0,
        ),
        (
            "Pembeli bertanya lewat WhatsApp, Anda…",
            ["Membalas secepatnya dengan ramah", "Menunggu seminggu", "Tidak menjawab"],
            0,
        ),
    ],
}


def _photo(caption: str, colour: tuple[int, int, int]) -> ContentFile:
    """A stand-in documentation photo (the demo has no real pictures)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 720), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 560, 920, 680], fill=(255, 255, 255))
    draw.text((60, 600), caption[:90], fill=(30, 30, 30), font_size=28)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return ContentFile(out.getvalue())


def seed_programmes(village, rng: random.Random) -> Programme | None:
    spec = PROGRAMMES.get(village.slug)
    if spec is None or Programme.objects.filter(village=village, title=spec["title"]).exists():
        return None
    users = get_user_model().objects
    facilitator = users.get(username=spec["staff"][0])
    supervisor = users.get(username=spec["staff"][1])
    now = timezone.now()
    today = village.local_now().date()
    programme = Programme.objects.create(
        village=village,
        title=spec["title"],
        purpose=spec["purpose"],
        objectives=spec["objectives"],
        target_group=spec["target_group"],
        starts_on=today - dt.timedelta(days=50),
        ends_on=today + dt.timedelta(days=40),
        university=spec["university"],
        cohort=spec["cohort"],
        group_name=spec["title"],
        group_formed_on=today - dt.timedelta(days=40),
        group_invite_link="https://chat.whatsapp.com/DemoBalai" + village.slug.capitalize(),
        opening_info="Selamat bergabung. Kegiatan dan materi diumumkan di grup dan lewat pesan "
        "ini. Ketik *materi* kapan saja untuk membaca materi.",
        reminder_offsets=[24 * 60, 60],
        created_by=facilitator,
    )
    programme.facilitators.add(facilitator)
    programme.supervisors.add(supervisor)
    dusun = list(village.areas.filter(kind="dusun"))
    participants = []
    for i, (name, gender, business, age) in enumerate(spec["people"]):
        resident = Resident.objects.create(
            village=village,
            name=name,
            gender=gender,
            phone=f"+62857{rng.randint(10000000, 99999999)}",
            area=dusun[i % len(dusun)] if dusun else None,
        )
        participant = Participant.objects.create(
            programme=programme,
            resident=resident,
            business=business,
            age_group=age,
            area=resident.area,
            in_group=True,
            added_by=facilitator,
        )
        asked = now - dt.timedelta(days=48, hours=rng.randint(0, 6))
        answered = asked + dt.timedelta(hours=rng.randint(1, 20))
        ConsentEvent.objects.create(
            participant=participant,
            kind="requested",
            text=consent.request_text(participant),
            at=asked,
        )
        ConsentEvent.objects.create(
            participant=participant,
            kind="given",
            text="Bersedia",
            wamid=f"wamid.demo{village.pk}{i}",
            at=answered,
        )
        Participant.objects.filter(pk=participant.pk).update(
            consent=ConsentState.GIVEN, consent_at=answered
        )
        participant.consent = ConsentState.GIVEN
        participants.append(participant)
    activities = []
    for n, (title, days, place) in enumerate(spec["activities"]):
        start = dt.datetime.combine(
            today + dt.timedelta(days=days), dt.time(9, 0), tzinfo=village.tz
        )
        activity = programme.activities.create(
            title=title, starts_at=start, ends_at=start + dt.timedelta(hours=2), place=place
        )
        activities.append(activity)
        if days < 0:
            for participant in participants:
                came = rng.random() < 0.85
                Attendance.objects.create(
                    activity=activity,
                    participant=participant,
                    answer="coming" if came or rng.random() < 0.5 else "cannot",
                    answered_at=start - dt.timedelta(hours=20),
                    present=came,
                    marked_by=facilitator,
                    marked_at=start + dt.timedelta(hours=2),
                )
            Photo.objects.create(
                programme=programme,
                activity=activity,
                caption=f"Foto {n + 1}. {title}",
                added_by=facilitator,
                created=start + dt.timedelta(hours=1),
            ).file.save(
                f"{village.slug}-{n + 1}.jpg",
                _photo(f"Foto {n + 1}. {title}", (60 + 30 * n, 120, 90 + 20 * n)),
            )
            LogEntry.objects.create(
                programme=programme,
                date=start.date(),
                text=f"{title}: {sum(rng.random() < 0.85 for _ in participants)} peserta ikut; "
                "diskusi berjalan lancar di grup.",
                author=facilitator,
            )
    for position, (title, body) in enumerate(
        [
            (
                "Protokol di lapak",
                "Cuci tangan sebelum dan sesudah melayani, pakai masker, "
                "sediakan tempat cuci tangan, atur jarak antrean.",
            ),
            (
                "Berjualan lewat WhatsApp",
                "Simpan nomor pelanggan, kirim foto dan harga, "
                "balas pesan dengan ramah, catat pesanan.",
            ),
        ]
    ):
        Lesson.objects.create(
            programme=programme,
            position=position,
            title=title,
            body=body,
            sent_at=now - dt.timedelta(days=30 - 10 * position),
        )
    for kind, day, base in [(Quiz.Kind.PRE, -44, 0.45), (Quiz.Kind.POST, -2, 0.8)]:
        quiz = Quiz.objects.create(
            programme=programme,
            kind=kind,
            title=f"{'Pre' if kind == 'pre' else 'Post'}-test {programme.title}",
            pass_mark=75,
            opened_at=now + dt.timedelta(days=day),
            closed_at=now + dt.timedelta(days=day + 2),
        )
        questions = [
            Question.objects.create(quiz=quiz, position=i, text=t, choices=c, correct=k)
            for i, (t, c, k) in enumerate(QUESTIONS[village.slug])
        ]
        for participant in participants:
            started = now + dt.timedelta(days=day, hours=rng.randint(1, 30))
            attempt = Attempt.objects.create(
                quiz=quiz, participant=participant, started_at=started, finished_at=started
            )
            right = 0
            for question in questions:
                correct = rng.random() < base
                right += correct
                choice = question.correct if correct else (question.correct + 1) % 3
                Answer.objects.create(
                    attempt=attempt,
                    question=question,
                    choice=choice,
                    is_correct=correct,
                    answered_at=started,
                )
            Attempt.objects.filter(pk=attempt.pk).update(
                score=score_of(right, len(questions)),
                finished_at=started + dt.timedelta(minutes=4),
            )
    Comment.objects.create(
        programme=programme,
        author=supervisor,
        text="Dokumentasi kegiatan sudah baik. Mohon lengkapi logbook setiap pertemuan dan "
        "siapkan rekap pre-test dan post-test untuk laporan akhir.",
    )
    return programme


# --- the finished programme and its monthly follow-up (balai.programmes.followup) ---------

FINISHED = {
    "title": "Pelatihan Media Sosial untuk UMKM",
    "purpose": "Ruang Komunitas Digital desa melatih pelaku usaha memakai media sosial untuk "
    "berjualan: memotret produk, menulis keterangan dan harga, dan melayani pesanan. Sesudah "
    "pelatihan, pendamping menanyakan penjualan peserta setiap bulan lewat WhatsApp.",
    "objectives": [
        "Peserta memahami cara memasarkan produk di media sosial.",
        "Penjualan peserta lewat platform digital meningkat dibanding sebelum pelatihan.",
    ],
    "target_group": "pelaku UMKM",
    "university": "Ruang Komunitas Digital Desa",
    "cohort": "Program Desa Cerdas",
    "question": "Berapa pesanan yang datang lewat media sosial atau WhatsApp bulan itu?",
    "quiz": [
        (
            "Foto produk yang menarik pembeli diambil…",
            ["Di tempat terang dengan latar polos", "Di tempat gelap", "Dari jauh sekali"],
            0,
        ),
        (
            "Keterangan produk sebaiknya memuat…",
            ["Nama, harga, dan cara memesan", "Hanya nama produk", "Tidak perlu keterangan"],
            0,
        ),
        (
            "Pembeli bertanya di WhatsApp, sebaiknya…",
            ["Dibalas secepatnya dengan ramah", "Dibalas minggu depan", "Tidak dibalas"],
            0,
        ),
        (
            "Agar unggahan mudah ditemukan pembeli, gunakan…",
            ["Tagar (#) yang sesuai", "Huruf kapital semua", "Tanpa keterangan"],
            0,
        ),
    ],
}


def seed_followup(village, rng: random.Random | None = None) -> Programme | None:
    """A short training that ended months ago, whose participants are the village's
    sellers and two traders without a catalogue, with pre/post tests and monthly check-ins
    since. A seller's reported month is what the market demo's sales hold for that month
    (their daily reports are part of the total), so the market's figures and the
    check-ins agree; the two without a catalogue have theirs on the check-in only. Runs
    after the market demo (and after the outcomes demo, whose indicators belong to the
    running programme)."""
    from balai.market.models import Seller
    from balai.market.sales import add_months, month_end

    rng = rng or random.Random(f"followup-{village.slug}")
    running = Programme.objects.filter(village=village).order_by("starts_on").first()
    if (
        running is None
        or Programme.objects.filter(village=village, title=FINISHED["title"]).exists()
    ):
        return None
    # The running programmes are asked monthly after they end, too.
    Programme.objects.filter(village=village).update(
        followup_months=6, followup_question=FINISHED["question"]
    )
    today = village.local_now().date()
    # The market demo's sales start here (balai.market.demo._sales).
    first = (today.replace(day=1) - dt.timedelta(days=160)).replace(day=1)
    starts = add_months(first, 1) + dt.timedelta(days=4)
    facilitator = running.facilitators.order_by("pk").first()
    programme = Programme.objects.create(
        village=village,
        title=FINISHED["title"],
        purpose=FINISHED["purpose"],
        objectives=FINISHED["objectives"],
        target_group=FINISHED["target_group"],
        starts_on=starts,
        ends_on=month_end(starts),
        university=FINISHED["university"],
        cohort=FINISHED["cohort"],
        reminder_offsets=[24 * 60, 60],
        followup_months=6,
        # Asked a few days ago, so the newest month shows every state on the first run.
        followup_day=min(max(today.day - 4, 1), 28),
        followup_question=FINISHED["question"],
        created_by=facilitator,
    )
    if facilitator:
        programme.facilitators.add(facilitator)
    programme.supervisors.set(running.supervisors.all())

    sellers = {
        s.resident_id: s for s in Seller.objects.filter(village=village).select_related("resident")
    }
    others = [
        p.resident
        for p in running.participants.select_related("resident").order_by("pk")
        if p.resident_id not in sellers
    ][:2]
    residents = [s.resident for s in sellers.values()] + others
    participants = []
    for i, resident in enumerate(residents):
        source = running.participants.filter(resident=resident).first()
        participant = Participant.objects.create(
            programme=programme,
            resident=resident,
            business=source.business if source else sellers[resident.pk].business_name,
            age_group=source.age_group if source else "",
            area=resident.area,
            added_by=facilitator,
        )
        asked = dt.datetime.combine(starts - dt.timedelta(days=6), dt.time(10), tzinfo=village.tz)
        answered = asked + dt.timedelta(hours=rng.randint(1, 30))
        ConsentEvent.objects.create(
            participant=participant,
            kind="requested",
            text=consent.request_text(participant),
            at=asked,
        )
        ConsentEvent.objects.create(
            participant=participant,
            kind="given",
            text="Bersedia",
            wamid=f"wamid.demofu{village.pk}{i}",
            at=answered,
        )
        participant.consent, participant.consent_at = ConsentState.GIVEN, answered
        participant.save(update_fields=["consent", "consent_at"])
        participants.append(participant)

    sessions = [
        ("Memotret produk dan menulis keterangan", 0),
        ("Melayani pesanan lewat WhatsApp", 7),
    ]
    for title, day in sessions:
        start = dt.datetime.combine(starts + dt.timedelta(days=day), dt.time(9), village.tz)
        activity = programme.activities.create(
            title=title, starts_at=start, ends_at=start + dt.timedelta(hours=3),
            place="Ruang Komunitas Digital, balai desa",
        )  # fmt: skip
        for participant in participants:
            came = rng.random() < 0.9
            Attendance.objects.create(
                activity=activity, participant=participant, answer="coming" if came else "",
                answered_at=start - dt.timedelta(hours=20) if came else None, present=came,
                marked_by=facilitator, marked_at=start + dt.timedelta(hours=3),
            )  # fmt: skip
        LogEntry.objects.create(
            programme=programme, date=start.date(), author=facilitator,
            text=f"{title}: peserta praktik langsung dengan ponsel masing-masing.",
        )  # fmt: skip
    begin = dt.datetime.combine(starts, dt.time(8), village.tz)
    _seed_quizzes(programme, participants, FINISHED["quiz"], begin, begin + dt.timedelta(days=8),
                  (0.4, 0.85), rng)  # fmt: skip

    _checkin_history(programme, participants, sellers, rng)
    return programme


def _checkin_history(programme, participants, sellers, rng) -> None:
    """Every month asked so far, as the periodic job and the answers would have left it:
    most answered (some after a reminder), some reminded and closed unanswered, the month
    asked last still open for some; the last participant stopped with *berhenti* during the
    second month."""
    from balai.market.models import Sale
    from balai.market.sales import month_end
    from balai.programmes import followup
    from balai.programmes.models import CheckIn

    village, now = programme.village, timezone.now()
    asked_months = [m for m in followup.periods(programme) if followup.ask_at(programme, m) <= now]
    stopper = participants[-1]
    rows = []
    for n, period in enumerate(asked_months):
        asked = followup.ask_at(programme, period)
        elapsed = now - asked
        latest = n == len(asked_months) - 1
        for participant in participants:
            if participant == stopper and n > 1:
                break
            c = CheckIn(
                village=village, programme=programme, participant=participant, period=period,
                asked_at=asked, step="",
            )  # fmt: skip
            delay = dt.timedelta(hours=rng.randint(2, 150))
            if participant == stopper and n == 1:
                c.state = CheckIn.State.STOPPED
            elif rng.random() < (0.7 if latest else 0.85) and delay < elapsed:
                c.reminders = min(followup.MAX_REMINDERS, int(delay / followup.REMIND_AFTER))
                if c.reminders:
                    c.last_reminded_at = asked + followup.REMIND_AFTER * c.reminders
                c.state, c.answered_at = CheckIn.State.ANSWERED, asked + delay
                seller = sellers.get(participant.resident_id)
                if seller is None:
                    c.sales_amount = rng.choice([0, 350_000, 600_000, 750_000, 1_200_000])
                else:  # the month's total of the market's records (daily reports included)
                    month = Sale.objects.filter(
                        seller=seller, sold_on__gte=period, sold_on__lte=month_end(period)
                    )
                    c.sales_amount = month.aggregate(total=models.Sum("amount"))["total"] or 0
                c.sales_text = _spoken(c.sales_amount, rng)
                orders = rng.choice([0, 1, 2, 3, 4, 6]) if c.sales_amount else 0
                c.custom_answer = ["belum ada", f"{orders}", f"{orders} pesanan", f"ada {orders}"][
                    min(orders, 3)
                ]
                c.custom_value = followup.parse_number(c.custom_answer) or 0
            else:  # not (yet) answered: reminded as the periodic job does, then closed
                c.reminders = min(followup.MAX_REMINDERS, int(elapsed / followup.REMIND_AFTER))
                if c.reminders:
                    c.last_reminded_at = asked + followup.REMIND_AFTER * c.reminders
                if elapsed >= followup.CLOSE_AFTER:
                    c.state = CheckIn.State.SKIPPED
                else:
                    c.state = CheckIn.State.REMINDED if c.reminders else CheckIn.State.ASKED
                    c.step = followup.SALES
            rows.append(c)
    CheckIn.objects.bulk_create(rows)
    if len(asked_months) > 1:
        at = followup.ask_at(programme, asked_months[1]) + dt.timedelta(hours=5)
        ConsentEvent.objects.create(participant=stopper, kind="withdrawn", text="berhenti", at=at)
        Participant.objects.filter(pk=stopper.pk).update(
            consent=ConsentState.WITHDRAWN, consent_at=at
        )


def _spoken(amount: int, rng: random.Random) -> str:
    """How a participant would type the figure."""
    if amount == 0:
        return rng.choice(["0", "tidak ada penjualan", "belum ada yang laku"])
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f} juta".replace(".", ",").replace(",0 ", " ")
    return f"{amount // 1000}rb"


def _seed_quizzes(programme, participants, questions, pre_at, post_at, rates, rng) -> None:
    """A pre-test and a post-test with the same questions, finished by every participant."""
    for kind, when, base in [
        (Quiz.Kind.PRE, pre_at, rates[0]),
        (Quiz.Kind.POST, post_at, rates[1]),
    ]:
        quiz = Quiz.objects.create(
            programme=programme, kind=kind, pass_mark=75,
            title=f"{'Pre' if kind == 'pre' else 'Post'}-test {programme.title}",
            opened_at=when, closed_at=when + dt.timedelta(days=2),
        )  # fmt: skip
        made = [
            Question.objects.create(quiz=quiz, position=i, text=t, choices=c, correct=k)
            for i, (t, c, k) in enumerate(questions)
        ]
        for participant in participants:
            started = when + dt.timedelta(hours=rng.randint(1, 30))
            attempt = Attempt.objects.create(
                quiz=quiz, participant=participant, started_at=started,
                finished_at=started + dt.timedelta(minutes=5),
            )  # fmt: skip
            right = 0
            for question in made:
                correct = rng.random() < base
                right += correct
                Answer.objects.create(
                    attempt=attempt, question=question, is_correct=correct, answered_at=started,
                    choice=question.correct if correct else (question.correct + 1) % 3,
                )  # fmt: skip
            Attempt.objects.filter(pk=attempt.pk).update(score=score_of(right, len(made)))
