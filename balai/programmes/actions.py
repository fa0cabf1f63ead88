"""Writes for programmes: the programme and its group, announcements to participants,
activities with reminders and attendance, the logbook, comments and photos. Messages go
1:1 through the outbox, only to participants who said yes."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from balai.conversations.hooks import reply_handler
from balai.core.jobs import job
from balai.core.schedule import periodic
from balai.programmes.models import (
    Activity,
    Attendance,
    Comment,
    ConsentState,
    LogEntry,
    Participant,
    Photo,
    Programme,
    Reminder,
)
from balai.villages.actions import do_audit
from balai.whatsapp import messages as build
from balai.whatsapp.outbox import NoChannel, do_send

DEFAULT_REMINDERS = [24 * 60, 60]  # the day before and an hour before
REMINDER_PURPOSE = "programme_reminder"
ANNOUNCE_PURPOSE = "programme_announcement"


def active_participants(programme: Programme):
    return programme.participants.filter(consent=ConsentState.GIVEN).select_related("resident")


@transaction.atomic
def do_save_programme(programme: Programme, actor, *, facilitators=(), supervisors=()):
    created = programme.pk is None
    if created:
        programme.created_by = actor
        if not programme.reminder_offsets:
            programme.reminder_offsets = list(DEFAULT_REMINDERS)
    programme.save()
    if facilitators:
        programme.facilitators.set(facilitators)
    if supervisors is not None:
        programme.supervisors.set(supervisors)
    do_audit(
        actor, programme.village, "programme.create" if created else "programme.edit", programme
    )
    return programme


def _send_each(programme: Programme, build_message, purpose: str, values: dict, actor=None):
    sent = 0
    for participant in active_participants(programme):
        try:
            do_send(
                participant.resident,
                build_message(participant),
                purpose=purpose,
                template_values={"program": programme.title, **values},
                sent_by=actor,
            )
        except NoChannel:
            return 0
        sent += 1
    return sent


def do_record_group(
    programme: Programme,
    actor,
    *,
    name: str,
    formed_on,
    invite_link: str,
    opening_info: str,
    send: bool,
) -> int:
    """Record the WhatsApp group made in the app; optionally send its invite link and the
    opening information 1:1 to every participant who said yes."""
    from balai.programmes.consent import welcome_text

    with transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(
            group_name=name,
            group_formed_on=formed_on,
            group_invite_link=invite_link,
            opening_info=opening_info,
        )
        programme.group_name, programme.group_formed_on = name, formed_on
        programme.group_invite_link, programme.opening_info = invite_link, opening_info
        do_audit(actor, programme.village, "programme.group", programme)
        if not send:
            return 0
        return _send_each(
            programme, lambda p: build.text(welcome_text(p)), ANNOUNCE_PURPOSE, {}, actor
        )  # fmt: skip


def do_set_group_members(programme: Programme, actor, member_codes: set[str]) -> None:
    with transaction.atomic():
        programme.participants.update(in_group=False)
        programme.participants.filter(code__in=member_codes).update(in_group=True)
        do_audit(actor, programme.village, "programme.group_members", programme)


def do_announce(programme: Programme, actor, text: str) -> int:
    text = text.strip()
    if not text:
        raise ValueError("Pengumuman masih kosong.")
    body = f"*{programme.title}*\n\n{text}"
    with transaction.atomic():
        sent = _send_each(programme, lambda p: build.text(body), ANNOUNCE_PURPOSE, {}, actor)
        LogEntry.objects.create(
            programme=programme, date=programme.village.local_now().date(),
            text=f"Pengumuman dikirim ke {sent} peserta: {text[:500]}", author=actor,
        )  # fmt: skip
    return sent


# --- activities, reminders and attendance ---------------------------------------------------


def local_time(activity: Activity) -> str:
    start = activity.starts_at.astimezone(activity.programme.village.tz)
    return f"{start:%d-%m-%Y} pukul {start:%H.%M} {activity.programme.village.tz_label}"


def reminder_text(activity: Activity, offset: int) -> str:
    village = activity.programme.village
    start = activity.starts_at.astimezone(village.tz)
    when = "besok" if offset >= 12 * 60 else "sebentar lagi"
    lines = [
        f"Pengingat *{activity.programme.title}*: kegiatan *{activity.title}* {when}, "
        f"{start:%d-%m-%Y} pukul {start:%H.%M} {village.tz_label}."
    ]
    if activity.place:
        lines.append(f"Tempat: {activity.place}")
    if activity.online_link:
        lines.append(f"Tautan: {activity.online_link}")
    lines.append("Apakah Bapak/Ibu bisa hadir?")
    return "\n".join(lines)


def reminder_message(activity: Activity, participant: Participant, offset: int):
    return build.buttons(
        reminder_text(activity, offset),
        [
            (f"attend:{activity.code}:{participant.code}:coming", "Hadir"),
            (f"attend:{activity.code}:{participant.code}:cannot", "Tidak bisa"),
        ],
    )


@periodic(seconds=60)
@job()
def send_activity_reminders() -> int:
    return do_send_due_reminders()


def do_send_due_reminders(now: dt.datetime | None = None) -> int:
    """Send every reminder that is due and not yet sent. A Reminder row per (activity,
    participant, offset) is written in the same transaction as the outbox row, so a
    reminder goes once even with several workers or a crash in between."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(minutes=max([*DEFAULT_REMINDERS, 24 * 60 * 7]))
    sent = 0
    activities = Activity.objects.filter(starts_at__gt=now, starts_at__lte=horizon).select_related(
        "programme__village"
    )
    for activity in activities:
        offsets = activity.programme.reminder_offsets or DEFAULT_REMINDERS
        # Only the nearest due offset: a reminder "a day before" is pointless an hour before.
        due = [o for o in offsets if activity.starts_at - dt.timedelta(minutes=o) <= now]
        if not due:
            continue
        offset = min(due)
        for participant in active_participants(activity.programme):
            try:
                with transaction.atomic():
                    Reminder.objects.create(
                        activity=activity, participant=participant, offset_minutes=offset,
                        sent_at=now,
                    )  # fmt: skip
                    do_send(
                        participant.resident,
                        reminder_message(activity, participant, offset),
                        purpose=REMINDER_PURPOSE,
                        template_values={
                            "program": activity.programme.title,
                            "kegiatan": activity.title,
                            "waktu": local_time(activity),
                        },
                    )
                sent += 1
            except IntegrityError:
                continue  # already reminded at this offset
            except NoChannel:
                return sent
            # Later, larger offsets are covered: mark them so they are not sent late.
        for other in offsets:
            if other > offset:
                for participant in active_participants(activity.programme):
                    try:
                        with transaction.atomic():
                            Reminder.objects.create(
                                activity=activity, participant=participant,
                                offset_minutes=other, sent_at=now,
                            )  # fmt: skip
                    except IntegrityError:
                        pass
    return sent


