"""The programme report (PDF and DOCX) and the consent register (PDF).

``build_report`` gathers everything once — texts, tables, the consent evidence and the
photos resized for print — into a ``Report``; ``report_pdf`` lays it out through an HTML
template with WeasyPrint (as letters are rendered: only ``data:`` images, no network),
``report_docx`` writes the same report with python-docx for the facilitator to edit. The
consent register (``consent_pdf``) is the field reports' "surat permohonan kesediaan …
sebagai bentuk legalitas": each participant, the request as sent, the answer, its time and
the WhatsApp message ids.

Times are the village's (WIB/WITA/WIT). Phone numbers are masked; no NIK appears.
"""

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone

from balai.letters.documents import tanggal
from balai.programmes.models import (
    Attendance,
    ConsentEvent,
    ConsentState,
    Photo,
    Programme,
    Quiz,
)
from balai.villages.models import Membership
from balai.whatsapp.models import Media

PHOTO_PX = 1200  # long side of a photo in the documents: sharp at 15 cm, small files
PHOTO_QUALITY = 80
IMAGE_SCHEME = "balai-foto:"
CHART_SCHEME = "balai-grafik:"  # the outcome charts (PNG), also from memory
SALES_PENDING = (
    "Hasil penjualan peserta akan tampil di bagian ini setelah modul UMKM mencatat "
    "penjualan mereka. Laporan ini belum memuat angka penjualan apa pun."
)
ANSWER_LABELS = {
    ConsentState.GIVEN: "Bersedia",
    ConsentState.REFUSED: "Tidak bersedia",
    ConsentState.WITHDRAWN: "Mengundurkan diri",
    ConsentState.ASKED: "Belum menjawab",
    ConsentState.NOT_ASKED: "Belum diminta",
}
ANSWER_KINDS = {ConsentEvent.Kind.GIVEN, ConsentEvent.Kind.REFUSED, ConsentEvent.Kind.WITHDRAWN}
REQUEST_KINDS = {ConsentEvent.Kind.REQUESTED, ConsentEvent.Kind.REMINDED}
WITHDRAWN_NOTE = (
    "{n} peserta mengundurkan diri; sesuai UU No. 27 Tahun 2022, data kehadiran dan kuis "
    "mereka tidak diolah lagi dan tidak dihitung di laporan ini."
)


# --- small formatting -------------------------------------------------------------------------


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else "—"


def waktu(moment: dt.datetime | None, village) -> str:
    """6 Juli 2020 09.15 WITA, in the village's time zone."""
    if moment is None:
        return "—"
    local = moment.astimezone(village.tz)
    return f"{tanggal(local.date())} {local:%H.%M} {village.tz_label}"


def period(programme: Programme) -> str:
    return f"{tanggal(programme.starts_on)} – {tanggal(programme.ends_on)}"


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; single line breaks inside one are spaces."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b]


# --- photos -----------------------------------------------------------------------------------


def photo_source(photo: Photo):
    """The stored file of a photo: uploaded in the console, or the WhatsApp media it came as."""
    if photo.file:
        return photo.file
    media = photo.media
    if media is not None and media.state == Media.State.STORED and media.file:
        return media.file
    return None


def shrink(photo: Photo, size: int, quality: int = PHOTO_QUALITY) -> tuple[bytes, int, int] | None:
    """A JPEG of the photo at most ``size`` pixels on its long side, upright, without its
    metadata (a phone photo's EXIF carries where it was taken); None when unreadable."""
    from PIL import Image, ImageOps

    source = photo_source(photo)
    if source is None:
        return None
    try:
        with source.open("rb") as f, Image.open(f) as image:
            image.thumbnail((size, size))  # a JPEG is decoded at a fraction of its size
            ImageOps.exif_transpose(image, in_place=True)
            small = image if image.mode == "RGB" else image.convert("RGB")
            out = io.BytesIO()
            small.save(out, "JPEG", quality=quality, optimize=True)
            return out.getvalue(), small.width, small.height
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


@dataclass
class Figure:
    number: int
    caption: str
    jpeg: bytes | None
    width: int = 0
    height: int = 0

    @property
    def label(self) -> str:
        return f"Foto {self.number}. {self.caption}"

    @property
    def src(self) -> str:
        """Where the PDF's HTML points for this photo: served from memory (a 3 MB data: URI
        in the HTML would cost seconds of parsing)."""
        return f"{IMAGE_SCHEME}{self.number}"

    @property
    def portrait(self) -> bool:
        return self.height > self.width


