"""The conversation engine: the WhatsApp message handler for resident services.

``handle`` runs inside the inbox's transaction for one stored message. It locks the
resident's Conversation row, applies the global words (menu, batal, kembali, bantuan,
petugas), then either feeds the answer to the active flow's current step or routes a fresh
message by its intent. Replies are collected on the Turn and queued in the outbox in order.
"""

import datetime as dt
import logging
from functools import cached_property

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from balai.conversations import hooks, texts
from balai.conversations.models import Conversation
from balai.conversations.steps import Invalid, Reprompt, Stop, words
from balai.whatsapp import messages as build
from balai.whatsapp.inbox import SILENT_TYPES
from balai.whatsapp.models import InboundMessage
from balai.whatsapp.outbox import do_send

logger = logging.getLogger(__name__)

GLOBAL_WORDS = {
    "menu": {"menu", "menu utama", "mnu", "home", "kembali ke menu"},
    "batal": {"batal", "batalkan", "btl", "cancel", "gak jadi", "ga jadi", "tidak jadi",
              "nggak jadi", "gajadi", "ndak jadi", "batal saja", "batal aja"},
    "kembali": {"kembali", "back", "balik", "sebelumnya", "mundur"},
    "bantuan": {"bantuan", "help", "bingung", "tolong", "?", "bantu"},
    "petugas": {"petugas", "operator", "admin", "cs", "bicara dengan petugas",
                "hubungi petugas", "minta petugas", "orang", "manusia"},
    "lanjut": {"lanjut", "lanjutkan"},
    "berhenti": {"berhenti", "stop", "berhenti langganan", "stop langganan", "unsubscribe",
                 "jangan kirim lagi"},
}  # fmt: skip
WORD_OF = {w: key for key, variants in GLOBAL_WORDS.items() for w in variants}
LONG_TEXT = 4000


class Turn:
    """One inbound message being handled: who, what, and the replies to send."""

    def __init__(self, message: InboundMessage, conv: Conversation):
        self.message = message
        self.conv = conv
        self.resident = message.resident
        self.village = message.village
        self.now = timezone.now()
        self.replies: list[tuple[str, dict]] = []

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.village.tz).date()

    @cached_property
    def text(self) -> str:
        return (self.message.text or "").strip()

    @property
    def reply_id(self) -> str:
        return self.message.reply_id

    @cached_property
    def understanding(self):
        from balai.nlu import understand

        return understand(self.text[:LONG_TEXT])

    def say(self, built) -> None:
        if isinstance(built, str):
            built = build.text(built)
        self.replies.append(built)

    def send(self) -> None:
        for built in self.replies:
            do_send(self.resident, built)


# --- the handler ----------------------------------------------------------------------------


def handle(message: InboundMessage) -> None:
    if message.type in SILENT_TYPES or message.resident is None:
        return
    Conversation.objects.get_or_create(
        resident=message.resident, defaults={"village_id": message.village_id}
    )
    conv = (
        Conversation.objects.select_for_update()
        .select_related("village")
        .get(resident=message.resident)
    )
    turn = Turn(message, conv)
    if _flooded(turn):
        conv.save()
        turn.send()
        return
    try:
        with transaction.atomic():  # a savepoint: a failing flow leaves nothing half-done
            _dispatch(turn)
    except Exception:
        # A bug must not leave the resident without an answer or loop on retries: the
        # message stays stored, a person is asked to look, and the error is logged.
        logger.exception("conversation engine failed on inbound message %s", message.pk)
        conv.refresh_from_db()
        conv.reset()
        conv.handoff_at = conv.handoff_at or turn.now
        conv.handoff_reason = "Gangguan pada asisten otomatis"
        turn.replies = []
        turn.say(texts.ENGINE_ERROR)
    conv.last_activity = turn.now
    conv.save()
    turn.send()


