"""Monthly follow-up on WhatsApp after a programme ends (seed 004: support must go on after
the activity, and success is judged by participants' sales).

For ``Programme.followup_months`` months after the month the programme ends, each
participant who said yes gets, on ``followup_day`` of the next month at 09.00 village time,
one short check-in about the month before: the month's sales in rupiah ("1,5 juta",
"850rb", "0", "tidak ada penjualan"), then the programme's own question if it has one, then
a summary with *Ubah* to correct it. Outside the 24-hour window the outbox sends the
village's approved ``programme_checkin`` template first and the question once they reply
(the mechanism of ``consent.py``). Unanswered check-ins are reminded at most twice,
REMIND_AFTER apart, and closed (skipped) after CLOSE_AFTER.

Every step is idempotent: a ``CheckIn`` row per (participant, month) is written in the same
transaction as its outbox row, so the periodic job running twice, on two workers, or after
a crash never asks twice; reminders move a counter with a conditional UPDATE.

The answer is kept on the CheckIn. When the participant is a seller in the catalogue it is
also a ``market.Sale`` (source CHECKIN, quantity 0, dated the first of the month) for the
part of the monthly total not already recorded (e.g. by daily "laku …" reports), so the
market's monthly totals equal what the participant reported; a correction replaces that
sale. ``berhenti`` stops open check-ins, and withdrawn participants are never asked.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from balai.conversations.hooks import awaiting_answer, reply_handler, word_handler
from balai.core.jobs import job
from balai.core.schedule import periodic
from balai.market.sales import add_months, month_end, month_start
from balai.nlu.normalise import amount_spans, normalise, parse_amount, parse_quantity
from balai.programmes import learning  # noqa: F401 (imported first: a typed quiz answer wins)
from balai.programmes.models import CheckIn, ConsentState, Participant, Programme
from balai.whatsapp import messages as build
from balai.whatsapp.outbox import NoChannel, do_send

PURPOSE = "programme_checkin"
PREFIX = "checkin"
MIN_MONTHS, MAX_MONTHS = 6, 12
ASK_HOUR = 9  # village time, on followup_day
DAY_HOURS = (8, 20)  # asks and reminders go out only between these hours, village time
ASK_WITHIN = dt.timedelta(days=10)  # a month not asked by then is left out, not caught up
REMIND_AFTER = dt.timedelta(days=3)
MAX_REMINDERS = 2
CLOSE_AFTER = dt.timedelta(days=14)  # then an unanswered check-in is "skipped"
CORRECT_WITHIN = dt.timedelta(days=3)  # "salah, yang benar 1,2 juta" after answering

SALES, CUSTOM, DONE = "sales", "custom", ""
OPEN = [CheckIn.State.ASKED, CheckIn.State.REMINDED]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember"]  # fmt: skip

# "tidak ada penjualan", "belum laku", "nihil", after normalise() ("ga ada" → "tidak ada").
_ZERO = re.compile(
    r"^(?:rp\.?\s*)?0+(?:[.,]0+)?\s*(?:rb|ribu|rupiah)?$"
    r"|^(?:nol|nihil|kosong|zonk|tidak|belum)(?:\s+(?:ada|ada sama sekali|sama sekali))?$"
    r"|\b(?:tidak|belum|blm)\s+(?:ada\s+)?(?:(?:yang|yg)\s+)?"
    r"(?:penjualan|jualan|terjual|laku|pembeli|pemasukan|omzet|hasil|pesanan|yang beli)\b"
    r"|\b(?:tidak|belum)\s+(?:ada|jualan|berjualan|dagang|jual)$"
    r"|^(?:nol|0)\s+rupiah$"
)
_BARE = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:[.,]\d{3})+|\d+)(?:\s*,-)?$")
_FILLER = re.compile(
    r"\b(?:sekitar|kurang lebih|kira kira|kira2|kurleb|total|totalnya|semua|semuanya|"
    r"penjualan|jualan|omzet|omset|bulan ini|bulan lalu|sebulan|alhamdulillah|ya|pak|bu|"
    r"dapat|dapet|dpt|cuma|hanya|sekitaran|an)\b"
)
_CORRECTION = re.compile(r"\b(?:salah|ralat|koreksi|keliru|yang benar|yg benar|maksudnya)\b")
_ANSWER_LIKE = re.compile(
    r"\d|\b(?:juta|ribu|rb|jt|rupiah|penjualan|jualan|laku|omzet|omset|untung|sepi|ramai|"
    r"lumayan|sedikit|banyak|lupa)\b"
)
# Intents that mean the resident wants something else, not to answer the check-in.
ELSEWHERE = {"letter_request", "requirements_info", "status_check", "complaint", "office_info",
             "handoff", "subscribe", "unsubscribe", "catalog", "menu", "thanks"}  # fmt: skip


# --- months ---------------------------------------------------------------------------------


def month_label(period: dt.date) -> str:
    return f"{MONTHS[period.month - 1]} {period.year}"


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def periods(programme: Programme) -> list[dt.date]:
    """The months reported on: those after the month the programme ends."""
    if not programme.followup_months:
        return []
    first = add_months(month_start(programme.ends_on), 1)
    return [add_months(first, i) for i in range(programme.followup_months)]


def ask_at(programme: Programme, period: dt.date) -> dt.datetime:
    day = add_months(period, 1).replace(day=min(max(programme.followup_day, 1), 28))
    return dt.datetime.combine(day, dt.time(ASK_HOUR), tzinfo=programme.village.tz)


def due_period(programme: Programme, now: dt.datetime) -> dt.date | None:
    """The month to ask about now, if any: the latest whose ask time has come, while it is
    fresh (a month missed while follow-up was off or the workers were down is not asked)."""
    for period in reversed(periods(programme)):
        at = ask_at(programme, period)
        if at <= now:
            return period if now < at + ASK_WITHIN else None
    return None


def _daytime(village, now: dt.datetime) -> bool:
    return DAY_HOURS[0] <= now.astimezone(village.tz).hour < DAY_HOURS[1]


# --- reading answers ------------------------------------------------------------------------


class Unclear(Exception):
    """An answer that looks like one but cannot be read; ``str(e)`` is the re-ask."""


def parse_sales(text: str) -> int | None:
    """Rupiah for a month's sales answer; None when the text is not a sales figure at all.
    Raises Unclear for a figure that cannot be read for sure ("850" without a unit, two
    amounts)."""
    raw = (text or "").strip().lower()
    plain = normalise(raw)
    if not plain:
        return None
    if _ZERO.search(plain) or _ZERO.search(raw):
        return 0
    spans = amount_spans(raw)
    if len({value for _s, _e, value in spans}) > 1:
        raise Unclear(
            "Mohon ketik *totalnya saja* untuk sebulan, mis. *1,5 juta*, agar tidak salah catat."
        )
    amount = parse_amount(raw)
    if amount is not None:
        return amount
    bare = _BARE.match(" ".join(_FILLER.sub(" ", plain).split()))
    if bare is None:
        return None
    digits = bare[1]
    value = (
        int(re.sub(r"[.,]", "", digits)) if re.fullmatch(r"\d{1,3}([.,]\d{3})+", digits) else None
    )
    if value is None:
        value = int(digits) if digits.isdigit() else None
    if value is None:
        return None
    if value == 0:
        return 0
    if value < 1000:
        raise Unclear(
            f"Maksudnya {value} ribu rupiah? Mohon tulis dengan satuannya agar tidak salah "
            f"catat, mis. *{value}rb* atau *{value}.000*."
        )
    return value


def parse_number(text: str) -> Decimal | None:
    """A custom answer's value when it is one number ("12", "12,5", "3 pesanan", "500rb")."""
    low = (text or "").strip().lower()
    amount = parse_amount(low)
    if amount is not None:
        return Decimal(amount)
    found = re.findall(r"\d+(?:[.,]\d+)*", low)
    if len(found) != 1:
        return None
    digits = found[0]
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", digits):
        digits = re.sub(r"[.,]", "", digits)
    try:
        return Decimal(digits.replace(",", "."))
    except InvalidOperation:
        return None


