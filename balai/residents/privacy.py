"""A resident's rights over their data (UU PDP 27/2022): a copy of it, and its erasure.

- ``do_receive_data_request``: a request arrives (``data saya`` on WhatsApp, or staff record
  one made at the office); the law gives 3 × 24 hours to answer (``DataRequest.due_at``).
- ``do_start_export`` → ``build_and_send_export`` (a job): everything Balai holds about the
  person, across apps, as ``data.json`` + a readable PDF + the files they sent, in a zip;
  the PDF goes to them as a WhatsApp document whose caption links the zip (both links are
  signed and expire; Meta takes PDFs as documents but not zips).
- ``do_erase``: anonymise the person everywhere, keep what the law on archives keeps (the
  issued letters' register: number, date, type, hash) and refuse, saying why, while
  something still being worked on needs their data (an open letter request or complaint).
- ``do_refuse``: staff decline a request with a reason the resident receives.

Every step tells the resident on WhatsApp (a message inside the 24-hour window, the
village's approved status template outside it) and writes an audit event. NIK and KK
never go into URLs or log lines; the export holds them in full because they are the
person's own.
"""

import contextlib
import io
import json
import logging
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from balai.core.jobs import enqueue_on_commit, job
from balai.lib.codes import new_code
from balai.residents.models import DataRequest, Resident
from balai.villages.actions import do_audit

logger = logging.getLogger(__name__)

STATUS_PURPOSE = "status_update"  # the village's approved status template
DOWNLOAD_SALT = "balai.residents.privacy.download"
DOWNLOAD_DAYS = 7
ERASED_NAME = "(data dihapus)"
ERASED_TEXT = "(dihapus atas permintaan warga)"
MEDIA_ERASED = "dihapus atas permintaan warga (UU PDP)"
Kind, State = DataRequest.Kind, DataRequest.State


class PrivacyError(ValueError):
    """A step that cannot be taken now; the message says why, in Indonesian."""


# --- receiving and telling ------------------------------------------------------------------


def deadline_text(data_request: DataRequest) -> str:
    due = data_request.due_at.astimezone(data_request.village.tz)
    return f"{dateformat.format(due, 'l, j F Y')} pukul {due:%H.%M} {data_request.village.tz_label}"


def receipt_text(data_request: DataRequest, *, again: bool = False) -> str:
    what = {
        Kind.EXPORT: "salinan data pribadi Anda",
        Kind.ERASURE: "penghapusan data pribadi Anda",
    }[data_request.kind]
    head = (
        f"Permintaan {what} sudah kami terima sebelumnya dan sedang diproses."
        if again
        else f"Baik, Bapak/Ibu. Permintaan {what} sudah kami terima."
    )
    return (
        f"{head}\n"
        f"Nomor tiket: *{data_request.code}*\n"
        f"Petugas desa akan menjawab paling lambat {deadline_text(data_request)} "
        "(3 × 24 jam, sesuai UU Pelindungan Data Pribadi). Kami kabari lewat WhatsApp ini."
    )


def data_request_status(data_request: DataRequest) -> str:
    """The answer to the ticket code typed on WhatsApp."""
    lines = [
        f"*{data_request.code}* — permintaan {data_request.get_kind_display().lower()}",
        f"Status: *{data_request.get_state_display()}*",
    ]
    if data_request.is_pending:
        lines.append(f"Batas jawaban petugas: {deadline_text(data_request)}")
    elif data_request.state == State.REFUSED and data_request.note:
        lines.append(f"Alasan: {data_request.note}")
    return "\n".join(lines)


def do_receive_data_request(
    resident: Resident, kind: str, *, via: str = "whatsapp", actor=None, note: str = ""
) -> tuple[DataRequest, bool]:
    """Record a request; an unanswered one of the same kind is returned instead of a new one.
    Returns (request, created)."""
    if kind not in Kind.values:
        raise PrivacyError("Jenis permintaan tidak dikenal.")
    with transaction.atomic():
        # Locked so two quick messages never make two requests.
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        existing = DataRequest.objects.pending().filter(resident=resident, kind=kind).first()
        if existing is not None:
            return existing, False
        now = timezone.now()
        village = resident.village
        data_request = DataRequest.objects.create(
            village=village,
            code=village.next_ticket_code(now),
            resident=resident,
            kind=kind,
            via=via,
            received_at=now,
            due_at=DataRequest.due_from(now),
            note=note.strip()[:2000],
        )
        do_audit(actor, village, "data_request.receive", data_request, kind=kind, via=via)
    return data_request, True