# --- the report's parts -----------------------------------------------------------------------


@dataclass
class ParticipantRow:
    number: int
    name: str
    phone: str
    business: str
    gender: str
    age_group: str
    dusun: str
    answer: str
    answered_at: str
    in_group: bool


@dataclass
class ConsentRow:
    """One participant's entry in the consent register."""

    name: str
    phone: str
    business: str
    answer: str
    answered_at: str
    answer_text: str
    answer_wamid: str
    request_text: str
    requested_at: str
    request_wamid: str
    request_status: str
    reminders: int
    events: list[dict] = field(default_factory=list)


@dataclass
class ActivityPart:
    number: int
    title: str
    date: str
    time: str
    place: str
    materials: str
    coming: int
    cannot: int
    no_answer: int
    present: int
    absent: int
    unmarked: int
    figures: list[Figure] = field(default_factory=list)


@dataclass
class QuizPart:
    title: str
    kind: str
    pass_mark: int
    questions: int
    takers: int
    mean: float | None
    lowest: int | None
    highest: int | None
    passed: int
    per_question: list[tuple[int, str, int, int | None]]  # (number, text, answered, % correct)


@dataclass
class PrePost:
    """A pre-test and its post-test, over the participants who finished both."""

    pre_title: str
    post_title: str
    pairs: int
    pre_mean: float
    post_mean: float
    change: float
    improved: int
    same: int
    worse: int
    passed_pre: int
    passed_post: int
    questions: list[tuple[str, int | None, int | None]]  # same questions: % correct before/after

    @property
    def sentence(self) -> str:
        return pre_post_sentence(self)


@dataclass
class Report:
    programme: Programme
    village: object
    generated_at: str
    title: str
    village_line: str
    region_line: str
    institution: str
    period: str
    target_group: str
    facilitators: list[str]
    supervisors: list[str]
    background: list[str]
    objectives: list[str]
    participants: list[ParticipantRow]
    consent_counts: list[tuple[str, int]]
    group: dict
    activities: list[ActivityPart]
    attendance_head: list[str]
    attendance_rows: list[tuple[str, list[str], int]]
    loose_figures: list[Figure]
    quizzes: list[QuizPart]
    pre_post: list[PrePost]
    sales_note: str
    log: list[tuple[str, str, str]]
    comments: list[tuple[str, str, str, str]]
    register: list[ConsentRow]
    withdrawn_note: str = ""
    # Section 9 from the outcome indicators (balai.outcomes.report), when there are some.
    outcomes: object = None

    @property
    def figures(self) -> list[Figure]:
        return [f for part in self.activities for f in part.figures] + self.loose_figures


# --- building ---------------------------------------------------------------------------------


def _roles(village, users) -> dict[int, Membership]:
    return {
        m.user_id: m
        for m in Membership.objects.filter(village=village, user__in=[u.pk for u in users if u])
    }


def _named(users, roles) -> list[str]:
    out = []
    for user in users:
        title = roles[user.pk].title if user.pk in roles else ""
        out.append(f"{person(user)}{f' ({title})' if title else ''}")
    return out


def consent_register(programme: Programme, participants=None) -> list[ConsentRow]:
    """Each participant with the request as sent, the answer, its time and message ids."""
    village = programme.village
    if participants is None:
        participants = list(
            programme.participants.select_related("resident").order_by("resident__name", "pk")
        )
    events = defaultdict(list)
    for event in (
        ConsentEvent.objects.filter(participant__programme=programme)
        .select_related("outbound")
        .order_by("at", "pk")
    ):
        events[event.participant_id].append(event)
    rows = []
    for participant in participants:
        history = events.get(participant.pk, [])
        answers = [e for e in history if e.kind in ANSWER_KINDS]
        answer = answers[-1] if answers else None
        # The request this answer answers: the last one sent before it (or the last one).
        requests = [
            e for e in history if e.kind in REQUEST_KINDS and (not answer or e.at <= answer.at)
        ]
        requests = requests or [e for e in history if e.kind in REQUEST_KINDS]
        request = requests[-1] if requests else None
        outbound = request.outbound if request else None
        rows.append(
            ConsentRow(
                name=participant.resident.name,
                phone=participant.resident.phone_masked,
                business=participant.business,
                answer=ANSWER_LABELS.get(participant.consent, participant.get_consent_display()),
                answered_at=waktu(answer.at, village) if answer else "—",
                answer_text=answer.text if answer else "",
                answer_wamid=(answer.wamid or "") if answer else "",
                request_text=request.text if request else "",
                requested_at=waktu(request.at, village) if request else "—",
                request_wamid=(outbound.wamid or "") if outbound else "",
                request_status=_delivery(outbound, village),
                reminders=sum(e.kind == ConsentEvent.Kind.REMINDED for e in history),
                events=[
                    {
                        "at": waktu(e.at, village),
                        "kind": e.get_kind_display(),
                        "wamid": (e.outbound.wamid or "") if e.outbound else e.wamid,
                        "text": "" if e.kind in REQUEST_KINDS else e.text,
                    }
                    for e in history
                ],
            )
        )
    return rows


