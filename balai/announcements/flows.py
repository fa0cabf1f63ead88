"""Subscribing to village news on WhatsApp.

``LANGGANAN`` (from a poster, a wa.me link or typed) subscribes the resident at once to the
village's default topics, or to the topic they named (``LANGGANAN POSYANDU``), and says so
in one message that is kept as the opt-in text. Its buttons open the ``kabar`` flow: a
list of topics to tick on and off, and the dusun/RT they live in (so news for their area
reaches them). ``berhenti`` (anywhere, handled by the engine) leaves every topic.
"""

from balai.announcements.models import Subscription, Topic
from balai.announcements.topics import (
    active_topics,
    do_set_area,
    do_subscribe,
    do_unsubscribe,
    topic_names,
)
from balai.conversations import steps as s
from balai.conversations.form import Form
from balai.villages.models import Area
from balai.whatsapp import messages as build

# Words that are part of the command, not a topic ("mau langganan info desa").
COMMAND_WORDS = {
    "langganan", "berlangganan", "mau", "saya", "ingin", "minta", "daftar", "info",
    "informasi", "kabar", "berita", "desa", "ikut", "dong", "ya", "tolong", "dapat", "dapet",
    "terima", "kirim", "kirimin", "pengumuman", "untuk", "tentang", "soal", "dan",
}  # fmt: skip
DONE_WORDS = {"selesai", "sudah", "cukup", "sdh", "udah", "ok", "oke", "beres", "sudah cukup"}
MENU_BUTTONS = [
    ("kabar:topik", "Pilih topik"),
    ("kabar:wilayah", "Atur wilayah"),
    ("kabar:cukup", "Sudah cukup"),
]


def mentioned_topics(village, text: str) -> list[Topic]:
    """Topics the text names by slug, name or keyword ("langganan posyandu")."""
    said = set(s.words(text).split()) - COMMAND_WORDS
    if not said:
        return []
    found = []
    for topic in active_topics(village):
        names = {topic.slug, *s.words(topic.name).split(), *topic.keyword_list()}
        if said & names:
            found.append(topic)
    return found


def subscribed(resident) -> list[Topic]:
    return [
        sub.topic
        for sub in Subscription.objects.filter(resident=resident, topic__is_active=True)
        .select_related("topic")
        .order_by("topic__position", "topic__pk")
    ]


def area_label(resident) -> str:
    sub = Subscription.objects.filter(resident=resident, area__isnull=False).first()
    if sub is not None:
        return sub.area.label
    if resident.area_id:
        return f"{resident.area.label} (sesuai data desa)"
    return ""


def opt_in_text(village, topics, *, more: bool = False) -> str:
    also = "juga " if more else ""
    return (
        f"Baik, Bapak/Ibu. Nomor WhatsApp ini {also}menerima kabar dari {village}: "
        f"*{topic_names(topics)}*.\n"
        "Kami kirim bila ada pengumuman. Ketik *berhenti* kapan saja untuk berhenti."
    )


def start_subscribe(turn, text: str = "") -> None:
    """``LANGGANAN [topik]`` and the *subscribe* intent."""
    village, resident = turn.village, turn.resident
    topics = mentioned_topics(village, text) or list(active_topics(village).filter(is_default=True))
    if not topics:
        topics = list(active_topics(village)[:1])
    if not topics:
        turn.say(
            f"Maaf, Bapak/Ibu, {village} belum membuka langganan kabar lewat WhatsApp. "
            "Ketik *menu* untuk layanan lain."
        )
        return
    have = {t.pk for t in subscribed(resident)}
    new = [t for t in topics if t.pk not in have]
    if new:
        shown = opt_in_text(village, new, more=bool(have))
        do_subscribe(resident, new, text=shown)
    else:
        shown = (
            f"Bapak/Ibu sudah menerima kabar dari {village}: "
            f"*{topic_names(subscribed(resident))}*.\n"
            "Ketik *berhenti* kapan saja untuk berhenti."
        )
    turn.say(
        build.buttons(
            shown + "\n\nIngin memilih topik lain atau memberi tahu dusun Anda?",
            MENU_BUTTONS,
        )
    )


def on_tap(turn, rest: str) -> bool:
    """Buttons of the subscription message (``kabar:…``), tapped now or later."""
    from balai.conversations import engine
    from balai.conversations.flows import FLOWS

    if rest == "topik":
        engine.start(turn, FLOWS["kabar"], section="topik")
    elif rest == "wilayah":
        engine.start(turn, FLOWS["kabar"], section="wilayah")
    elif rest == "cukup":
        turn.conv.reset()
        turn.say(
            "Terima kasih, Bapak/Ibu. Kabar desa akan kami kirim ke nomor ini. Ketik "
            "*langganan* untuk mengubah pilihan, atau *menu* untuk layanan lain."
        )
    else:
        return False
    return True


