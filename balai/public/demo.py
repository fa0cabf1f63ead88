"""Demo history for the transparency board: months of finished letter requests and
complaints in a demo village, so the board, its charts and its downloads have numbers.

Rows are created directly (in bulk), the way the app's own writes leave them: a ticket code
from the village's monthly sequence, the due date in working days, a history of events, and
``completed_at``/``resolved_at`` set as the workflow sets them. Completed requests have no
``IssuedLetter`` (no PDF is rendered for them); the board then times them by
``completed_at``, as it does for any request finished without one.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from balai.complaints.models import Category, Complaint, ComplaintEvent, ComplaintState
from balai.letters.models import LetterRequest, LetterType, RequestEvent, RequestState
from balai.letters.workflow import chain
from balai.public import transparency

# How often residents ask for each letter (slugs of balai.letters.catalogue); others: 2.
TYPE_WEIGHTS = {
    "domisili": 20, "sktm": 16, "usaha": 14, "skck": 12, "ktp": 8, "kk": 7, "kelahiran": 6,
    "belum_menikah": 5, "pindah": 4, "kematian": 3, "kehilangan": 3, "keramaian": 2,
}  # fmt: skip
PURPOSES = [
    "melamar pekerjaan", "mendaftar sekolah anak", "pengajuan KUR", "membuka rekening bank",
    "mengurus BPJS", "persyaratan beasiswa", "keperluan administrasi",
]  # fmt: skip
REJECTIONS = [
    "Foto KTP tidak terbaca. Silakan ajukan lagi dengan foto yang jelas.",
    "Data tidak sesuai dengan Kartu Keluarga. Silakan datang ke kantor desa.",
    "Surat pengantar RT belum dilampirkan.",
]
# (category slug, weight, typical days to resolve, kind, what residents write)
COMPLAINT, SUGGESTION = Complaint.Kind.COMPLAINT, Complaint.Kind.SUGGESTION
COMPLAINTS = [
    ("jalan", 25, 9, COMPLAINT, "Jalan di dekat pos ronda berlubang, bahaya kalau malam."),
    ("lampu", 20, 3, COMPLAINT, "Lampu jalan di tikungan dekat sawah mati."),
    ("sampah", 18, 2, COMPLAINT, "Sampah di pinggir sungai belum diangkut."),
    ("air", 12, 4, COMPLAINT, "Air bersih tidak mengalir sejak kemarin sore."),
    ("pelayanan", 10, 2, SUGGESTION, "Mohon jam pelayanan kantor desa ditambah hari Senin."),
    ("keamanan", 6, 5, SUGGESTION, "Usul: jadwal ronda malam diaktifkan lagi."),
    ("bansos", 5, 7, COMPLAINT, "Bantuan sosial bulan ini belum diterima."),
    ("lainnya", 4, 4, COMPLAINT, "Selokan di depan balai dusun tersumbat."),
]
RESOLVED_NOTES = [
    "Sudah ditangani petugas desa. Terima kasih atas laporannya.",
    "Sudah diperbaiki bersama warga dan perangkat dusun.",
]


def _working_days_after(start: dt.date, days: int, holidays: set) -> dt.date:
    """``LetterType.due_date`` without its query per call."""
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            left -= 1
    return day


def _office_time(rng: random.Random, day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 14), rng.randint(0, 59)), tzinfo=tz)


def _submitted_time(rng: random.Random, day: dt.date, tz) -> dt.datetime:
    # Residents write on WhatsApp whenever they like, mostly in the day.
    hour = rng.choice([7, 8, 9, 9, 10, 10, 11, 12, 13, 14, 16, 19, 20, 21])
    return dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)), tzinfo=tz)


@transaction.atomic
def seed_transparency_history(village, months: int = 6, *, now=None) -> dict:
    """About ``months`` months of finished requests (mostly completed, some rejected or
    cancelled) and handled complaints, from the village's residents, ending three days ago.

    The service improves over the period (more letters on time towards the end), so the
    charts show a trend. Idempotent: a village that already has requests older than two
    weeks is left alone. Returns how many requests and complaints it created."""
    now = now or timezone.now()
    created = {"requests": 0, "complaints": 0}
    if LetterRequest.objects.filter(
        village=village, submitted_at__lt=now - dt.timedelta(days=14)
    ).exists():
        return created
    residents = list(village.residents.order_by("pk").values_list("pk", flat=True))
    types = list(LetterType.objects.filter(village=village, is_active=True))
    categories = {c.slug: c for c in Category.objects.filter(village=village, is_active=True)}
    if not residents or not types:
        return created

    rng = random.Random(f"balai-transparency-{village.slug}")
    tz = village.tz
    holidays = set(village.holidays.values_list("date", flat=True))
    last_stage = len(chain(village)) - 1
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=30 * months)
    last = today - dt.timedelta(days=3)
    span = (last - first).days or 1
    weights = [TYPE_WEIGHTS.get(t.slug, 2) for t in types]
    complaint_kinds = [c for c in COMPLAINTS if c[0] in categories]

    requests, request_events = [], []
    complaints, complaint_events = [], []
    day = first
    while day <= last:
        progress = (day - first).days / span  # 0 → 1 over the period
        working = day.weekday() < 5 and day not in holidays
        for _ in range(rng.choice([2, 3, 4, 4, 5, 6, 7] if working else [0, 1, 1, 2])):
            letter_type = rng.choices(types, weights)[0]
            submitted = _submitted_time(rng, day, tz)
            due = _working_days_after(day, letter_type.days, holidays)
            resident = rng.choice(residents)
            request = LetterRequest(
                village=village,
                code=village.next_ticket_code(submitted),
                letter_type=letter_type,
                resident_id=resident,
                contact_id=resident,
                identity=LetterRequest.Identity.MATCHED,
                answers={"keperluan": rng.choice(PURPOSES)},
                submitted_at=submitted,
                due_date=due,
            )
            events = [(RequestState.SUBMITTED, "submitted", "", submitted)]
            roll = rng.random()
            if roll < 0.86:
                # On time more often as the office gets used to the console.
                if rng.random() < 0.72 + 0.22 * progress:
                    done_day = _working_days_after(day, rng.randint(0, letter_type.days), holidays)
                else:
                    done_day = _working_days_after(due, rng.randint(1, 4), holidays)
                done = max(_office_time(rng, done_day, tz), submitted + dt.timedelta(hours=1))
                checked = submitted + (done - submitted) / 3
                if done < now:
                    request.state, request.completed_at = RequestState.COMPLETED, done
                    request.stage = last_stage
                    events += [
                        (RequestState.IN_REVIEW, "approve:verify", "Berkas lengkap.", checked),
                        (RequestState.COMPLETED, "deliver", "Surat dikirim lewat WhatsApp.", done),
                    ]
                elif checked < now:  # the last few days: still being worked on
                    request.state, request.stage = RequestState.IN_REVIEW, 1
                    events.append(
                        (RequestState.IN_REVIEW, "approve:verify", "Berkas lengkap.", checked)
                    )
            elif roll < 0.95:
                request.state = RequestState.REJECTED
                when = submitted + dt.timedelta(hours=rng.randint(2, 30))
                events.append((RequestState.REJECTED, "reject", rng.choice(REJECTIONS), when))
            else:
                request.state = RequestState.CANCELLED
                when = submitted + dt.timedelta(hours=rng.randint(1, 20))
                events.append((RequestState.CANCELLED, "cancel", "Dibatalkan oleh warga.", when))
            requests.append(request)
            request_events.append(events)

        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            slug, _weight, typical, kind, text = rng.choices(
                complaint_kinds, [c[1] for c in complaint_kinds]
            )[0]
            submitted = _submitted_time(rng, day, tz)
            complaint = Complaint(
                village=village,
                code=village.next_ticket_code(submitted),
                kind=kind,
                category=categories[slug],
                description=text,
                resident_id=rng.choice(residents),
                submitted_at=submitted,
                state=ComplaintState.IN_PROGRESS,
            )
            started = submitted + dt.timedelta(hours=rng.randint(2, 26))
            events = [
                (ComplaintState.RECEIVED, "", submitted),
                (ComplaintState.IN_PROGRESS, "Laporan sedang ditindaklanjuti.", started),
            ]
            roll = rng.random()
            resolved = started + dt.timedelta(days=rng.lognormvariate(0, 0.6) * typical)
            if roll < 0.87 and resolved < now:
                complaint.state = ComplaintState.RESOLVED
                complaint.resolved_at = complaint.follow_up_sent_at = resolved
                events.append((ComplaintState.RESOLVED, rng.choice(RESOLVED_NOTES), resolved))
                answered = resolved + dt.timedelta(hours=rng.randint(1, 20))
                if roll < 0.72 and answered < now:  # the resident answered "sudah beres"
                    complaint.state = ComplaintState.CLOSED
                    complaint.follow_up_answer = Complaint.FollowUp.YES
                    events.append((ComplaintState.CLOSED, "Jawaban warga: Sudah beres", answered))
            elif roll >= 0.87:
                complaint.state = ComplaintState.REJECTED
                reason = "Di luar kewenangan desa; sudah kami teruskan ke kecamatan."
                events.append((ComplaintState.REJECTED, reason, started + dt.timedelta(hours=3)))
            complaints.append(complaint)
            complaint_events.append(events)
        day += dt.timedelta(days=1)

    LetterRequest.objects.bulk_create(requests, batch_size=500)
    RequestEvent.objects.bulk_create(
        (
            RequestEvent(request=request, state=state, action=action, note=note, created=at)
            for request, events in zip(requests, request_events, strict=True)
            for state, action, note, at in events
        ),
        batch_size=500,
    )
    Complaint.objects.bulk_create(complaints, batch_size=500)
    ComplaintEvent.objects.bulk_create(
        (
            ComplaintEvent(complaint=complaint, state=state, note=note, created=at)
            for complaint, events in zip(complaints, complaint_events, strict=True)
            for state, note, at in events
        ),
        batch_size=500,
    )
    transaction.on_commit(lambda: transparency.forget(village))
    return {"requests": len(requests), "complaints": len(complaints)}
