"""A message outside any flow: deep links, ticket codes, button replies, then the intent.

When the assistant does not understand, it climbs a ladder instead of looping: first
"did you mean …?" with buttons, then the menu, then a person.
"""

import re

from rapidfuzz import fuzz, process

from balai.announcements.flows import start_subscribe
from balai.complaints.actions import FOLLOW_UP_PREFIX, do_answer_follow_up
from balai.complaints.models import Complaint
from balai.conversations import engine, hooks, texts
from balai.conversations.flows import FLOWS, status
from balai.conversations.flows.handoff import start_handoff
from balai.conversations.flows.info import office_text
from balai.conversations.flows.letter import requirements_message
from balai.conversations.flows.menu import ITEMS
from balai.conversations.steps import words
from balai.conversations.stopping import do_stop_all, stopped_text
from balai.letters.models import LetterType
from balai.market import chat as market
from balai.villages.models import Faq
from balai.whatsapp import messages as build

INTENT_TITLES = {
    "letter_request": "Permohonan surat",
    "requirements_info": "Syarat surat",
    "status_check": "Cek status",
    "complaint": "Pengaduan/aspirasi",
    "office_info": "Info kantor",
    "handoff": "Bicara dgn petugas",
    "subscribe": "Langganan info desa",
    "unsubscribe": "Berhenti langganan",
    "catalog": "Produk UMKM desa",
    "menu": "Menu",
}
FOLLOW_UP_WORDS = {
    "ya": Complaint.FollowUp.YES,
    "sudah": Complaint.FollowUp.YES,
    "sudah beres": Complaint.FollowUp.YES,
    "belum": Complaint.FollowUp.NO,
    "belum beres": Complaint.FollowUp.NO,
    "sebagian": Complaint.FollowUp.PARTLY,
}
FAQ_MATCH = 80


def handle_reply_id(turn) -> bool:
    reply = turn.reply_id
    kind, _, rest = reply.partition(":")
    if kind == "menu" and rest in {item for item, _t, _d in ITEMS}:
        FLOWS["menu"].choose(turn, rest)
    elif kind == FOLLOW_UP_PREFIX:
        code, _, answer = rest.rpartition(":")
        complaint = Complaint.objects.filter(resident=turn.resident, code=code).first()
        if complaint is None or answer not in Complaint.FollowUp.values:
            return False
        follow_up(turn, complaint, answer)
    elif kind == "dym":
        intent = rest
        data = turn.conv.data
        turn.conv.data = {}
        route_intent(turn, intent, data.get("letter_type"), data.get("text", ""))
    elif kind == "req":
        letter = LetterType.objects.active().filter(village=turn.village, slug=rest).first()
        if letter is None:
            return False
        engine.start(turn, FLOWS["letter"], letter=letter.slug)
    else:
        return False
    return True


def answer_request_for_info(turn) -> bool:
    """Staff asked for more on a letter request: what the resident sends next (a photo, a
    PDF, or text that isn't a command) lands on that request."""
    from balai.letters.models import LetterRequest, RequestState
    from balai.letters.workflow import do_receive_info

    pending = (
        LetterRequest.objects.filter(village=turn.village, state=RequestState.NEEDS_INFO)
        .of_contact(turn.resident)
        .order_by("-updated")
        .first()
    )
    if pending is None:
        return False
    if turn.message.type == "text":
        if status.find_ticket(turn.text) or words(turn.text) in {"cek status", "status", "info"}:
            return False
        u = turn.understanding
        from balai.nlu import CONFIDENT

        if u.intent in {"status_check", "menu", "handoff"} and u.confidence >= CONFIDENT:
            return False
    do_receive_info(pending, turn.message)
    turn.say(
        f"Terima kasih, Bapak/Ibu. Data tambahan untuk {pending.code} sudah kami terima dan "
        "kami teruskan ke petugas."
    )
    return True