def _flooded(turn: Turn) -> bool:
    """More than CONVERSATION_FLOOD_LIMIT messages in CONVERSATION_FLOOD_SECONDS from one
    person: they are stored (staff see them) but not acted on, and one notice is sent."""
    window = dt.timedelta(seconds=settings.CONVERSATION_FLOOD_SECONDS)
    recent = InboundMessage.objects.filter(
        resident=turn.resident,
        sent_at__gte=turn.message.sent_at - window,
        sent_at__lte=turn.message.sent_at,
    ).exclude(type__in=SILENT_TYPES)
    if recent.count() <= settings.CONVERSATION_FLOOD_LIMIT:
        return False
    conv = turn.conv
    if conv.flood_notice_at is None or turn.now - conv.flood_notice_at > window:
        conv.flood_notice_at = turn.now
        turn.say(texts.FLOOD)
    return True


def _dispatch(turn: Turn) -> None:
    from balai.conversations.flows import FLOWS, route

    conv = turn.conv
    if conv.in_handoff:
        if conv.handoff_expired(turn.now):
            end_handoff(conv)
        elif _global_word(turn) == "menu":
            end_handoff(conv)
            turn.say(texts.BOT_BACK)
            FLOWS["menu"].show(turn)
            return
        else:
            return  # a person is on it: the message is in the staff inbox, the bot stays quiet
    if conv.idle_expired(turn.now):
        end_session(turn)
    if conv.greeted_at is None:
        conv.greeted_at = turn.now
        turn.say(texts.greeting(turn.village))
    if turn.message.type == "text" and len(turn.text) > LONG_TEXT:
        turn.say(texts.TOO_LONG)
    word = _global_word(turn)
    if word and _apply_global(turn, word):
        return
    if turn.reply_id and hooks.handle_reply(turn):
        return
    if turn.reply_id and not conv.flow and route.handle_reply_id(turn):
        return
    if conv.flow in FLOWS:
        conv.misunderstood = 0
        answer(turn, FLOWS[conv.flow])
        return
    route.route(turn)


def _global_word(turn: Turn) -> str | None:
    if turn.message.type == "text":
        bare = turn.text.strip() in {"0", "#"} and not turn.conv.flow
        return WORD_OF.get(words(turn.text)) or (
            "menu" if bare and not hooks.awaits_answer(turn) else None
        )
    if turn.reply_id.startswith("global:"):
        return turn.reply_id.removeprefix("global:")
    return None


def _apply_global(turn: Turn, word: str) -> bool:
    from balai.conversations.flows import FLOWS
    from balai.conversations.flows.handoff import start_handoff

    conv = turn.conv
    form = FLOWS.get(conv.flow)
    if word == "menu":
        if form is not None:
            save_draft(turn)
            conv.reset()
        FLOWS["menu"].show(turn)
    elif word == "batal":
        if form is None:
            turn.say(texts.NOTHING_TO_CANCEL)
        else:
            conv.reset()
            turn.say(texts.CANCELLED)
    elif word == "kembali":
        if form is None:
            FLOWS["menu"].show(turn)
        else:
            back(turn, form)
    elif word == "bantuan":
        if form is None:
            turn.say(texts.help_idle())
        else:
            step = form.current(turn)
            turn.say(texts.help_step(step.explain() if step else ""))
    elif word == "petugas":
        start_handoff(turn, "Warga meminta petugas")
    elif word == "berhenti":
        # Works in the middle of a form too; the form stays where it was.
        from balai.conversations.stopping import do_stop_all, stopped_text

        turn.say(stopped_text(do_stop_all(turn.resident)))
    elif word == "lanjut":
        draft = conv.live_draft(turn.now)
        if draft is None or form is not None:
            return False
        resume_draft(turn)
    return True


# --- forms ----------------------------------------------------------------------------------


def start(turn: Turn, form, **preset) -> None:
    conv = turn.conv
    conv.reset()
    conv.flow = form.name
    conv.data = {k: v for k, v in preset.items() if v is not None}
    conv.misunderstood = 0
    intro = form.intro(turn)
    if intro:
        turn.say(intro)
    advance(turn, form)


def advance(turn: Turn, form) -> None:
    conv = turn.conv
    for step in form.steps(turn):
        if step.key not in conv.data and step.applies(turn, conv.data):
            conv.step, conv.failures = step.key, 0
            turn.say(step.prompt(turn, conv.data))
            return
    if form.confirm:
        conv.step, conv.failures = "_confirm", 0
        turn.say(form.confirmation(turn))
    else:
        finish(turn, form)