def do_answer_attendance(activity: Activity, participant: Participant, answer: str) -> Attendance:
    attendance, _ = Attendance.objects.update_or_create(
        activity=activity,
        participant=participant,
        defaults={"answer": answer, "answered_at": timezone.now()},
    )
    return attendance


@reply_handler("attend")
def on_attendance_tap(turn, rest: str) -> bool:
    parts = rest.split(":")
    if len(parts) != 3 or parts[2] not in Attendance.Answer.values:
        return False
    activity_code, participant_code, answer = parts
    participant = Participant.objects.filter(
        code=participant_code, resident=turn.resident, consent=ConsentState.GIVEN
    ).first()
    activity = Activity.objects.filter(
        code=activity_code, programme_id=getattr(participant, "programme_id", None)
    ).first()
    if participant is None or activity is None:
        return False
    do_answer_attendance(activity, participant, answer)
    if answer == Attendance.Answer.COMING:
        turn.say(f"Terima kasih, Bapak/Ibu. Kami tunggu di kegiatan *{activity.title}*.")
    else:
        turn.say(
            "Baik, terima kasih sudah memberi tahu. Materinya bisa dibaca nanti dengan "
            "mengetik *materi*."
        )
    return True


def do_mark_attendance(activity: Activity, actor, present_codes: set[str]) -> int:
    """The facilitator's record of who came: everyone listed present, the rest absent."""
    now = timezone.now()
    with transaction.atomic():
        participants = list(activity.programme.participants.exclude(consent=ConsentState.NOT_ASKED))
        for participant in participants:
            Attendance.objects.update_or_create(
                activity=activity,
                participant=participant,
                defaults={
                    "present": participant.code in present_codes,
                    "marked_by": actor,
                    "marked_at": now,
                },
            )
        do_audit(actor, activity.programme.village, "programme.attendance", activity)
    return sum(p.code in present_codes for p in participants)


# --- logbook, comments, photos --------------------------------------------------------------


def do_add_log(programme: Programme, actor, *, date, text: str) -> LogEntry:
    return LogEntry.objects.create(programme=programme, date=date, text=text.strip(), author=actor)


def do_add_comment(programme: Programme, actor, text: str) -> Comment:
    text = text.strip()
    if not text:
        raise ValueError("Komentar masih kosong.")
    return Comment.objects.create(programme=programme, author=actor, text=text)


def do_add_photo(
    programme: Programme, actor, *, caption: str, activity=None, upload=None, media=None
) -> Photo:
    photo = Photo(
        programme=programme, activity=activity, caption=caption.strip()[:500], media=media,
        added_by=actor, created=timezone.now(),
    )  # fmt: skip
    if upload is not None:
        photo.file.save(upload.name, upload, save=False)
    photo.save()
    return photo


@periodic(seconds=3600)
@job()
def remind_consent() -> int:
    from balai.programmes.consent import remind_unanswered

    return remind_unanswered()
