"""Documentation: the facilitator's photos and logbook (the field reports' "Foto 1 … Foto 4").

On WhatsApp a facilitator — a staff member of the village whose own WhatsApp number is on
their membership — types ``dokumentasi`` to the village number, picks the programme (when
there are several) and the activity, then sends photos with their captions; each becomes a
``Photo`` that keeps the ``Media`` row it arrived as. ``selesai`` ends it; ``kembali``
picks another activity; photos already sent stay saved whatever happens to the flow.
Anyone else typing ``dokumentasi`` gets the assistant's normal answer.

The console's writes for photos and the logbook that ``actions.py`` does not have
(deleting a photo, editing one's own entry) are here too.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from balai.conversations import steps as s
from balai.conversations.form import Form
from balai.conversations.hooks import word_handler
from balai.programmes.actions import do_add_photo
from balai.programmes.models import Activity, LogEntry, Photo, Programme
from balai.residents.identity import normalise_phone
from balai.villages.actions import do_audit
from balai.villages.models import Membership
from balai.whatsapp import messages as build

FLOW = "dokumentasi"
START_WORDS = {"dokumentasi", "kirim dokumentasi", "foto dokumentasi", "dokumentasi program"}
DONE_WORDS = {"selesai", "sudah", "sudah selesai", "cukup", "udah", "sdh", "done", "beres"}
NO_ACTIVITY = "tanpa"
ACTIVITY_ROWS = 9  # and "Tanpa kegiatan": one WhatsApp list, no paging
PHOTO_MAX_BYTES = 5 << 20  # WhatsApp's own limit for images
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}  # what the report can print


# --- who may document -------------------------------------------------------------------------


def facilitator_membership(village, phone: str) -> Membership | None:
    """The active membership in ``village`` whose WhatsApp number is ``phone`` (E.164) and
    whose role may change programmes; None for everyone else."""
    if not phone:
        return None
    members = (
        Membership.objects.filter(village=village, is_active=True, user__is_active=True)
        .exclude(whatsapp_phone="")
        .select_related("user")
    )
    for member in members:
        try:
            same = normalise_phone(member.whatsapp_phone) == phone
        except ValidationError:
            continue
        if same and member.can("manage_programmes"):
            return member
    return None


def programmes_for(membership: Membership) -> list[Programme]:
    """The programmes a facilitator documents: those they facilitate in the village, or,
    for someone who facilitates none (the village office), every programme there."""
    programmes = Programme.objects.filter(village=membership.village)
    mine = programmes.filter(facilitators=membership.user)
    return list((mine if mine.exists() else programmes).order_by("-starts_on", "pk")[:30])


def _member(turn) -> Membership:
    """Checked again on every message: a membership can end in the middle of a session."""
    if not hasattr(turn, "_documentation_member"):
        turn._documentation_member = facilitator_membership(turn.village, turn.resident.phone)
    if turn._documentation_member is None:
        raise s.Stop("Nomor ini tidak lagi terdaftar sebagai pendamping program di desa ini.")
    return turn._documentation_member


def _programme(turn, data) -> Programme:
    member = _member(turn)
    programme = next((p for p in programmes_for(member) if p.code == data.get("programme")), None)
    if programme is None:
        raise s.Stop("Program itu tidak ditemukan lagi. Ketik *dokumentasi* untuk mulai lagi.")
    return programme


def _programme_or_none(turn, data) -> Programme | None:
    """For prompts, which must not fail: the next answer's parse stops the flow instead."""
    try:
        return _programme(turn, data)
    except s.Stop:
        return None


def _activity(programme: Programme | None, data) -> Activity | None:
    code = data.get("activity")
    if programme is None or not code or code == NO_ACTIVITY:
        return None
    return programme.activities.filter(code=code).first()


def local_when(activity: Activity) -> str:
    village = activity.programme.village
    start = activity.starts_at.astimezone(village.tz)
    return f"{start:%d-%m-%Y %H.%M} {village.tz_label}"


# --- the flow ---------------------------------------------------------------------------------