def finish(turn: Turn, form) -> None:
    data = dict(turn.conv.data)
    turn.conv.reset()
    if form.keeps_draft:
        clear_draft(turn.conv)
    form.submit(turn, data)


def answer(turn: Turn, form) -> None:
    conv = turn.conv
    if conv.step == "_confirm":
        return form.answer_confirmation(turn)
    if conv.step == "_edit":
        return form.answer_edit(turn)
    step = form.current(turn)
    if step is None:  # the catalogue changed under a running flow: start it again
        conv.reset()
        turn.say(texts.FLOW_CHANGED)
        from balai.conversations.flows import FLOWS

        FLOWS["menu"].show(turn)
        return
    try:
        value = step.parse(turn, conv.data)
    except Reprompt as r:
        turn.say(r.built)
        return
    except Invalid as e:
        failed(turn, form, step, e)
        return
    except Stop as s:
        conv.reset()
        turn.say(s.text)
        return
    conv.data[step.key] = value
    conv.history = [*conv.history, step.key]
    conv.failures = 0
    try:
        form.after(turn, step)
    except Stop as s:
        conv.reset()
        turn.say(s.text)
        return
    if conv.data.pop("_editing", False):
        conv.step = "_confirm"
        turn.say(form.confirmation(turn))
        return
    advance(turn, form)


def failed(turn: Turn, form, step, error: Invalid) -> None:
    """First failure: only what was wrong. Second: the field explained with an example, and
    a person offered. Third: a person takes over (the answers so far are kept)."""
    from balai.conversations.flows.handoff import start_handoff

    conv = turn.conv
    conv.failures += 1
    if conv.failures == 1:
        turn.say(error.message)
    elif conv.failures == 2:
        turn.say(
            build.buttons(
                texts.explain_after_failures(error.message, step.explain()),
                [("global:petugas", "Hubungi petugas"), ("global:batal", "Batal")],
                footer="Atau coba ketik lagi",
            )
        )
    else:
        save_draft(turn)
        conv.reset()
        start_handoff(turn, f"Kesulitan mengisi {step.label}", after_failures=True)


def back(turn: Turn, form) -> None:
    conv = turn.conv
    conv.data.pop("_editing", None)
    if not conv.history:
        turn.say(texts.AT_FIRST_STEP)
        step = form.current(turn)
        if step:
            turn.say(step.prompt(turn, conv.data))
        return
    *rest, last = conv.history
    conv.history = rest
    conv.data.pop(last, None)
    advance(turn, form)


# --- sessions, drafts and handoff -----------------------------------------------------------


def save_draft(turn: Turn) -> None:
    save_draft_of(turn.conv, turn.now)


def save_draft_of(conv: Conversation, now) -> None:
    """Keep an unfinished letter request for 24 hours, to be offered back."""
    from balai.conversations.flows import FLOWS

    form = FLOWS.get(conv.flow)
    if form is not None and form.keeps_draft and conv.data:
        conv.draft = {"flow": conv.flow, "data": conv.data, "history": conv.history}
        conv.draft_saved_at = now


def clear_draft(conv: Conversation) -> None:
    conv.draft, conv.draft_saved_at = None, None


def resume_draft(turn: Turn) -> None:
    from balai.conversations.flows import FLOWS

    conv = turn.conv
    draft = conv.live_draft(turn.now)
    form = FLOWS.get(draft["flow"]) if draft else None
    if form is None:
        turn.say(texts.NO_DRAFT)
        return
    conv.reset()
    conv.flow, conv.data, conv.history = draft["flow"], draft["data"], draft["history"]
    clear_draft(conv)
    turn.say(texts.DRAFT_RESUMED)
    advance(turn, form)


def end_session(turn: Turn) -> None:
    """An idle session met by a new message: keep the draft, start afresh (the sweep is
    what tells residents their session ended)."""
    save_draft(turn)
    turn.conv.reset()


def end_handoff(conv: Conversation) -> None:
    conv.handoff_at, conv.handoff_reason, conv.assigned_to = None, "", None