def _delivery(outbound, village) -> str:
    if outbound is None:
        return ""
    steps = [
        ("terkirim", outbound.sent_at),
        ("diterima", outbound.delivered_at),
        ("dibaca", outbound.read_at),
    ]
    done = [f"{label} {waktu(at, village)}" for label, at in steps if at]
    if outbound.failed_at:
        done.append(f"gagal {waktu(outbound.failed_at, village)}")
    return ", ".join(done) or outbound.get_state_display().lower()


def _quiz_parts(programme: Programme) -> tuple[list[QuizPart], list[PrePost]]:
    """Scores per quiz and per question, and each pre/post pair compared — from the
    learning module's results, so the report counts as the console does (participants who
    withdrew are left out)."""
    from balai.programmes import learning

    parts = []
    quizzes = sorted(programme.quizzes.all(), key=lambda q: (q.kind != Quiz.Kind.PRE, q.pk))
    for quiz in quizzes:
        results = learning.quiz_results(quiz)
        scores = [r.score for r in results.finished]
        parts.append(
            QuizPart(
                title=quiz.title,
                kind=quiz.get_kind_display(),
                pass_mark=quiz.pass_mark,
                questions=results.total,
                takers=len(scores),
                mean=results.average,
                lowest=min(scores) if scores else None,
                highest=max(scores) if scores else None,
                passed=results.passed,
                per_question=[
                    (q.number, q.question.text, q.answered, q.share_correct)
                    for q in results.questions
                ],
            )
        )
    pairs = []
    for comparison in learning.pre_post(programme):
        paired = comparison.paired
        if not paired:
            continue
        pairs.append(
            PrePost(
                pre_title=comparison.pre.title,
                post_title=comparison.post.title,
                pairs=len(paired),
                pre_mean=comparison.pre_average,
                post_mean=comparison.post_average,
                change=comparison.average_change,
                improved=comparison.improved,
                same=sum(r.change == 0 for r in paired),
                worse=sum(r.change < 0 for r in paired),
                passed_pre=comparison.passed_pre,
                passed_post=comparison.passed_post,
                questions=[(q.text, q.pre, q.post) for q in comparison.questions],
            )
        )
    return parts, pairs