# --- the messages ---------------------------------------------------------------------------


def _seller(checkin: CheckIn):
    from balai.market.models import Seller

    return Seller.objects.filter(
        village_id=checkin.village_id, resident_id=checkin.participant.resident_id
    ).first()


def recorded_elsewhere(checkin: CheckIn, seller=None) -> int:
    """What the seller's other sales records already hold for the month."""
    from balai.market.models import Sale

    seller = seller if seller is not None else _seller(checkin)
    if seller is None:
        return 0
    return (
        Sale.objects.filter(
            seller=seller, sold_on__gte=checkin.period, sold_on__lte=month_end(checkin.period)
        )
        .exclude(pk=checkin.sale_id)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )


def _position(checkin: CheckIn) -> str:
    months = periods(checkin.programme)
    if checkin.period in months:
        return f" ({months.index(checkin.period) + 1} dari {len(months)})"
    return ""


def sales_question(checkin: CheckIn) -> str:
    month = month_label(checkin.period)
    known = recorded_elsewhere(checkin)
    lines = [
        f"Berapa *total penjualan* usaha Bapak/Ibu selama bulan *{month}*?",
        "Ketik angkanya, mis. *850rb* atau *1,5 juta*. Bila tidak ada penjualan, ketik *0*.",
    ]
    if known:
        lines.append(
            f"(Dari laporan harian Bapak/Ibu sudah tercatat {rupiah(known)}; tulis totalnya "
            "sebulan, termasuk yang itu.)"
        )
    return "\n".join(lines)