def follow_up(turn, complaint, answer: str) -> None:
    if complaint.follow_up_answer:
        turn.say(f"Jawaban Anda untuk {complaint.code} sudah kami catat sebelumnya. Terima kasih.")
        return
    do_answer_follow_up(complaint, answer)
    if answer == Complaint.FollowUp.YES:
        turn.say(f"Terima kasih, Bapak/Ibu. {complaint.code} kami tutup sebagai selesai.")
    else:
        turn.say(
            f"Terima kasih atas kabarnya. {complaint.code} kami buka kembali dan petugas akan "
            "menindaklanjutinya. Bila perlu, ceritakan di sini apa yang belum beres."
        )


def route(turn) -> None:
    kind = turn.message.type
    conv = turn.conv
    if kind in {"audio", "voice"}:
        return turn.say(texts.VOICE)
    if kind == "video":
        return turn.say(texts.VIDEO)
    if kind == "sticker":
        return turn.say(texts.STICKER)
    # Apps' command words (materi, kuis, a quiz answer, a sales report…) come before a
    # pending "please send more information", which would otherwise swallow them.
    if kind == "text" and hooks.handle_words(turn, words(turn.text)):
        return None
    if kind in {"image", "document", "text"} and answer_request_for_info(turn):
        return None
    if kind == "image" and market.on_seller_photo(turn):  # a seller's product photo
        return None
    if kind in {"image", "document"} and not turn.text:
        turn.say("Terima kasih, file Anda sudah kami terima.")
        return FLOWS["menu"].show(turn)
    if kind == "location":
        turn.say(
            "Terima kasih, lokasi Anda sudah kami terima. Bila ingin melapor, pilih "
            "Pengaduan/aspirasi."
        )
        return FLOWS["menu"].show(turn)
    if kind not in {"text", "interactive", "button", "image", "document"}:
        return turn.say(texts.UNSUPPORTED)
    text = turn.text
    plain = words(text)
    # Deep links from wa.me links and QR posters: LAYANAN SKTM, ADUAN, ASPIRASI, STATUS, INFO.
    if plain.startswith("layanan "):
        keyword = plain.removeprefix("layanan ").replace(" ", "")
        for letter in LetterType.objects.active().filter(village=turn.village):
            if letter.keyword.lower().replace(" ", "") == keyword:
                return engine.start(turn, FLOWS["letter"], letter=letter.slug)
    if plain in {"aduan", "pengaduan", "lapor"}:
        return engine.start(turn, FLOWS["complaint"], kind=Complaint.Kind.COMPLAINT)
    if plain in {"aspirasi", "usulan", "saran"}:
        return engine.start(turn, FLOWS["complaint"], kind=Complaint.Kind.SUGGESTION)
    if plain == "info":
        return engine.start(turn, FLOWS["info"])
    if plain == "langganan" or plain.startswith("langganan "):  # LANGGANAN [topik]
        return start_subscribe(turn, text)
    if kind != "text" and hooks.handle_words(turn, plain):
        return None
    code = status.find_ticket(text)
    if code:
        return status.show(turn, code)
    if conv.step == "menu" and re.fullmatch(r"[1-5]", plain):
        return FLOWS["menu"].choose(turn, ITEMS[int(plain) - 1][0])
    if plain in FOLLOW_UP_WORDS:
        pending = status.awaiting_follow_up(turn.resident)
        if pending is not None:
            return follow_up(turn, pending, FOLLOW_UP_WORDS[plain])
    u = turn.understanding
    from balai.nlu import CONFIDENT

    if u.intent != "unknown" and u.confidence >= CONFIDENT:
        conv.misunderstood = 0
        return route_intent(turn, u.intent, u.letter_type, text)
    if u.intent == "unknown" and answer_faq(turn, text):
        conv.misunderstood = 0
        return None
    return not_understood(turn, u)