def _tell(data_request: DataRequest, built, status: str) -> None:
    """Message the resident; outside the 24-hour window the status template goes first and
    this message follows when they write back."""
    from balai.whatsapp.outbox import NoChannel, do_send

    if isinstance(built, str):
        from balai.whatsapp import messages as build

        built = build.text(built)
    # No WhatsApp number in the village, or a resident known only from the register:
    # staff tell them in person (the request page says so).
    with contextlib.suppress(NoChannel, ValueError):
        do_send(
            data_request.resident,
            built,
            purpose=STATUS_PURPOSE,
            template_values={"tiket": data_request.code, "status": status, "nama": "Bapak/Ibu"},
        )


def _locked(data_request: DataRequest) -> DataRequest:
    return (
        DataRequest.objects.select_for_update()
        .select_related("village", "resident")
        .get(pk=data_request.pk)
    )


def do_refuse(data_request: DataRequest, actor, reason: str) -> DataRequest:
    reason = reason.strip()
    if not reason:
        raise PrivacyError("Tulis alasan penolakan; warga akan menerimanya.")
    if len(reason) > 1000:  # the form's limit; the reason goes out in one WhatsApp message
        raise PrivacyError(
            f"Alasan terlalu panjang ({len(reason)} karakter). Paling banyak 1000 karakter."
        )
    with transaction.atomic():
        data_request = _locked(data_request)
        if not data_request.is_pending:
            raise PrivacyError("Permintaan ini sudah selesai.")
        now = timezone.now()
        data_request.state = State.REFUSED
        data_request.decided_at = data_request.done_at = now
        data_request.staff = actor
        data_request.note = reason[:2000]
        data_request.save()
        do_audit(actor, data_request.village, "data_request.refuse", data_request)
        _tell(
            data_request,
            f"Mohon maaf, Bapak/Ibu. Permintaan *{data_request.code}* "
            f"({data_request.get_kind_display().lower()}) belum dapat kami penuhi.\n"
            f"Alasan: {reason}\n"
            "Bila ada pertanyaan, ketik *petugas* atau datang ke kantor desa.",
            "Ditolak",
        )
    return data_request


# --- everything Balai holds about one person ------------------------------------------------