def question_text(checkin: CheckIn, *, reminder: bool = False) -> str:
    participant = checkin.participant
    title = checkin.programme.title
    if reminder:
        head = (
            f"Pengingat untuk Bapak/Ibu {participant.resident.name}: kami belum menerima "
            f"laporan bulanan program *{title}* untuk bulan {month_label(checkin.period)}."
        )
    else:
        head = (
            f"Halo Bapak/Ibu {participant.resident.name}. Ini laporan bulanan program *{title}*"
            f"{_position(checkin)}, agar pendamping tahu perkembangan usaha Bapak/Ibu."
        )
    tail = "Ketik *berhenti* bila tidak ingin ditanya lagi."
    return f"{head}\n\n{sales_question(checkin)}\n\n{tail}"


def question_message(checkin: CheckIn, *, reminder: bool = False):
    return build.buttons(
        question_text(checkin, reminder=reminder),
        [(f"{PREFIX}:{checkin.code}:nol", "Tidak ada penjualan")],
    )


def template_values(checkin: CheckIn) -> dict:
    return {"program": checkin.programme.title, "bulan": month_label(checkin.period)}


def summary_text(checkin: CheckIn) -> str:
    lines = [
        f"Terima kasih, Bapak/Ibu. Laporan bulan {month_label(checkin.period)} sudah kami catat:",
        f"• Penjualan: {rupiah(checkin.sales_amount or 0)}",
    ]
    question = checkin.programme.followup_question
    if question and checkin.custom_answer:
        lines.append(f"• {question} {checkin.custom_answer}")
    lines += ["", "Bila ada yang keliru, tekan *Ubah*."]
    return "\n".join(lines)


def summary_message(checkin: CheckIn):
    return build.buttons(summary_text(checkin), [(f"{PREFIX}:{checkin.code}:ubah", "Ubah")])


# --- asking, reminding, closing -------------------------------------------------------------


def due_programmes(now: dt.datetime):
    today = now.date()
    return Programme.objects.filter(
        followup_months__gt=0,
        ends_on__lt=today,
        ends_on__gte=today - dt.timedelta(days=31 * (MAX_MONTHS + 2)),
    ).select_related("village")