class ProgrammeChoice(s.ChoiceStep):
    def options_for(self, turn, data):
        return [
            (p.code, p.title[:20], f"{p.target_group} · mulai {p.starts_on:%d-%m-%Y}")
            for p in programmes_for(_member(turn))
        ]


class ActivityChoice(s.ChoiceStep):
    def options_for(self, turn, data):
        programme = _programme_or_none(turn, data)
        if programme is None:
            return [(NO_ACTIVITY, "Tanpa kegiatan", "Foto umum program")]
        now = turn.now
        # The activities nearest to today (the one just held first in mind), in date order.
        nearest = sorted(
            programme.activities.select_related("programme__village"),
            key=lambda a: abs((a.starts_at - now).total_seconds()),
        )[:ACTIVITY_ROWS]
        options = [
            (a.code, a.title[:20], f"{local_when(a)}{f' · {a.place}' if a.place else ''}")
            for a in sorted(nearest, key=lambda a: (a.starts_at, a.pk))
        ]
        return [*options, (NO_ACTIVITY, "Tanpa kegiatan", "Foto umum program")]


class PhotoLoop(s.Step):
    """Photo after photo, each saved at once, until *selesai*. Mistakes here re-ask instead
    of climbing the failure ladder: the sender is staff, not a resident to hand over."""

    def prompt(self, turn, data):
        programme = _programme_or_none(turn, data)
        activity = _activity(programme, data)
        target = (
            f"kegiatan *{activity.title}*"
            if activity
            else f"program *{programme.title}*"
            if programme
            else "program ini"
        )
        return build.text(
            f"Silakan kirim foto dokumentasi untuk {target}, boleh beberapa sekaligus. "
            'Tulis keterangannya di kolom keterangan (caption) foto, mis. "Penyerahan surat '
            'permohonan kesediaan kepada peserta".\n\n'
            "Ketik *selesai* bila sudah, atau *kembali* untuk memilih kegiatan lain. Foto yang "
            "sudah terkirim tetap tersimpan."
        )

    def parse(self, turn, data):
        message = turn.message
        if message.type in {"image", "document"}:
            return self._save(turn, data)
        if message.type in {"video", "audio", "sticker"}:
            raise s.Reprompt(
                build.text("Yang bisa disimpan hanya foto. Kirim foto, atau ketik *selesai*.")
            )
        text = turn.text.strip()
        if s.words(text) in DONE_WORDS:
            return len(data.get("_photos", []))
        waiting = data.pop("_uncaptioned", None)
        if waiting and text:
            caption = text[:500]
            Photo.objects.filter(code=waiting, programme__village=turn.village).update(
                caption=caption
            )
            raise s.Reprompt(
                build.text(
                    "Keterangan foto tersimpan. Kirim foto berikutnya, atau ketik *selesai*."
                )
            )
        raise s.Reprompt(
            build.text(
                "Kirim fotonya dengan tombol lampiran (📎) lalu *Kamera* atau *Galeri*, "
                "atau ketik *selesai* bila sudah."
            )
        )

    def _save(self, turn, data):
        message = turn.message
        media = getattr(message, "media", None)
        mime = (media.mime_type if media else "") or ""
        if media is None or mime.split(";")[0].strip() not in PHOTO_TYPES:
            raise s.Reprompt(
                build.text("Berkas ini bukan foto. Kirim foto (JPG/PNG), atau ketik *selesai*.")
            )
        if media.state == media.State.FAILED:
            raise s.Reprompt(build.text("Foto tidak berhasil kami unduh. Silakan kirim ulang."))
        if media.size and media.size > PHOTO_MAX_BYTES:
            raise s.Reprompt(build.text("Foto terlalu besar (maksimal 5 MB). Kirim foto biasa."))
        programme = _programme(turn, data)
        activity = _activity(programme, data)
        if Photo.objects.filter(media=media).exists():  # the same message handled twice
            raise s.Reprompt(build.text("Foto ini sudah tersimpan."))
        photo = do_add_photo(
            programme, _member(turn).user, caption=turn.text, activity=activity, media=media
        )
        data["_photos"] = [*data.get("_photos", []), photo.code]
        number = len(data["_photos"])
        if photo.caption:
            data.pop("_uncaptioned", None)
            reply = f"Foto {number} tersimpan: {photo.caption[:200]}"
        else:
            data["_uncaptioned"] = photo.code
            reply = (
                f"Foto {number} tersimpan tanpa keterangan. Ketik keterangannya sekarang, "
                "atau kirim foto berikutnya."
            )
        raise s.Reprompt(build.text(f"{reply}\nKetik *selesai* bila sudah."))

    def explain(self):
        return (
            "*Dokumentasi*: kirim foto satu per satu atau beberapa sekaligus, dengan "
            "keterangan di kolom caption. Ketik *selesai* bila sudah, *kembali* untuk "
            "memilih kegiatan lain, atau *batal* untuk berhenti (foto yang sudah terkirim "
            "tetap tersimpan)."
        )