def _when(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _outbound_text(payload: dict) -> str:
    kind = payload.get("type", "")
    body = payload.get(kind) or {}
    if kind == "text":
        return body.get("body", "")
    if kind == "interactive":
        return (body.get("body") or {}).get("text", "")
    if kind in {"image", "document"}:
        return body.get("caption", "") or body.get("filename", "")
    if kind == "template":
        return f"[templat {body.get('name', '')}]"
    return ""


def collect(resident: Resident) -> tuple[dict, list[tuple[str, object]]]:
    """Everything about ``resident``, by app, as plain JSON-ready data, and the files they
    sent on WhatsApp as (name in the zip, FieldFile) pairs."""
    from balai.announcements.models import ConsentLog, Subscription
    from balai.complaints.models import Complaint
    from balai.conversations.models import Conversation
    from balai.letters.models import IssuedLetter, LetterRequest
    from balai.market.models import Seller
    from balai.programmes.models import Participant
    from balai.whatsapp.models import Contact, InboundMessage, Media, OutboundMessage

    files: list[tuple[str, object]] = []
    data: dict = {
        "dibuat": _when(timezone.now()),
        "desa": str(resident.village),
        "warga": {
            "kode": resident.code,
            "nama": resident.name,
            "nik": resident.nik,
            "nomor_kk": resident.kk,
            "nomor_hp": resident.phone,
            "whatsapp_bsuid": resident.wa_user_id,
            "jenis_kelamin": resident.get_gender_display() if resident.gender else "",
            "tempat_lahir": resident.birth_place,
            "tanggal_lahir": _when(resident.birth_date),
            "wilayah": resident.area.label if resident.area_id else "",
            "alamat": resident.address,
            "pekerjaan": resident.occupation,
            "kepala_keluarga": resident.is_head_of_family,
            "sudah_diperiksa_petugas": resident.is_verified,
            "tercatat_sejak": _when(resident.created),
            "terakhir_diubah": _when(resident.updated),
        },
    }
    contact = Contact.objects.filter(resident=resident).first()
    if contact is not None:
        data["whatsapp"] = {
            "nama_profil": contact.profile_name,
            "pesan_terakhir": _when(contact.last_inbound_at),
            "setuju_menerima_pesan_sejak": _when(contact.opted_in_at),
            "teks_persetujuan": contact.opt_in_text,
        }
    media_by_message = {
        m.message_id: m
        for m in Media.objects.filter(message__resident=resident).only(
            "message_id", "file", "filename", "mime_type", "code"
        )
    }
    inbound = []
    for message in InboundMessage.objects.filter(resident=resident).order_by("sent_at", "pk"):
        row = {"waktu": _when(message.sent_at), "jenis": message.type, "teks": message.text}
        media = media_by_message.get(message.pk)
        if media is not None and media.file:
            name = PurePosixPath(media.filename or media.file.name).name
            arcname = f"berkas/{media.code}-{name}"
            files.append((arcname, media.file))
            row["berkas"] = arcname
        inbound.append(row)
    data["pesan_dari_anda"] = inbound
    data["pesan_untuk_anda"] = [
        {
            "waktu": _when(m.created),
            "jenis": m.kind,
            "status": m.state,
            "teks": _outbound_text(m.payload),
        }
        for m in OutboundMessage.objects.filter(resident=resident)
        .exclude(kind=OutboundMessage.Kind.READ)
        .order_by("created", "pk")
    ]
    issued = {
        i.request_id: i
        for i in IssuedLetter.objects.filter(request__in=LetterRequest.objects.of_contact(resident))
    }
    letters = []
    for request in (
        LetterRequest.objects.of_contact(resident)
        .select_related("letter_type")
        .prefetch_related("events", "attachments")
        .order_by("submitted_at")
    ):
        letter = issued.get(request.pk)
        letters.append(
            {
                "tiket": request.code,
                "jenis_surat": request.letter_type.name,
                "tentang_anda": request.resident_id == resident.pk,
                "diajukan_oleh_anda": request.contact_id == resident.pk,
                "status": request.get_state_display(),
                "diajukan": _when(request.submitted_at),
                "selesai": _when(request.completed_at),
                "isian": request.answers,
                "dokumen": [a.label for a in request.attachments.all()],
                "riwayat": [
                    {"waktu": _when(e.created), "status": e.get_state_display(), "catatan": e.note}
                    for e in request.events.all()
                    if not e.internal
                ],
                "surat_terbit": {
                    "nomor": letter.number,
                    "tanggal": _when(letter.issued_at),
                    "berlaku_sampai": _when(letter.valid_until),
                    "sha256": letter.sha256,
                }
                if letter
                else None,
            }
        )
    data["permohonan_surat"] = letters
    data["pengaduan_dan_aspirasi"] = [
        {
            "tiket": c.code,
            "jenis": c.get_kind_display(),
            "kategori": c.category.name,
            "isi": c.description,
            "lokasi": c.location_text,
            "koordinat": [c.latitude, c.longitude] if c.latitude is not None else None,
            "nama_ditampilkan": c.show_name,
            "status": c.get_state_display(),
            "diajukan": _when(c.submitted_at),
            "selesai": _when(c.resolved_at),
            "riwayat": [
                {"waktu": _when(e.created), "status": e.get_state_display(), "catatan": e.note}
                for e in c.events.all()
                if not e.internal
            ],
        }
        for c in Complaint.objects.filter(resident=resident)
        .select_related("category")
        .prefetch_related("events")
        .order_by("submitted_at")
    ]
    programmes = []
    for p in (
        Participant.objects.filter(resident=resident)
        .select_related("programme", "area")
        .prefetch_related("consent_events", "attendance__activity", "attempts__quiz", "checkins")
    ):
        programmes.append(
            {
                "program": p.programme.title,
                "usaha": p.business,
                "kelompok_umur": p.get_age_group_display() if p.age_group else "",
                "dusun": p.area.label if p.area_id else "",
                "persetujuan": p.get_consent_display(),
                "persetujuan_pada": _when(p.consent_at),
                "riwayat_persetujuan": [
                    {"waktu": _when(e.at), "jenis": e.get_kind_display(), "teks": e.text}
                    for e in p.consent_events.all()
                ],
                "kehadiran": [
                    {"kegiatan": a.activity.title, "jawaban": a.answer, "hadir": a.present}
                    for a in p.attendance.all()
                ],
                "kuis": [
                    {"kuis": a.quiz.title, "nilai": a.score, "selesai": _when(a.finished_at)}
                    for a in p.attempts.all()
                ],
                "tindak_lanjut": [
                    {
                        "periode": _when(c.period),
                        "penjualan": c.sales_amount,
                        "keterangan": c.sales_text,
                        "jawaban": c.custom_answer,
                    }
                    for c in p.checkins.all()
                ],
            }
        )
    data["program_pendampingan"] = programmes
    data["langganan_kabar"] = [
        {
            "topik": s.topic.name,
            "wilayah": s.area.label if s.area_id else "",
            "sejak": _when(s.created),
            "lewat": s.via,
            "teks_persetujuan": s.opt_in_text,
        }
        for s in Subscription.objects.filter(resident=resident).select_related("topic", "area")
    ]
    data["riwayat_persetujuan_kabar"] = [
        {
            "waktu": _when(log.created),
            "tindakan": log.get_action_display(),
            "topik": log.topics,
            "teks": log.text,
        }
        for log in ConsentLog.objects.filter(resident=resident).order_by("created", "pk")
    ]
    data["usaha"] = [
        {
            "nama_usaha": s.business_name,
            "keterangan": s.description,
            "aktif": s.is_active,
            "produk": [
                {"nama": p.name, "harga": p.price, "satuan": p.unit, "tampil": p.is_published}
                for p in s.products.all()
            ],
            "penjualan": [
                {
                    "tanggal": _when(sale.sold_on),
                    "produk": sale.product.name if sale.product_id else "",
                    "jumlah": sale.quantity,
                    "nilai": sale.amount,
                    "catatan": sale.text,
                }
                for sale in s.sales.select_related("product").order_by("sold_on", "pk")
            ],
        }
        for s in Seller.objects.filter(resident=resident).prefetch_related("products")
    ]
    data["whatsapp"] = data.get("whatsapp")
    data["percakapan"] = None
    conv = Conversation.objects.filter(resident=resident).first()
    if conv is not None:
        data["percakapan"] = {
            "layanan_berjalan": conv.flow,
            "isian_sementara": conv.data,
            "draf_tersimpan": conv.draft,
            "terakhir_aktif": _when(conv.last_activity),
        }
    data["permintaan_data_pribadi"] = [
        {
            "tiket": r.code,
            "jenis": r.get_kind_display(),
            "status": r.get_state_display(),
            "diterima": _when(r.received_at),
            "selesai": _when(r.done_at),
        }
        for r in DataRequest.objects.filter(resident=resident).order_by("received_at")
    ]
    return data, files


def build_export(data_request: DataRequest) -> tuple[bytes, bytes]:
    """(zip, pdf) for the resident: data.json, ringkasan.pdf and the files they sent."""
    from balai.letters.documents import render_pdf

    resident = data_request.resident
    with timezone.override(data_request.village.tz):
        data, files = collect(resident)
        html = render_to_string(
            "residents/privacy_export.html",
            {
                "data": data,
                "body": readable(data),
                "request": data_request,
                "village": data_request.village,
            },
        )
    pdf = render_pdf(html)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        archive.writestr("ringkasan.pdf", pdf)
        archive.writestr("BACA-SAYA.txt", README_TEXT.format(village=data_request.village))
        for arcname, field in files:
            try:
                with field.open("rb") as handle:
                    archive.writestr(arcname, handle.read())
            except FileNotFoundError:
                continue
    return buffer.getvalue(), pdf


SECTION_TITLES = {
    "warga": "Data diri",
    "whatsapp": "WhatsApp",
    "pesan_dari_anda": "Pesan dari Anda",
    "pesan_untuk_anda": "Pesan untuk Anda",
    "permohonan_surat": "Permohonan surat",
    "pengaduan_dan_aspirasi": "Pengaduan dan aspirasi",
    "program_pendampingan": "Program pendampingan",
    "langganan_kabar": "Langganan kabar desa",
    "riwayat_persetujuan_kabar": "Riwayat persetujuan kabar desa",
    "usaha": "Usaha (UMKM)",
    "percakapan": "Percakapan yang sedang berjalan",
    "permintaan_data_pribadi": "Permintaan data pribadi",
}


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _readable_value(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return format_html('<span class="empty">{}</span>', "—")
    if value is True:
        return "ya"
    if value is False:
        return "tidak"
    if isinstance(value, dict):
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((_label(str(k)), _readable_value(v)) for k, v in value.items()),
        )
        return format_html("<table>{}</table>", rows)
    if isinstance(value, list):
        return format_html_join(
            "", '<div class="item">{}</div>', ((_readable_value(v),) for v in value)
        )
    return conditional_escape(str(value))


def readable(data: dict) -> str:
    """The export as HTML sections (every key shown, so new data is never left out)."""
    parts = []
    for key, value in data.items():
        if key in {"dibuat", "desa"}:
            continue
        parts.append(
            format_html(
                "<h2>{}</h2>{}", SECTION_TITLES.get(key, _label(key)), _readable_value(value)
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - built from format_html above


README_TEXT = """Salinan data pribadi Anda dari {village} (layanan Balai).

data.json      semua data yang kami simpan tentang Anda, dalam format yang bisa dibaca
               komputer (JSON)
ringkasan.pdf  isi yang sama untuk dibaca
berkas/        foto dan dokumen yang Anda kirim lewat WhatsApp

Berkas ini berisi NIK dan nomor KK Anda secara lengkap. Simpan baik-baik dan jangan
dibagikan ke orang lain.
"""


def download_url(data_request: DataRequest, part: str) -> str:
    token = signing.dumps({"r": data_request.pk, "p": part}, salt=DOWNLOAD_SALT, compress=True)
    return settings.SITE_URL.rstrip("/") + reverse("residents:data_download", args=[token])


def file_from_token(token: str):
    """(request, part) behind a download link, or None if it is forged or expired."""
    try:
        value = signing.loads(token, salt=DOWNLOAD_SALT, max_age=DOWNLOAD_DAYS * 86400)
    except signing.BadSignature:
        return None
    part = value.get("p")
    if part not in {"zip", "pdf"}:
        return None
    data_request = DataRequest.objects.filter(
        pk=value.get("r"), kind=Kind.EXPORT, state=State.DONE
    ).first()
    return (data_request, part) if data_request else None


def do_start_export(data_request: DataRequest, actor) -> DataRequest:
    """Staff approve an export: the file is built and sent by a job."""
    with transaction.atomic():
        data_request = _locked(data_request)
        if data_request.kind != Kind.EXPORT:
            raise PrivacyError("Permintaan ini bukan permintaan salinan data.")
        if data_request.state != State.RECEIVED:
            raise PrivacyError("Permintaan ini sudah diproses.")
        data_request.state = State.PROCESSING
        data_request.decided_at = timezone.now()
        data_request.staff = actor
        data_request.save(update_fields=["state", "decided_at", "staff"])
        do_audit(actor, data_request.village, "data_request.export", data_request)
        enqueue_on_commit(build_and_send_export, data_request.pk)
    return data_request


@job()
def build_and_send_export(data_request_id: int) -> None:
    data_request = (
        DataRequest.objects.select_related("village", "resident__area")
        .filter(pk=data_request_id, state=State.PROCESSING)
        .first()
    )
    if data_request is None:
        return  # done already (a retry after the commit) or refused meanwhile
    zipped, pdf = build_export(data_request)
    stamp = timezone.now().astimezone(data_request.village.tz).strftime("%Y%m%d")
    with transaction.atomic():
        data_request = _locked(data_request)
        if data_request.state != State.PROCESSING:
            return
        # A random part too: the file name alone never leads to the file.
        base = f"data-{data_request.code}-{stamp}-{new_code(8)}"
        data_request.export_file.save(f"{base}.zip", ContentFile(zipped), save=False)
        data_request.summary_file.save(f"{base}.pdf", ContentFile(pdf), save=False)
        data_request.state = State.DONE
        data_request.done_at = timezone.now()
        data_request.save()
        _send_export(data_request)
    logger.info("data export %s ready (%d bytes)", data_request.code, len(zipped))


def _send_export(data_request: DataRequest) -> None:
    from balai.whatsapp import messages as build

    caption = (
        f"Salinan data pribadi Anda di {data_request.village} (tiket {data_request.code}).\n"
        "Berkas ini berisi NIK dan nomor KK Anda; jangan dibagikan.\n"
        f"Data lengkap (JSON dan foto yang Anda kirim), berlaku {DOWNLOAD_DAYS} hari:\n"
        f"{download_url(data_request, 'zip')}"
    )
    _tell(
        data_request,
        build.document(
            link=download_url(data_request, "pdf"),
            filename=f"data-{data_request.code}.pdf",
            caption=caption,
        ),
        "Selesai",
    )


# --- erasure --------------------------------------------------------------------------------


def erasure_blockers(resident: Resident) -> list[str]:
    """Why the data cannot be erased yet (empty: it can)."""
    from balai.complaints.models import Complaint
    from balai.letters.models import LetterRequest

    reasons = []
    letters = list(LetterRequest.objects.of_contact(resident).open().values_list("code", flat=True))
    if letters:
        reasons.append(
            "Permohonan surat masih diproses ("
            + ", ".join(letters)
            + "): selesaikan atau batalkan dulu, karena datanya dipakai untuk surat itu."
        )
    complaints = list(
        Complaint.objects.filter(resident=resident).open().values_list("code", flat=True)
    )
    if complaints:
        reasons.append(
            "Pengaduan masih ditangani ("
            + ", ".join(complaints)
            + "): selesaikan atau tutup dulu, lalu hapus datanya."
        )
    return reasons


def do_erase(data_request: DataRequest, actor) -> dict[str, int]:
    """Erase the person's data across apps; returns counts by kind of record touched.

    Kept, because the law on archives requires it: each issued letter's register entry
    (number, date, letter type, the PDF's SHA-256, its verification token) and the request
    it belongs to, now pointing at an anonymised person. Kept as evidence without personal
    content: consent records (what was asked and answered, when), audit events, counts of
    messages and sales. Everything that names or identifies the person is cleared, the files
    they sent are deleted, every subscription and programme consent is withdrawn.
    """
    from balai.conversations.stopping import do_stop_all

    with transaction.atomic():
        data_request = _locked(data_request)
        if data_request.kind != Kind.ERASURE:
            raise PrivacyError("Permintaan ini bukan permintaan penghapusan data.")
        if not data_request.is_pending:
            raise PrivacyError("Permintaan ini sudah diproses.")
        resident = Resident.objects.select_for_update().get(pk=data_request.resident_id)
        blockers = erasure_blockers(resident)
        if blockers:
            raise PrivacyError(" ".join(blockers))
        now = timezone.now()
        # Told first: the message must be queued while the number is still known.
        _tell(
            data_request,
            f"Baik, Bapak/Ibu. Data pribadi Anda di {data_request.village} sudah kami hapus "
            f"(tiket {data_request.code}). Nomor surat yang pernah terbit tetap tercatat di buku "
            "register desa sesuai aturan kearsipan, tanpa data pribadi lain. Terima kasih.",
            "Selesai, data sudah dihapus",
        )
        do_stop_all(resident)
        counts = _erase_everywhere(resident)
        data_request.state = State.DONE
        data_request.decided_at = data_request.done_at = now
        data_request.staff = actor
        data_request.save()
        do_audit(actor, data_request.village, "data_request.erase", data_request, **counts)
    return counts


def _erase_media(media_qs) -> int:
    count = 0
    for media in media_qs:
        if media.file:
            media.file.delete(save=False)
        media.file = ""
        media.filename = ""
        media.sha256 = ""
        media.state = media.State.FAILED
        media.error = MEDIA_ERASED
        media.save(update_fields=["file", "filename", "sha256", "state", "error"])
        count += 1
    return count


def _erase_everywhere(resident: Resident) -> dict[str, int]:
    from balai.announcements.models import Subscription
    from balai.complaints.models import Complaint, ComplaintEvent
    from balai.conversations.models import Conversation
    from balai.letters.models import LetterRequest, RequestAttachment, RequestEvent
    from balai.market.models import Product, Sale, Seller, SocialAccount
    from balai.programmes.models import CheckIn, Participant
    from balai.whatsapp.models import Contact, InboundMessage, Media, OutboundMessage

    counts: dict[str, int] = {}
    counts["files"] = _erase_media(Media.objects.filter(message__resident=resident))
    counts["messages_in"] = InboundMessage.objects.filter(resident=resident).update(
        message={"erased": True}, edited_message=None, profile_name="", wa_id="", user_id=""
    )
    # The notice queued a moment ago must still reach the number; everything else sent to
    # the person keeps its time and state only (``to`` may not be empty).
    outbound = OutboundMessage.objects.filter(resident=resident).exclude(
        state__in=[OutboundMessage.State.QUEUED, OutboundMessage.State.SENDING]
    )
    counts["messages_out"] = outbound.update(
        payload={"erased": True},
        to="dihapus",
        template_values={},
        waiting_payload=None,
        waiting_kind="",
    )
    Contact.objects.filter(resident=resident).update(profile_name="", opt_in_text="")
    counts.update(_erase_webhook_records(resident))
    Conversation.objects.filter(resident=resident).delete()

    requests = LetterRequest.objects.of_contact(resident)
    RequestAttachment.objects.filter(request__in=requests).delete()
    RequestEvent.objects.filter(request__in=requests).update(note="", media=None)
    counts["letter_requests"] = requests.update(answers={})
    counts["letters_kept_in_register"] = _erase_letter_pdfs(requests)

    complaints = Complaint.objects.filter(resident=resident)
    ComplaintEvent.objects.filter(complaint__in=complaints).update(note="")
    counts["complaints"] = complaints.update(
        description=ERASED_TEXT,
        public_text="",
        location_text="",
        latitude=None,
        longitude=None,
        show_name=False,
        photo=None,
    )

    participants = Participant.objects.filter(resident=resident)
    CheckIn.objects.filter(participant__in=participants).update(sales_text="", custom_answer="")
    counts["programmes"] = participants.update(business="", area=None, in_group=False)
    Subscription.objects.filter(resident=resident).delete()  # do_stop_all left none; be sure

    sellers = Seller.objects.filter(resident=resident)
    products = Product.objects.filter(seller__in=sellers)
    for product in products.prefetch_related("photos", "posts"):
        for photo in product.photos.all():
            for field in (photo.original, photo.jpeg, photo.webp, photo.thumb):
                if field:
                    field.delete(save=False)
            photo.delete()
        for post in product.posts.all():
            if post.image:
                post.image.delete(save=False)
            post.delete()
    products.update(is_published=False, description="")
    Sale.objects.filter(seller__in=sellers).update(text="", message=None)
    SocialAccount.objects.filter(seller__in=sellers).delete()
    counts["sellers"] = 0
    for seller in sellers:
        seller.business_name = ERASED_NAME
        seller.description = ""
        seller.slug = f"dihapus-{seller.code.lower()}"
        seller.is_active = False
        seller.save(update_fields=["business_name", "description", "slug", "is_active"])
        counts["sellers"] += 1

    Resident.objects.filter(pk=resident.pk).update(
        name=ERASED_NAME,
        phone="",
        wa_user_id="",
        nik="",
        nik_hash="",
        kk="",
        kk_hash="",
        gender="",
        birth_place="",
        birth_date=None,
        area=None,
        address="",
        occupation="",
        is_head_of_family=False,
        erased_at=timezone.now(),
        updated=timezone.now(),
    )
    return counts


def _erase_webhook_records(resident: Resident) -> dict[str, int]:
    """Meta's statuses for messages sent to the person carry their number
    (``recipient_id``); webhook bodies kept for operators (an unknown number, an unreadable
    body) may carry it too. Their payloads go; the rows (times, states) stay. Statuses of
    the erasure notice itself arrive later and keep the number, as its outbox row does."""
    from balai.whatsapp.models import OutboundMessage, StatusEvent, WebhookProblem

    wamids = OutboundMessage.objects.filter(resident=resident, wamid__isnull=False)
    statuses = StatusEvent.objects.filter(wamid__in=wamids.values("wamid"))
    counts = {"statuses": statuses.update(payload={"erased": True})}
    who = [value for value in ((resident.phone or "").lstrip("+"), resident.wa_user_id) if value]
    if not who:
        return counts | {"webhook_problems": 0}
    mentions = Q()
    for value in who:
        mentions |= Q(text__contains=value)
    kept = WebhookProblem.objects.annotate(text=Cast("payload", TextField())).filter(mentions)
    counts["webhook_problems"] = WebhookProblem.objects.filter(pk__in=kept.values("pk")).update(
        payload={"erased": True}
    )
    return counts


def _erase_letter_pdfs(requests) -> int:
    """Issued letters keep their register entry; the PDF (which names the person) goes."""
    from balai.letters.models import IssuedLetter

    count = 0
    for letter in IssuedLetter.objects.filter(request__in=requests):
        if letter.pdf:
            letter.pdf.delete(save=False)
            IssuedLetter.objects.filter(pk=letter.pk).update(pdf="")
        count += 1
    return count
