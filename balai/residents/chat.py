"""``data saya`` on WhatsApp: a resident asks for a copy of their data or for its erasure.

The assistant says briefly what can be asked, asks which, confirms (Kirim / Ubah / Batal),
and records a ``DataRequest`` whose ticket and legal deadline (3 × 24 hours) it replies
with. ``hapus data saya`` goes straight to erasure. Staff answer in the console
(balai.residents.views_privacy); the Informasi menu offers the same flow.
"""

from balai.conversations import steps as s
from balai.conversations.form import Form
from balai.residents.models import DataRequest
from balai.residents.privacy import do_receive_data_request, receipt_text
from balai.whatsapp import messages as build

FLOW = "data_saya"
START_WORDS = {
    "data saya", "data pribadi", "data pribadi saya", "minta data saya", "salinan data",
    "salinan data saya", "lihat data saya", "data saya apa saja", "minta salinan data",
    "minta data pribadi", "pdp", "privasi",
}  # fmt: skip
ERASE_WORDS = {
    "hapus data saya", "hapus data", "hapus data pribadi", "hapus data pribadi saya",
    "tolong hapus data saya", "minta hapus data", "minta hapus data saya", "hapus nomor saya",
    "hapus semua data saya",
}  # fmt: skip
KIND_OPTIONS = [
    ("export", "Minta salinan data", "Semua data Anda dikirim ke WhatsApp ini"),
    ("erasure", "Hapus data saya", "Data pribadi Anda dihapus dari layanan desa"),
]


def intro_text(village) -> str:
    return (
        f"*Data pribadi Anda di {village}*\n"
        "Sesuai UU Pelindungan Data Pribadi, Bapak/Ibu boleh meminta:\n"
        "1. *Salinan data*: semua data tentang Anda yang kami simpan (data diri, pesan, "
        "permohonan surat, pengaduan, program, langganan), dikirim ke WhatsApp ini.\n"
        "2. *Penghapusan data*: data pribadi Anda kami hapus. Nomor surat yang sudah terbit "
        "tetap tercatat di buku register desa, sesuai aturan kearsipan.\n"
        "Petugas desa menjawab paling lambat 3 × 24 jam."
    )


class DataForm(Form):
    name = FLOW
    title = "Permintaan data pribadi"

    def intro(self, turn):
        return intro_text(turn.village)

    def steps(self, turn):
        return [
            s.ChoiceStep(
                key="kind",
                label="Permintaan",
                question="Mana yang Bapak/Ibu minta?",
                options=KIND_OPTIONS,
                button="Pilih",
            )
        ]

    def confirmation(self, turn):
        if turn.conv.data.get("kind") == DataRequest.Kind.ERASURE:
            body = (
                "Bapak/Ibu meminta *data pribadi Anda dihapus*.\n\n"
                "Nama, nomor HP, NIK, KK, alamat, isi pesan, dan foto/dokumen yang Anda kirim "
                "akan dihapus, dan semua langganan kabar serta program dihentikan. Ini tidak "
                "bisa dibatalkan. Permohonan surat yang masih diproses perlu diselesaikan "
                "dulu.\n\nKirim permintaan ini?"
            )
        else:
            body = (
                "Bapak/Ibu meminta *salinan data pribadi Anda*.\n\n"
                "Setelah disetujui petugas, kami kirim sebuah berkas PDF ke WhatsApp ini, "
                "dengan tautan ke data lengkapnya.\n\nKirim permintaan ini?"
            )
        return build.buttons(
            body,
            [("confirm:kirim", "Kirim"), ("confirm:ubah", "Ubah"), ("global:batal", "Batal")],
            footer="Atau ketik kirim / ubah / batal",
        )

    def submit(self, turn, data):
        data_request, created = do_receive_data_request(turn.resident, data["kind"])
        turn.say(receipt_text(data_request, again=not created))


def start(turn, kind: str | None = None) -> None:
    from balai.conversations import engine
    from balai.conversations.flows import FLOWS

    engine.start(turn, FLOWS[FLOW], kind=kind)


def on_data_words(turn, plain: str) -> bool:
    if plain in ERASE_WORDS:
        start(turn, DataRequest.Kind.ERASURE)
    elif plain in START_WORDS:
        start(turn)
    else:
        return False
    return True


def register() -> None:
    """From AppConfig.ready(): the flow joins the engine's FLOWS, the words its hooks."""
    from balai.conversations.flows import FLOWS
    from balai.conversations.hooks import word_handler

    FLOWS.setdefault(FLOW, DataForm())
    word_handler(on_data_words)