def build_report(programme: Programme) -> Report:
    """Everything the report shows, gathered in a fixed number of queries."""
    programme = Programme.objects.select_related("village").get(pk=programme.pk)
    village = programme.village
    facilitators = list(programme.facilitators.order_by("first_name", "username"))
    supervisors = list(programme.supervisors.order_by("first_name", "username"))
    participants = list(
        programme.participants.select_related("resident", "area").order_by("resident__name", "pk")
    )
    register = consent_register(programme, participants)

    rows = [
        ParticipantRow(
            number=i,
            name=p.resident.name,
            phone=p.resident.phone_masked,
            business=p.business,
            gender=p.resident.get_gender_display() if p.resident.gender else "",
            age_group=p.get_age_group_display() if p.age_group else "",
            dusun=p.area.name if p.area else "",
            answer=ANSWER_LABELS.get(p.consent, p.get_consent_display()),
            answered_at=register[i - 1].answered_at,
            in_group=p.in_group,
        )
        for i, p in enumerate(participants, 1)
    ]
    states = Counter(p.consent for p in participants)
    consent_counts = [(ANSWER_LABELS[value], states.get(value, 0)) for value in ANSWER_LABELS]

    members = [
        p.resident.name for p in participants if p.in_group and p.consent == ConsentState.GIVEN
    ]
    group = {
        "name": programme.group_name,
        "formed_on": tanggal(programme.group_formed_on) if programme.group_formed_on else "",
        "members": members,
        "staff": [person(u) for u in [*facilitators, *supervisors]],
        "opening_info": paragraphs(programme.opening_info),
    }

    activities = list(programme.activities.order_by("starts_at", "pk"))
    attendance = {
        (a.activity_id, a.participant_id): a
        for a in Attendance.objects.filter(activity__programme=programme)
    }
    # Only those who said yes and still agree: after `berhenti` nothing of theirs is
    # processed any more (learning.py leaves them out of the quiz results the same way).
    attending = [p for p in participants if p.consent == ConsentState.GIVEN]
    withdrawn = sum(p.consent == ConsentState.WITHDRAWN for p in participants)
    photos = defaultdict(list)
    for photo in programme.photos.select_related("media").order_by("created", "pk"):
        photos[photo.activity_id].append(photo)

    number = 0

    def figures(items, fallback: str) -> list[Figure]:
        nonlocal number
        out = []
        for photo in items:
            number += 1
            shrunk = shrink(photo, PHOTO_PX)
            jpeg, width, height = shrunk or (None, 0, 0)
            out.append(Figure(number, photo.caption or fallback, jpeg, width, height))
        return out

    parts = []
    for index, activity in enumerate(activities, 1):
        marks = [attendance.get((activity.pk, p.pk)) for p in attending]
        start = activity.starts_at.astimezone(village.tz)
        end = activity.ends_at.astimezone(village.tz) if activity.ends_at else None
        parts.append(
            ActivityPart(
                number=index,
                title=activity.title,
                date=tanggal(start.date()),
                time=f"{start:%H.%M}{f'–{end:%H.%M}' if end else ''} {village.tz_label}",
                place=activity.place or ("daring" if activity.online_link else ""),
                materials=activity.materials,
                coming=sum(bool(m and m.answer == Attendance.Answer.COMING) for m in marks),
                cannot=sum(bool(m and m.answer == Attendance.Answer.CANNOT) for m in marks),
                no_answer=sum(not (m and m.answer) for m in marks),
                present=sum(bool(m and m.present is True) for m in marks),
                absent=sum(bool(m and m.present is False) for m in marks),
                unmarked=sum(not m or m.present is None for m in marks),
                figures=figures(photos.get(activity.pk, []), f"Kegiatan {activity.title}"),
            )
        )
    loose = figures(photos.get(None, []), f"Kegiatan program {programme.title}")

    def cell(mark) -> str:
        if mark is None or mark.present is None:
            return "–"
        return "H" if mark.present else "T"

    attendance_rows = []
    for p in attending:
        cells = [cell(attendance.get((a.pk, p.pk))) for a in activities]
        attendance_rows.append((p.resident.name, cells, cells.count("H")))

    quizzes, pre_post = _quiz_parts(programme)

    log = [
        (tanggal(entry.date), entry.text, person(entry.author))
        for entry in programme.log.select_related("author").order_by("date", "pk")
    ]
    comments_qs = list(programme.comments.select_related("author").order_by("created", "pk"))
    roles = _roles(village, [*facilitators, *supervisors, *[c.author for c in comments_qs]])
    comments = [
        (
            waktu(c.created, village),
            person(c.author),
            roles[c.author_id].get_role_display() if c.author_id in roles else "",
            c.text,
        )
        for c in comments_qs
    ]
    institution = ", ".join(x for x in [programme.university, programme.cohort] if x)
    return Report(
        programme=programme,
        village=village,
        generated_at=waktu(timezone.now(), village),
        title=programme.title,
        village_line=f"{village}",
        region_line=(
            f"Kecamatan {village.kecamatan}, Kabupaten {village.kabupaten}, "
            f"Provinsi {village.provinsi}"
        ),
        institution=institution,
        period=period(programme),
        target_group=programme.target_group,
        facilitators=_named(facilitators, roles),
        supervisors=_named(supervisors, roles),
        background=paragraphs(programme.purpose),
        objectives=[str(o).strip() for o in programme.objectives or [] if str(o).strip()],
        participants=rows,
        consent_counts=consent_counts,
        group=group,
        activities=parts,
        attendance_head=[f"K{part.number}" for part in parts],
        attendance_rows=attendance_rows,
        loose_figures=loose,
        quizzes=quizzes,
        pre_post=pre_post,
        sales_note=SALES_PENDING,
        log=log,
        comments=comments,
        register=register,
        withdrawn_note=WITHDRAWN_NOTE.format(n=withdrawn) if withdrawn else "",
        outcomes=_outcomes(programme),
    )


