"""What staff do with an announcement, as named actions that own their transaction.

Draft → (send to more residents than the village's threshold?) → submitted for approval →
approved by the sekdes or kades, which starts the send → sent. Below the threshold the
author sends at once. A post can also be published on the web only.
"""

from django.db import transaction
from django.utils import timezone

from balai.announcements.audience import estimate
from balai.announcements.models import Announcement, Broadcast
from balai.announcements.sending import SendError, do_cancel, do_pause, do_resume, do_start
from balai.villages.actions import do_audit

S = Announcement.State


class ActionError(Exception):
    """The action does not apply now; the text says why, for the staff member."""


def _check_sendable(announcement, est) -> None:
    if est.reachable == 0:
        raise ActionError("Belum ada penerima untuk pengumuman ini: tidak ada yang dikirimi.")
    if est.missing_template:
        raise ActionError(
            "Sebagian penerima di luar jendela 24 jam, dan desa belum punya templat yang "
            "disetujui Meta. Tambahkan templat di halaman WhatsApp, atau pilih templat."
        )


@transaction.atomic
def do_submit(announcement: Announcement, staff) -> None:
    if announcement.state != S.DRAFT:
        raise ActionError("Hanya draf yang bisa diajukan.")
    _check_sendable(announcement, estimate(announcement))
    announcement.state = S.PENDING
    announcement.submitted_by = staff.user
    announcement.submitted_at = timezone.now()
    announcement.review_note = ""
    announcement.save(update_fields=["state", "submitted_by", "submitted_at", "review_note"])
    do_audit(staff.user, staff.village, "announcement.submit", announcement)


def do_send_now(announcement: Announcement, staff) -> Broadcast:
    """*Kirim*: the author sends; over the threshold only an approver may."""
    if announcement.state not in {S.DRAFT, S.PUBLISHED, S.PENDING}:
        raise ActionError("Pengumuman ini sudah dikirim.")
    est = estimate(announcement)
    _check_sendable(announcement, est)
    if est.needs_approval and not staff.can("approve_announcements"):
        raise ActionError(
            f"Penerima {est.reachable} orang, lebih dari {est.threshold}: perlu persetujuan "
            "sekretaris desa atau kepala desa. Ajukan dulu."
        )
    return _start(announcement, staff, approved=est.needs_approval)


def do_approve(announcement: Announcement, staff, note: str = "") -> Broadcast:
    """The sekdes or kades approves: the send starts at once."""
    staff.require("approve_announcements")
    if announcement.state not in {S.PENDING, S.DRAFT, S.PUBLISHED}:
        raise ActionError("Pengumuman ini tidak menunggu persetujuan.")
    _check_sendable(announcement, estimate(announcement))
    announcement.review_note = note.strip()
    return _start(announcement, staff, approved=True)


def _start(announcement, staff, *, approved: bool) -> Broadcast:
    with transaction.atomic():
        if approved:
            announcement.approved_by = staff.user
            announcement.approved_at = timezone.now()
            announcement.save(update_fields=["approved_by", "approved_at", "review_note"])
        try:
            broadcast = do_start(announcement, staff.user)
        except SendError as e:
            raise ActionError(str(e)) from None
        do_audit(
            staff.user,
            staff.village,
            "announcement.approve_send" if approved else "announcement.send",
            announcement,
            recipients=broadcast.total,
        )
    return broadcast


@transaction.atomic
def do_reject(announcement: Announcement, staff, note: str) -> None:
    staff.require("approve_announcements")
    if announcement.state != S.PENDING:
        raise ActionError("Pengumuman ini tidak menunggu persetujuan.")
    if not note.strip():
        raise ActionError("Tuliskan alasan penolakan untuk penulis.")
    announcement.state = S.DRAFT
    announcement.review_note = note.strip()
    announcement.save(update_fields=["state", "review_note"])
    do_audit(staff.user, staff.village, "announcement.reject", announcement)


@transaction.atomic
def do_publish_web(announcement: Announcement, staff) -> None:
    """On the village's news page only, without a WhatsApp message."""
    if announcement.state not in {S.DRAFT, S.PENDING}:
        raise ActionError("Pengumuman ini sudah terbit.")
    announcement.state = S.PUBLISHED
    announcement.published_at = timezone.now()
    announcement.hidden = False
    announcement.save(update_fields=["state", "published_at", "hidden"])
    do_audit(staff.user, staff.village, "announcement.publish", announcement)


@transaction.atomic
def do_set_hidden(announcement: Announcement, staff, hidden: bool) -> None:
    if announcement.published_at is None:
        raise ActionError("Pengumuman ini belum terbit di web.")
    announcement.hidden = hidden
    announcement.save(update_fields=["hidden"])
    do_audit(staff.user, staff.village, "announcement.hide" if hidden else "announcement.show",
             announcement)  # fmt: skip


@transaction.atomic
def do_edited(announcement: Announcement, staff) -> None:
    """After an edit: a submitted announcement needs approving again."""
    if announcement.state == S.PENDING:
        announcement.state = S.DRAFT
        announcement.submitted_at = None
        announcement.save(update_fields=["state", "submitted_at"])
    do_audit(staff.user, staff.village, "announcement.edit", announcement)


@transaction.atomic
def do_delete(announcement: Announcement, staff) -> None:
    if announcement.state not in {S.DRAFT, S.PENDING}:
        raise ActionError("Yang sudah terbit atau terkirim tidak dihapus; sembunyikan saja.")
    do_audit(staff.user, staff.village, "announcement.delete", announcement,
             title=announcement.title)  # fmt: skip
    for field in (announcement.image, announcement.attachment):
        if field:
            field.delete(save=False)
    announcement.delete()


def do_pause_send(announcement: Announcement, staff) -> int:
    broadcast = _broadcast(announcement)
    pulled = do_pause(broadcast)
    if broadcast.state != Broadcast.State.PAUSED:
        raise ActionError("Pengiriman tidak sedang berjalan.")
    do_audit(staff.user, staff.village, "announcement.pause", announcement, pulled_back=pulled)
    return pulled


def do_resume_send(announcement: Announcement, staff) -> None:
    broadcast = _broadcast(announcement)
    with transaction.atomic():
        if not do_resume(broadcast):
            raise ActionError("Pengiriman tidak sedang dijeda.")
        do_audit(staff.user, staff.village, "announcement.resume", announcement)


def do_cancel_send(announcement: Announcement, staff) -> int:
    broadcast = _broadcast(announcement)
    stopped = do_cancel(broadcast)
    if broadcast.state != Broadcast.State.CANCELLED:
        raise ActionError("Pengiriman sudah selesai.")
    do_audit(staff.user, staff.village, "announcement.cancel", announcement, not_sent=stopped)
    return stopped


def _broadcast(announcement) -> Broadcast:
    broadcast = Broadcast.objects.filter(announcement=announcement).first()
    if broadcast is None:
        raise ActionError("Pengumuman ini belum dikirim.")
    return broadcast