def do_ask_due(now: dt.datetime | None = None) -> int:
    """Ask every participant who said yes about the due month, once."""
    now = now or timezone.now()
    sent = 0
    for programme in due_programmes(now):
        period = due_period(programme, now)
        if period is None or not _daytime(programme.village, now):
            continue
        waiting = (
            programme.participants.filter(consent=ConsentState.GIVEN)
            .exclude(checkins__period=period)
            .select_related("resident", "programme__village")
        )
        for participant in waiting:
            if not participant.resident.phone and not participant.resident.wa_user_id:
                continue
            try:
                with transaction.atomic():
                    checkin = CheckIn.objects.create(
                        village_id=programme.village_id, programme=programme,
                        participant=participant, period=period, asked_at=now, step=SALES,
                    )  # fmt: skip
                    checkin.programme = programme
                    row = do_send(
                        participant.resident,
                        question_message(checkin),
                        purpose=PURPOSE,
                        template_values=template_values(checkin),
                    )
                    CheckIn.objects.filter(pk=checkin.pk).update(outbound=row)
                    _close_older(participant, period)  # an older month still open is over
            except IntegrityError:
                continue  # asked already (another worker, or an earlier run)
            except NoChannel:
                break
            sent += 1
    return sent


def _close_older(participant: Participant, period: dt.date) -> None:
    older = CheckIn.objects.filter(participant=participant, period__lt=period)
    older.filter(state__in=OPEN).update(state=CheckIn.State.SKIPPED, step=DONE)
    older.exclude(step=DONE).update(step=DONE)


def do_remind_due(now: dt.datetime | None = None) -> int:
    """Ask again those who have not answered after REMIND_AFTER, at most MAX_REMINDERS
    times. The counter moves with a conditional UPDATE, so a reminder goes once."""
    now = now or timezone.now()
    sent = 0
    candidates = CheckIn.objects.filter(
        state__in=OPEN,
        step=SALES,
        reminders__lt=MAX_REMINDERS,
        asked_at__gt=now - CLOSE_AFTER,
        participant__consent=ConsentState.GIVEN,
    ).select_related("programme__village", "participant__resident")
    for checkin in candidates:
        last = checkin.last_reminded_at or checkin.asked_at
        if last > now - REMIND_AFTER or not _daytime(checkin.programme.village, now):
            continue
        with transaction.atomic():
            moved = CheckIn.objects.filter(
                pk=checkin.pk, reminders=checkin.reminders, state__in=OPEN, step=SALES
            ).update(
                reminders=F("reminders") + 1,
                state=CheckIn.State.REMINDED,
                last_reminded_at=now,
            )
            if not moved:
                continue
            try:
                do_send(
                    checkin.participant.resident,
                    question_message(checkin, reminder=True),
                    purpose=PURPOSE,
                    template_values=template_values(checkin),
                )
            except NoChannel:
                transaction.set_rollback(True)
                continue
        sent += 1
    return sent


def do_close_stale(now: dt.datetime | None = None) -> int:
    """Unanswered after CLOSE_AFTER: skipped. Withdrawn participants' open ones: stopped."""
    now = now or timezone.now()
    stopped = CheckIn.objects.filter(state__in=OPEN).exclude(
        participant__consent=ConsentState.GIVEN
    )
    n = stopped.update(state=CheckIn.State.STOPPED, step=DONE)
    stale = CheckIn.objects.filter(asked_at__lte=now - CLOSE_AFTER)
    n += stale.filter(state__in=OPEN).update(state=CheckIn.State.SKIPPED, step=DONE)
    stale.exclude(step=DONE).update(step=DONE)  # an unanswered custom question
    return n


@periodic(seconds=3600)
@job()
def send_followup_checkins() -> dict:
    now = timezone.now()
    return {
        "closed": do_close_stale(now),
        "asked": do_ask_due(now),
        "reminded": do_remind_due(now),
    }


def on_stop(sender, resident, **kwargs) -> str | None:
    """``berhenti``: open check-ins are stopped (consent.on_stop withdraws consent, so no
    month is asked again)."""
    mine = CheckIn.objects.filter(participant__resident=resident)
    titles = sorted(set(mine.filter(state__in=OPEN).values_list("programme__title", flat=True)))
    mine.filter(state__in=OPEN).update(state=CheckIn.State.STOPPED, step=DONE)
    mine.exclude(step=DONE).update(step=DONE)
    if not titles:
        return None
    return "Laporan bulanan program " + ", ".join(titles)


# --- answers --------------------------------------------------------------------------------