def route_intent(turn, intent: str, letter_type: str | None, text: str) -> None:
    conv = turn.conv
    conv.step = ""
    letter = (
        LetterType.objects.active().filter(village=turn.village, slug=letter_type).first()
        if letter_type
        else None
    )
    if intent == "greeting":
        if conv.greeted_at and conv.greeted_at < turn.now:
            turn.say("Halo, Bapak/Ibu. Ada yang bisa kami bantu?")
        FLOWS["menu"].show(turn)
    elif intent == "menu":
        FLOWS["menu"].show(turn)
    elif intent == "letter_request":
        draft = conv.live_draft(turn.now)
        if (
            draft
            and draft.get("flow") == "letter"
            and (letter is None or draft["data"].get("letter") == letter.slug)
        ):
            turn.say(
                build.buttons(
                    "Anda punya permohonan surat yang belum selesai. Lanjutkan?",
                    [("global:lanjut", "Lanjutkan"), ("menu:surat", "Mulai baru")],
                )
            )
            return
        engine.start(turn, FLOWS["letter"], letter=letter.slug if letter else None)
    elif intent == "requirements_info":
        if letter is not None:
            turn.say(requirements_message(letter, turn.village))
        else:
            engine.start(turn, FLOWS["info"], topic="syarat")
    elif intent == "status_check":
        status.show(turn, status.find_ticket(text))
    elif intent == "complaint":
        preset = {}
        if len(words(text).split()) >= 5:
            preset["description"] = text[:4000]
        engine.start(turn, FLOWS["complaint"], **preset)
    elif intent == "office_info":
        turn.say(office_text(turn.village, turn.now))
    elif intent == "handoff":
        start_handoff(turn, "Warga meminta petugas")
    elif intent == "cancel":
        turn.say(texts.NOTHING_TO_CANCEL)
    elif intent == "thanks":
        turn.say(texts.THANKS)
    elif intent == "catalog":
        market.answer_catalogue(turn, text)
    elif intent == "sales_report":
        market.answer_sales_intent(turn, text)
    elif intent == "subscribe":
        start_subscribe(turn, text)
    elif intent == "unsubscribe":
        turn.say(stopped_text(do_stop_all(turn.resident)))
    else:
        FLOWS["menu"].show(turn)


def answer_faq(turn, text: str) -> bool:
    faqs = list(Faq.objects.filter(village=turn.village, is_active=True))
    if not faqs or len(text) < 8:
        return False
    best = process.extractOne(
        words(text),
        [words(f.question) for f in faqs],
        scorer=fuzz.token_set_ratio,
        score_cutoff=FAQ_MATCH,
    )
    if best is None:
        return False
    faq = faqs[best[2]]
    turn.say(f"*{faq.question}*\n{faq.answer}")
    return True


def not_understood(turn, u) -> None:
    conv = turn.conv
    conv.misunderstood += 1
    if conv.misunderstood == 1:
        # A guess only when the recogniser leaned towards something; gibberish gets the menu.
        guesses = [
            intent
            for intent, _score in u.candidates
            if intent in INTENT_TITLES and intent != "menu" and u.intent != "unknown"
        ][:2]
        if guesses:
            conv.data = {"text": turn.text[:500], "letter_type": u.letter_type}
            turn.say(
                build.buttons(
                    "Maaf, saya kurang yakin maksud Anda. Apakah maksudnya:",
                    [(f"dym:{g}", INTENT_TITLES[g]) for g in guesses]
                    + [("global:menu", "Bukan, lihat menu")],
                )
            )
            return
        turn.say("Maaf, saya belum mengerti maksud Anda.")
        FLOWS["menu"].show(turn)
    elif conv.misunderstood == 2:
        turn.say("Maaf, saya masih belum mengerti. Silakan pilih dari menu:")
        FLOWS["menu"].show(turn)
    else:
        conv.misunderstood = 0
        start_handoff(turn, "Asisten tidak memahami pesan warga")