def _outcomes(programme: Programme):
    from balai.outcomes.report import section

    return section(programme)


# --- renderers --------------------------------------------------------------------------------


def render_pdf(
    html: str, images: dict[str, bytes] | None = None, charts: dict[str, bytes] | None = None
) -> bytes:
    """WeasyPrint, reaching nothing but the report's own photos (``balai-foto:<n>``, from
    memory): no network, no files, as letters are rendered."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    images, charts = images or {}, charts or {}

    class PhotoFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(CHART_SCHEME) and url.removeprefix(CHART_SCHEME) in charts:
                body = charts[url.removeprefix(CHART_SCHEME)]
                return URLFetcherResponse(url, body, {"Content-Type": "image/png"})
            body = (
                images.get(url.removeprefix(IMAGE_SCHEME)) if url.startswith(IMAGE_SCHEME) else None
            )
            if body is None:
                raise ValueError("Laporan hanya boleh memuat foto program ini.")
            return URLFetcherResponse(url, body, {"Content-Type": "image/jpeg"})

    fetcher = PhotoFetcher(allowed_protocols=set(), allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()


def report_pdf(report: Report) -> bytes:
    html = render_to_string("programmes/pdf/report.html", {"r": report})
    charts = report.outcomes.images if report.outcomes else {}
    return render_pdf(html, {str(f.number): f.jpeg for f in report.figures if f.jpeg}, charts)


def consent_pdf(programme: Programme) -> bytes:
    programme = Programme.objects.select_related("village").get(pk=programme.pk)
    village = programme.village
    facilitators = list(programme.facilitators.order_by("first_name", "username"))
    rows = consent_register(programme)
    html = render_to_string(
        "programmes/pdf/consent.html",
        {
            "programme": programme,
            "village": village,
            "institution": ", ".join(x for x in [programme.university, programme.cohort] if x),
            "facilitators": _named(facilitators, _roles(village, facilitators)),
            "period": period(programme),
            "rows": rows,
            "counts": [
                (label, n)
                for label in ANSWER_LABELS.values()
                if (n := sum(row.answer == label for row in rows))
            ],
            "generated_at": waktu(timezone.now(), village),
        },
    )
    return render_pdf(html)


def report_docx(report: Report) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    doc.core_properties.title = f"Laporan {report.title}"
    doc.core_properties.subject = report.village_line
    doc.core_properties.author = ", ".join(report.facilitators)[:255] or "Balai"

    def centred(text: str, size: int | None = None, bold: bool = False, space: int = 6):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(space)
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        return paragraph

    def table(head: list[str], body: list[list[str]], widths: list[float] | None = None):
        grid = doc.add_table(rows=1, cols=len(head))
        grid.style = "Table Grid"
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(grid.rows[0].cells, head, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for values in body:
            cells = grid.add_row().cells
            for cell, text in zip(cells, values, strict=True):
                cell.text = str(text)
        if widths:
            for row in grid.rows:
                for cell, width in zip(row.cells, widths, strict=True):
                    cell.width = Cm(width)
        doc.add_paragraph()
        return grid

    def figure(fig: Figure):
        if fig.jpeg:
            picture = doc.add_paragraph()
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            size = {"height": Cm(10)} if fig.portrait else {"width": Cm(14)}
            picture.add_run().add_picture(io.BytesIO(fig.jpeg), **size)
            picture.paragraph_format.keep_with_next = True
        else:
            doc.add_paragraph(
                "(berkas foto tidak dapat dibaca)"
            ).alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption = doc.add_paragraph(fig.label, style="Caption")
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # Cover
    centred("LAPORAN PROGRAM PENDAMPINGAN", 14, bold=True, space=18)
    centred(report.title.upper(), 18, bold=True, space=18)
    centred(report.village_line, 13, bold=True, space=2)
    centred(report.region_line, 11, space=24)
    if report.institution:
        centred(report.institution, 12, space=24)
    centred("Disusun oleh", 11, space=2)
    for name in report.facilitators or ["—"]:
        centred(name, 12, bold=True, space=2)
    centred("", space=12)
    centred("Dosen Pembimbing Lapangan", 11, space=2)
    for name in report.supervisors or ["—"]:
        centred(name, 12, bold=True, space=2)
    centred("", space=12)
    centred(f"Masa program: {report.period}", 11, space=2)
    centred(f"Kelompok sasaran: {report.target_group}", 11, space=2)
    centred(f"Dibuat dengan Balai pada {report.generated_at}", 9, space=2)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    doc.add_heading("1. Latar Belakang", level=1)
    for text in report.background or ["—"]:
        doc.add_paragraph(text)

    doc.add_heading("2. Tujuan", level=1)
    if report.objectives:
        for text in report.objectives:
            doc.add_paragraph(text, style="List Number")
    else:
        doc.add_paragraph("Tujuan program belum diisi.")

    doc.add_heading("3. Peserta dan Persetujuan", level=1)
    doc.add_paragraph(
        f"Kelompok sasaran: {report.target_group}. Setiap calon peserta dikirimi surat "
        "permohonan kesediaan lewat WhatsApp secara pribadi; jawaban dan waktunya tercatat "
        "sebagai bukti (lihat Lampiran)."
    )
    table(
        ["No", "Nama", "Usaha/komoditas", "L/P", "Umur", "Dusun", "Persetujuan"],
        [
            [str(p.number), p.name, p.business, p.gender[:1], p.age_group, p.dusun, p.answer]
            for p in report.participants
        ],
        [1, 4, 3.5, 1, 1.8, 2.2, 2.5],
    )
    table(["Persetujuan", "Jumlah"], [[label, str(n)] for label, n in report.consent_counts])

    doc.add_heading("4. Grup WhatsApp", level=1)
    group = report.group
    if group["name"]:
        formed = f", dibentuk pada {group['formed_on']}" if group["formed_on"] else ""
        doc.add_paragraph(
            f"Grup WhatsApp “{group['name']}”{formed}, beranggotakan "
            f"{len(group['members'])} peserta serta pendamping dan DPL."
        )
        for name in group["members"]:
            doc.add_paragraph(name, style="List Bullet")
        for name in group["staff"]:
            doc.add_paragraph(f"{name} (pendamping/DPL)", style="List Bullet")
        if group["opening_info"]:
            doc.add_paragraph("Informasi awal yang dikirim ke peserta:")
            for text in group["opening_info"]:
                doc.add_paragraph(text, style="Quote")
    else:
        doc.add_paragraph("Grup WhatsApp program belum dicatat.")

    doc.add_heading("5. Jadwal Kegiatan", level=1)
    if report.activities:
        table(
            ["No", "Tanggal", "Waktu", "Kegiatan", "Tempat"],
            [[f"K{a.number}", a.date, a.time, a.title, a.place] for a in report.activities],
            [1.2, 3.2, 3, 5.6, 3],
        )
    else:
        doc.add_paragraph("Belum ada kegiatan.")

    doc.add_heading("6. Kehadiran", level=1)
    if report.activities:
        doc.add_paragraph(
            "Jawaban peserta atas pengingat di WhatsApp dan kehadiran yang dicatat pendamping "
            "pada hari kegiatan."
        )
        table(
            ["Kegiatan", "Akan hadir", "Tidak bisa", "Tidak menjawab", "Hadir", "Tidak hadir"],
            [
                [f"K{a.number}. {a.title}", a.coming, a.cannot, a.no_answer, a.present, a.absent]
                for a in report.activities
            ],
        )
        if report.attendance_rows:
            table(
                ["Peserta", *report.attendance_head, "Jumlah hadir"],
                [[name, *cells, str(n)] for name, cells, n in report.attendance_rows],
            )
            doc.add_paragraph("H = hadir, T = tidak hadir, – = belum dicatat.")
        if report.withdrawn_note:
            doc.add_paragraph(report.withdrawn_note)
    else:
        doc.add_paragraph("Belum ada kegiatan.")

    doc.add_heading("7. Dokumentasi", level=1)
    if not report.figures:
        doc.add_paragraph("Belum ada foto dokumentasi.")
    for part in report.activities:
        if not part.figures:
            continue
        doc.add_heading(f"K{part.number}. {part.title} ({part.date})", level=2)
        for fig in part.figures:
            figure(fig)
    if report.loose_figures:
        doc.add_heading("Dokumentasi lain", level=2)
        for fig in report.loose_figures:
            figure(fig)

    doc.add_heading("8. Hasil Pre-test dan Post-test", level=1)
    if report.quizzes:
        table(
            ["Kuis", "Jenis", "Peserta", "Rata-rata", "Terendah", "Tertinggi", "Lulus"],
            [
                [
                    q.title, q.kind, q.takers, _num(q.mean), _num(q.lowest), _num(q.highest),
                    f"{q.passed} (nilai ≥ {q.pass_mark})",
                ]
                for q in report.quizzes
            ],
        )  # fmt: skip
        for pp in report.pre_post:
            doc.add_paragraph(pre_post_sentence(pp))
            if pp.questions:
                table(
                    ["Pertanyaan", "Benar (pre)", "Benar (post)"],
                    [[text, _pct(a), _pct(b)] for text, a, b in pp.questions],
                    [10, 3, 3],
                )
        for q in report.quizzes:
            if q.per_question:
                doc.add_heading(f"{q.kind}: {q.title}", level=2)
                table(
                    ["No", "Pertanyaan", "Dijawab", "Benar"],
                    [[n, text, answered, _pct(rate)] for n, text, answered, rate in q.per_question],
                    [1.2, 10, 2, 2.8],
                )
    else:
        doc.add_paragraph("Program ini belum memakai kuis.")

    doc.add_heading("9. Hasil Penjualan", level=1)
    if report.outcomes:
        from balai.outcomes.report import write_docx

        write_docx(doc, report.outcomes, table)
    else:
        doc.add_paragraph(report.sales_note)

    doc.add_heading("10. Catatan Harian (Logbook)", level=1)
    if report.log:
        table(["Tanggal", "Catatan", "Penulis"], [list(row) for row in report.log], [3, 10, 3])
    else:
        doc.add_paragraph("Belum ada catatan.")

    doc.add_heading("11. Komentar DPL", level=1)
    if report.comments:
        for at, author, role, text in report.comments:
            head = doc.add_paragraph()
            head.add_run(author).bold = True
            head.add_run(f"{f' ({role})' if role else ''} · {at}")
            head.paragraph_format.keep_with_next = True
            doc.add_paragraph(text)
    else:
        doc.add_paragraph("Belum ada komentar.")

    doc.add_heading("Lampiran: Ringkasan Register Persetujuan", level=1)
    doc.add_paragraph(
        "Permohonan kesediaan dikirim lewat WhatsApp; jawaban peserta tercatat dengan waktu "
        "dan nomor pesan WhatsApp-nya. Register lengkap, termasuk teks permohonan, ada di "
        "berkas Register Persetujuan (PDF)."
    )
    table(
        ["Nama", "Jawaban", "Waktu jawaban", "ID pesan jawaban"],
        [[c.name, c.answer, c.answered_at, c.answer_wamid or "—"] for c in report.register],
        [4, 3, 4, 5],
    )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _num(value) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return text.removesuffix(".0").replace(".", ",")


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _num(value)


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def pre_post_sentence(pp: PrePost) -> str:
    """One sentence per pre/post pair, the same in both documents."""
    direction = "naik" if pp.change > 0 else "turun" if pp.change < 0 else "tetap"
    moved = f"dari {_num(pp.pre_mean)} menjadi {_num(pp.post_mean)} ({_signed(pp.change)})"
    return (
        f"{pp.pre_title} → {pp.post_title}: {pp.pairs} peserta mengerjakan keduanya. "
        f"Rata-rata nilai {direction} {moved if pp.change else f'di {_num(pp.pre_mean)}'}; "
        f"{pp.improved} peserta nilainya naik, {pp.same} tetap, {pp.worse} turun. Yang "
        f"mencapai nilai lulus: {pp.passed_pre} pada pre-test, {pp.passed_post} pada post-test."
    )


def report_filename(programme: Programme, ext: str) -> str:
    from django.utils.text import slugify

    return f"laporan-{slugify(programme.title)[:60] or programme.code}.{ext}"


__all__ = [
    "Report",
    "build_report",
    "consent_pdf",
    "consent_register",
    "report_docx",
    "report_pdf",
    "shrink",
]