def do_record_sales(checkin: CheckIn, amount: int, *, text: str = "", message=None) -> CheckIn:
    """The month's total as answered; the seller's CHECKIN sale holds what no other sale
    record of the month holds yet, and is replaced (not added to) by a correction."""
    from balai.market.models import Sale

    now = timezone.now()
    with transaction.atomic():
        checkin = (
            CheckIn.objects.select_for_update()
            .select_related("programme__village", "participant__resident")
            .get(pk=checkin.pk)
        )
        seller = _seller(checkin)
        extra = amount - recorded_elsewhere(checkin, seller) if seller else 0
        sale = checkin.sale
        if seller is not None and extra > 0:
            if sale is None:
                sale = Sale(seller=seller, source=Sale.Source.CHECKIN)
            sale.seller, sale.product, sale.quantity = seller, None, 0
            sale.amount, sale.sold_on, sale.text = extra, checkin.period, text[:500]
            sale.message = message
            sale.save()
        elif sale is not None:
            sale.delete()
            sale = None
        checkin.sale = sale
        checkin.sales_amount = amount
        checkin.sales_text = text[:500]
        checkin.answered_at = now
        checkin.state = CheckIn.State.ANSWERED
        wants_custom = bool(checkin.programme.followup_question) and not checkin.custom_answer
        checkin.step = CUSTOM if wants_custom else DONE
        checkin.save()
    return checkin


def do_record_custom(checkin: CheckIn, text: str) -> CheckIn:
    text = text.strip()[:1000]
    CheckIn.objects.filter(pk=checkin.pk).update(
        custom_answer=text, custom_value=parse_number(text), step=DONE
    )
    checkin.refresh_from_db()
    return checkin


def _awaiting(resident):
    return (
        CheckIn.objects.filter(
            participant__resident=resident,
            participant__consent=ConsentState.GIVEN,
            state__in=[*OPEN, CheckIn.State.ANSWERED],
            asked_at__gt=timezone.now() - CLOSE_AFTER,
        )
        .exclude(step=DONE)
        .select_related("programme__village", "participant__resident")
        .order_by("asked_at", "pk")
    )


@awaiting_answer
def awaits_typed_answer(turn) -> bool:
    """A bare "0" answers the question waiting (no sales, no orders) instead of opening
    the menu."""
    return _awaiting(turn.resident).exists()


def _released_now(turn) -> bool:
    """The question waited for the window and went out in this very turn (the reply that
    opened the window is "halo" or "ya", not an answer): the question is the reply."""
    from balai.whatsapp.models import OutboundMessage

    return (
        OutboundMessage.objects.filter(
            resident=turn.resident,
            purpose=PURPOSE,
            created__gte=turn.message.received_at,
        )
        .exclude(kind=OutboundMessage.Kind.TEMPLATE)
        .exists()
    )


def _elsewhere(turn) -> bool:
    from balai.nlu import CONFIDENT

    u = turn.understanding
    return u.intent in ELSEWHERE and u.confidence >= CONFIDENT


def _is_sale_report(turn, plain: str) -> bool:
    """ "laku 3 sokasi 75rb" is a seller's single sale for the market's own flow."""
    from balai.market.parsing import is_sale

    return is_sale(plain) and parse_quantity(turn.text) is not None


def _after_sales(turn, checkin: CheckIn) -> None:
    if checkin.step == CUSTOM:
        turn.say(f"Terima kasih. Satu pertanyaan lagi:\n*{checkin.programme.followup_question}*")
    else:
        turn.say(summary_message(checkin))
        _next(turn)


def _next(turn) -> None:
    """Another programme's check-in waiting for this resident: its question now."""
    other = _awaiting(turn.resident).filter(step=SALES).first()
    if other is not None:
        turn.say(question_message(other))


def _on_sales(turn, checkin: CheckIn, plain: str) -> bool:
    try:
        amount = None if _is_sale_report(turn, plain) else parse_sales(turn.text)
    except Unclear as e:
        turn.say(str(e))
        return True
    if amount is None:
        if _is_sale_report(turn, plain) or _elsewhere(turn):
            return False
        if _released_now(turn):
            return True
        if not _ANSWER_LIKE.search(plain) and len(plain.split()) > 3:
            return False  # something else entirely: the assistant answers it as usual
        turn.say(
            f"Mohon maaf, kami belum bisa membaca jawabannya. {sales_question(checkin)}\n"
            "Atau tekan *Tidak ada penjualan*."
        )
        return True
    checkin = do_record_sales(checkin, amount, text=turn.text, message=turn.message)
    _after_sales(turn, checkin)
    return True


