"""Processing of stored inbound messages: who sent it, their media, then the handler.

``process_inbound`` is idempotent: it finishes by marking the message processed in the same
transaction as the handler's replies, so a worker killed half-way leaves nothing behind that
a second run would repeat.
"""

import base64
import contextlib
import hashlib
import logging
import mimetypes
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from balai.core.jobs import enqueue_durably, job
from balai.residents.models import Resident
from balai.whatsapp import client as api
from balai.whatsapp import messages as build
from balai.whatsapp.models import Contact, InboundMessage, Media
from balai.whatsapp.outbox import do_mark_read, do_send, do_send_waiting

logger = logging.getLogger(__name__)

MEDIA_TYPES = {"image", "video", "audio", "document", "sticker"}
# Meta's own size limits per type (reference/whatsapp.md §2).
MEDIA_MAX_BYTES = {
    "image": 5 << 20,
    "video": 16 << 20,
    "audio": 16 << 20,
    "document": 100 << 20,
    "sticker": 500 << 10,
}
SILENT_TYPES = {"reaction", "edit", "revoke", "system"}
KNOWN_TYPES = {
    "text",
    "interactive",
    "button",
    "location",
    "contacts",
    "order",
    *MEDIA_TYPES,
    *SILENT_TYPES,
}


def resolve_resident(message: InboundMessage) -> Resident:
    """The resident behind a message: by phone (wa_id), else by BSUID; created if new."""
    phone = f"+{message.wa_id}" if message.wa_id.isdigit() else ""
    residents = Resident.objects.filter(village_id=message.village_id)
    for _ in range(2):
        resident = (residents.filter(phone=phone).first() if phone else None) or (
            residents.filter(wa_user_id=message.user_id).first() if message.user_id else None
        )
        if resident is not None:
            if message.user_id and not resident.wa_user_id:
                resident.wa_user_id = message.user_id
                resident.save(update_fields=["wa_user_id", "updated"])
            return resident
        try:
            with transaction.atomic():
                return Resident.objects.create(
                    village_id=message.village_id,
                    phone=phone,
                    wa_user_id=message.user_id,
                    name=message.profile_name or "Warga (WhatsApp)",
                )
        except IntegrityError:
            continue  # created by a concurrent message from the same person
    raise RuntimeError("could not resolve the resident")


def _touch_contact(message: InboundMessage, resident: Resident) -> None:
    contact, _ = Contact.objects.get_or_create(
        resident=resident, defaults={"village_id": message.village_id}
    )
    changed = []
    if contact.last_inbound_at is None or message.sent_at > contact.last_inbound_at:
        contact.last_inbound_at = min(message.sent_at, timezone.now())
        changed.append("last_inbound_at")
    if message.profile_name and contact.profile_name != message.profile_name:
        contact.profile_name = message.profile_name
        changed.append("profile_name")
    if changed:
        contact.save(update_fields=changed)


def _apply_edit_or_revoke(message: InboundMessage) -> None:
    body = message.message.get(message.type) or {}
    original = body.get("original_message_id") if isinstance(body, dict) else None
    if not isinstance(original, str):
        return
    target = InboundMessage.objects.filter(wamid=original, village_id=message.village_id)
    if message.type == "revoke":
        target.update(revoked_at=message.sent_at)
    else:
        target.update(edited_message=body.get("message"))


def _apply_system(message: InboundMessage, resident: Resident) -> None:
    system = message.message.get("system") or {}
    new_wa_id = system.get("wa_id") if isinstance(system, dict) else None
    if (
        system.get("type") == "user_changed_number"
        and isinstance(new_wa_id, str)
        and new_wa_id.isdigit()
    ):
        taken = Resident.objects.filter(village_id=message.village_id, phone=f"+{new_wa_id}")
        if not taken.exists():
            resident.phone = f"+{new_wa_id}"
            resident.save(update_fields=["phone", "updated"])


@job(queue_name="inbox")
def process_inbound(message_id: int) -> str:
    message = (
        InboundMessage.objects.select_related("number", "village").filter(pk=message_id).first()
    )
    if message is None or message.state == InboundMessage.State.PROCESSED:
        return "nothing to do"
    InboundMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    with transaction.atomic():
        resident = resolve_resident(message)
        message.resident = resident
        InboundMessage.objects.filter(pk=message.pk).update(resident=resident)
        _touch_contact(message, resident)
    if message.type in MEDIA_TYPES:
        _ensure_media(message)
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state == InboundMessage.State.PROCESSED:
            return "processed by another worker"
        if message.type in {"edit", "revoke"}:
            _apply_edit_or_revoke(message)
        elif message.type == "system":
            _apply_system(message, resident)
        if message.type not in SILENT_TYPES:
            do_mark_read(message)
        # The window is open again: what waited for it goes first, then the replies.
        do_send_waiting(resident)
        import_string(settings.WHATSAPP_MESSAGE_HANDLER)(message)
        InboundMessage.objects.filter(pk=message.pk).update(
            state=InboundMessage.State.PROCESSED, processed_at=timezone.now(), error=""
        )
    return "processed"