class TopicsStep(s.Step):
    """Tick topics on and off; each tap takes effect at once, *Selesai* ends."""

    def applies(self, turn, data):
        return data.get("section") == "topik"

    def prompt(self, turn, data, note: str = ""):
        chosen = {t.pk for t in subscribed(turn.resident)}
        rows = [
            (
                f"{self.key}:{t.slug}",
                ("✓ " if t.pk in chosen else "") + t.name,
                t.description,
            )
            for t in active_topics(turn.village)[:9]
        ]
        rows.append((f"{self.key}:_selesai", "Selesai", "Simpan pilihan"))
        body = (note + "\n\n" if note else "") + (
            "Ketuk topik untuk berlangganan atau berhenti. Tanda ✓ berarti sudah berlangganan."
        )
        return build.list_message(
            body[:1024], "Pilih topik", [("", rows)], footer="Atau ketik nomor topiknya"
        )

    def parse(self, turn, data):
        topics = list(active_topics(turn.village)[:9])
        reply = turn.reply_id
        choice = None
        if reply.startswith(f"{self.key}:"):
            value = reply.split(":", 1)[1]
            if value == "_selesai":
                return "done"
            choice = next((t for t in topics if t.slug == value), None)
            if choice is None:  # a topic switched off meanwhile
                raise s.Reprompt(self.prompt(turn, data, "Topik itu sudah tidak tersedia."))
        else:
            text = s.require_text(turn)
            if s.words(text) in DONE_WORDS:
                return "done"
            options = [(t.slug, t.name, "") for t in topics]
            slug = s.match_option(text, options)
            choice = next(t for t in topics if t.slug == slug)
        village, resident = turn.village, turn.resident
        if Subscription.objects.filter(resident=resident, topic=choice).exists():
            do_unsubscribe(resident, [choice], text=f"dilepas dari daftar topik: {choice.name}")
            note = f"Baik, kabar *{choice.name}* tidak kami kirim lagi."
        else:
            shown = opt_in_text(village, [choice], more=True)
            do_subscribe(resident, [choice], text=shown)
            note = shown
        raise s.Reprompt(self.prompt(turn, data, note))

    def show(self, turn, value, data):
        return topic_names(subscribed(turn.resident)) or "tidak ada"


class DusunStep(s.ChoiceStep):
    def applies(self, turn, data):
        return data.get("section") == "wilayah"

    def options_for(self, turn, data):
        dusun = [
            (a.code, f"Dusun {a.name}" if len(a.name) <= 16 else a.name[:24], "")
            for a in Area.objects.filter(village=turn.village, parent__isnull=True)
        ]
        return [*dusun, ("_lewati", "Lewati", "Biarkan seperti sekarang")]


class RtStep(s.ChoiceStep):
    def applies(self, turn, data):
        dusun = data.get("kabar_dusun")
        return (
            data.get("section") == "wilayah"
            and bool(dusun)
            and dusun != "_lewati"
            and Area.objects.filter(parent__code=dusun, village=turn.village).exists()
        )

    def options_for(self, turn, data):
        rts = [
            (a.code, f"{a.get_kind_display()} {a.name}", "")
            for a in Area.objects.filter(village=turn.village, parent__code=data["kabar_dusun"])
        ]
        return [*rts, ("_semua", "Semua RT", "Seluruh dusun ini")]


class SubscribeForm(Form):
    name = "kabar"
    title = "Langganan kabar desa"
    confirm = False

    def steps(self, turn):
        return [
            TopicsStep(key="kabar_topik", label="Topik"),
            DusunStep(
                key="kabar_dusun",
                label="Dusun",
                question="Bapak/Ibu tinggal di dusun mana? Kabar khusus untuk dusun Anda akan "
                "ikut kami kirim.",
                button="Pilih dusun",
            ),
            RtStep(key="kabar_rt", label="RT", question="Di RT berapa?", button="Pilih RT"),
        ]

    def submit(self, turn, data):
        resident = turn.resident
        if data.get("section") == "wilayah":
            dusun, rt = data.get("kabar_dusun"), data.get("kabar_rt")
            code = rt if rt and rt != "_semua" else dusun
            if code and code != "_lewati":
                area = Area.objects.filter(village=turn.village, code=code).first()
                if not subscribed(resident):
                    turn.say(
                        "Bapak/Ibu belum berlangganan kabar desa. Ketik *langganan* dulu, lalu "
                        "atur wilayahnya."
                    )
                    return
                if area is not None:
                    do_set_area(resident, area)
        topics = subscribed(resident)
        if not topics:
            turn.say(
                "Baik, Bapak/Ibu. Saat ini nomor ini tidak menerima kabar desa. Ketik "
                "*langganan* bila ingin menerima lagi."
            )
            return
        lines = [f"Baik, Bapak/Ibu. Anda menerima kabar: *{topic_names(topics)}*."]
        where = area_label(resident)
        if where:
            lines.append(f"Wilayah: {where}.")
        lines.append("Ketik *langganan* untuk mengubah, *berhenti* untuk berhenti.")
        turn.say("\n".join(lines))


def register() -> None:
    """Called from AppConfig.ready(): the flow joins the engine's FLOWS, and the buttons of
    the subscription message get their handler."""
    from balai.conversations.flows import FLOWS
    from balai.conversations.hooks import reply_handler

    FLOWS.setdefault(SubscribeForm.name, SubscribeForm())
    reply_handler("kabar")(on_tap)