def _on_custom(turn, checkin: CheckIn, plain: str) -> bool:
    if _elsewhere(turn) and not re.search(r"\d", plain):
        return False
    checkin = do_record_custom(checkin, turn.text)
    turn.say(summary_message(checkin))
    _next(turn)
    return True


def _correction(turn, plain: str) -> bool:
    """ "salah, yang benar 1,2 juta" shortly after answering replaces the figure."""
    if not _CORRECTION.search(plain):
        return False
    checkin = (
        CheckIn.objects.filter(
            participant__resident=turn.resident,
            participant__consent=ConsentState.GIVEN,
            state=CheckIn.State.ANSWERED,
            answered_at__gt=turn.now - CORRECT_WITHIN,
        )
        .select_related("programme__village", "participant__resident")
        .order_by("-answered_at")
        .first()
    )
    if checkin is None:
        return False
    try:
        amount = parse_sales(_CORRECTION.sub(" ", turn.text.lower()))
    except Unclear as e:
        turn.say(str(e))
        return True
    if amount is None:
        return False
    checkin = do_record_sales(checkin, amount, text=turn.text, message=turn.message)
    turn.say(summary_message(checkin))
    return True


@word_handler
def on_typed(turn, plain: str) -> bool:
    if turn.message.type != "text" or not plain:
        return False
    if turn.conv.step not in {"", "menu"}:
        return False  # another app waits for typed input (e.g. a seller's product draft)
    if turn.conv.step == "menu" and re.fullmatch(r"[1-5]", plain):
        return False  # a choice from the menu shown last
    checkin = _awaiting(turn.resident).first()
    if checkin is None:
        return _correction(turn, plain)
    if checkin.step == SALES:
        return _on_sales(turn, checkin, plain)
    return _on_custom(turn, checkin, plain)


@reply_handler(PREFIX)
def on_tap(turn, rest: str) -> bool:
    code, _, action = rest.rpartition(":")
    checkin = (
        CheckIn.objects.filter(code=code, participant__resident=turn.resident)
        .select_related("programme__village", "participant__resident")
        .first()
    )
    if checkin is None or action not in {"nol", "ubah"}:
        return False
    fresh = checkin.asked_at > turn.now - CLOSE_AFTER
    if (
        checkin.participant.consent != ConsentState.GIVEN
        or not fresh
        or checkin.state
        in {
            CheckIn.State.SKIPPED,
            CheckIn.State.STOPPED,
        }
    ):
        turn.say(
            f"Laporan bulan {month_label(checkin.period)} sudah ditutup. Terima kasih, Bapak/Ibu."
        )
        return True
    if action == "ubah":
        CheckIn.objects.filter(pk=checkin.pk).update(step=SALES)
        turn.say(
            f"Baik, silakan ketik lagi penjualan bulan {month_label(checkin.period)}, mis. "
            "*1,5 juta*. Bila tidak ada penjualan, ketik *0*."
        )
        return True
    if checkin.step != SALES:
        turn.say(summary_message(checkin))  # a second tap: what is recorded
        return True
    checkin = do_record_sales(checkin, 0, text="Tidak ada penjualan", message=turn.message)
    _after_sales(turn, checkin)
    return True


# --- for the console ------------------------------------------------------------------------


def grid(programme: Programme):
    """Participants down, follow-up months across: {participant: [CheckIn | None, …]}."""
    months = periods(programme)
    found = {
        (c.participant_id, c.period): c
        for c in CheckIn.objects.filter(programme=programme).select_related("sale")
    }
    rows = []
    for participant in programme.participants.select_related("resident").order_by(
        "resident__name", "pk"
    ):
        cells = [found.get((participant.pk, month)) for month in months]
        if participant.consent == ConsentState.GIVEN or any(cells):
            rows.append((participant, cells))
    return months, rows