def acknowledge(message: InboundMessage) -> None:
    """The handler until a conversation engine is configured: a polite receipt."""
    if message.type in SILENT_TYPES:
        return
    if message.type not in KNOWN_TYPES or message.type == "unsupported":
        body = (
            "Mohon maaf, jenis pesan ini belum bisa kami baca. Silakan kirim pesan teks, "
            "foto, atau dokumen."
        )
    else:
        body = (
            f"Terima kasih, Bapak/Ibu. Pesan Anda sudah kami terima di layanan {message.village}."
        )
    do_send(message.resident, build.text(body), reply_to=message.wamid)


# --- media -----------------------------------------------------------------------------------


def _ensure_media(message: InboundMessage) -> None:
    body = message.message.get(message.type)
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return
    media, _ = Media.objects.get_or_create(
        message=message,
        defaults={
            "village_id": message.village_id,
            "media_id": body["id"][:100],
            "mime_type": str(body.get("mime_type", ""))[:100],
            "sha256": str(body.get("sha256", ""))[:100],
            "filename": str(body.get("filename", ""))[:255],
        },
    )
    if media.state != Media.State.PENDING:
        return
    try:
        fetch_media(media.pk)
    except Exception as e:  # the message goes on; the download retries on its own
        logger.warning(
            "media %s: first download failed (%s); retrying in the background", media.code, e
        )
        enqueue_durably(download_media, media.pk)


def _digest_matches(expected: str, content: bytes) -> bool:
    if not expected:
        return True
    digest = hashlib.sha256(content).digest()
    return expected in {digest.hex(), base64.b64encode(digest).decode()}


@job(queue_name="inbox", max_attempts=8)
def download_media(media_id: int) -> str:
    return fetch_media(media_id)


def fetch_media(media_id: int) -> str:
    """Download, check (size, MIME type, sha256) and store one media file. Raises on
    failures worth retrying; records the others on the Media row."""
    media = Media.objects.select_related("message__number").filter(pk=media_id).first()
    if media is None or media.state != Media.State.PENDING:
        return "nothing to do"
    Media.objects.filter(pk=media.pk).update(attempts=media.attempts + 1)
    kind = media.message.type
    client = api.CloudAPI(media.message.number)
    try:
        info = client.media_info(media.media_id)
        if not isinstance(info.get("url"), str):
            raise api.CloudAPIError(api.TRANSPORT_ERROR, "media info without a url")
        content = client.download(info["url"], max_bytes=MEDIA_MAX_BYTES.get(kind, 16 << 20))
    except api.CloudAPIError as e:
        if e.retryable:
            raise
        return _media_failed(media, str(e))
    mime = str(info.get("mime_type") or media.mime_type).split(";")[0].strip()
    family = "image" if kind == "sticker" else kind
    if kind != "document" and not mime.startswith(f"{family}/"):
        return _media_failed(media, f"MIME type {mime!r} does not match a {kind}")
    if not (
        _digest_matches(media.sha256, content)
        and _digest_matches(str(info.get("sha256") or ""), content)
    ):
        if media.attempts + 1 >= 3:
            return _media_failed(media, "sha256 does not match the content (3 downloads)")
        raise RuntimeError("sha256 does not match the downloaded content")
    extension = mimetypes.guess_extension(mime) or ".bin"
    # A name of its own for each attempt: what a failed write leaves is ours alone to remove.
    name = f"{media.code}-{secrets.token_hex(3)}{extension}"
    try:
        media.file.save(name, ContentFile(content), save=False)
    except OSError as e:
        _remove_partial(media, name)
        # Our own storage failed (disk full, read-only): the download was fine, so this does
        # not spend one of the media's attempts; the job and the sweeper try again until the
        # file lands (Meta keeps media for 30 days).
        Media.objects.filter(pk=media.pk).update(
            attempts=F("attempts") - 1, error=f"storage: {e}"[:2000]
        )
        logger.error("media %s: cannot store the file (%s); will try again", media.code, e)
        raise
    Media.objects.filter(pk=media.pk).update(
        file=media.file.name, size=len(content), mime_type=mime, state=Media.State.STORED, error=""
    )
    return "stored"


def _remove_partial(media: Media, name: str) -> None:
    target = media.file.field.generate_filename(media, name)
    with contextlib.suppress(OSError):
        if media.file.storage.exists(target):
            media.file.storage.delete(target)


def _media_failed(media: Media, reason: str) -> str:
    Media.objects.filter(pk=media.pk).update(state=Media.State.FAILED, error=reason[:2000])
    return f"failed: {reason}"