class DocumentationForm(Form):
    name = FLOW
    title = "Dokumentasi program"
    confirm = False
    fixed_steps = {"programme", "activity", "photos"}

    def intro(self, turn):
        data = turn.conv.data
        programme = _programme_or_none(turn, data) if data.get("programme") else None
        return f"Dokumentasi *{programme.title}*." if programme else None

    def steps(self, turn):
        return [
            ProgrammeChoice(
                key="programme",
                label="Program",
                question="Dokumentasi untuk program yang mana?",
                button="Pilih program",
            ),
            ActivityChoice(
                key="activity",
                label="Kegiatan",
                question="Foto untuk kegiatan yang mana?",
                button="Pilih kegiatan",
            ),
            PhotoLoop(key="photos", label="Foto"),
        ]

    def submit(self, turn, data):
        count = len(data.get("_photos", []))
        programme = Programme.objects.filter(
            village=turn.village, code=data.get("programme")
        ).first()
        if programme is None or count == 0:
            turn.say("Baik, selesai. Tidak ada foto yang tersimpan kali ini.")
            return
        link = settings.SITE_URL + reverse(
            "programmes:docs", args=[turn.village.slug, programme.code]
        )
        turn.say(
            f"Terima kasih. {count} foto dokumentasi tersimpan di *{programme.title}*. "
            f"Foto bisa dilihat dan dimasukkan ke laporan di {link}"
        )


@word_handler
def on_documentation_word(turn, plain: str) -> bool:
    if plain not in START_WORDS:
        return False
    member = facilitator_membership(turn.village, turn.resident.phone)
    if member is None:
        return False  # a resident: the assistant answers as it would anyway
    programmes = programmes_for(member)
    if not programmes:
        turn.say("Belum ada program pendampingan di desa ini. Buat programnya dulu di Balai.")
        return True
    from balai.conversations import engine
    from balai.conversations.flows import FLOWS

    only = programmes[0].code if len(programmes) == 1 else None
    engine.start(turn, FLOWS[FLOW], programme=only)
    return True


# --- console writes ---------------------------------------------------------------------------


def do_delete_photo(photo: Photo, actor) -> None:
    """Remove a documentation photo (and its uploaded file). A photo that came on WhatsApp
    keeps its Media row: that is the record of the message, not the programme's."""
    village = photo.programme.village
    with transaction.atomic():
        do_audit(actor, village, "programme.photo_delete", photo, caption=photo.caption[:200])
        photo.delete()
    if photo.file:
        transaction.on_commit(lambda: photo.file.storage.delete(photo.file.name))


def do_edit_log(entry: LogEntry, actor, *, date, text: str) -> LogEntry:
    """Authors edit their own entries; the previous text goes to the audit log."""
    if entry.author_id != actor.pk:
        raise PermissionError("Hanya penulis catatan yang dapat mengubahnya.")
    text = text.strip()
    if not text:
        raise ValueError("Catatan masih kosong.")
    with transaction.atomic():
        do_audit(
            actor, entry.programme.village, "programme.log_edit", entry.programme,
            date=entry.date.isoformat(), text=entry.text[:1000],
        )  # fmt: skip
        entry.date, entry.text = date, text
        entry.save(update_fields=["date", "text"])
    return entry
