"""The main menu: a list with a typed fallback (ketik 1-5)."""

from balai.conversations.steps import choice_message

ITEMS = [
    ("surat", "Permohonan surat", "Domisili, SKTM, usaha, SKCK, dan lainnya"),
    ("status", "Cek status", "Permohonan dan pengaduan Anda"),
    ("aduan", "Pengaduan/aspirasi", "Laporkan masalah atau sampaikan usulan"),
    ("info", "Informasi", "Jam kantor, alamat, syarat surat"),
    ("petugas", "Bicara dengan petugas", "Diteruskan ke petugas desa"),
]


class Menu:
    name = "menu"

    def show(self, turn) -> None:
        conv = turn.conv
        conv.step = "menu"
        body = "Silakan pilih layanan:"
        draft = conv.live_draft(turn.now)
        if draft:
            body += (
                "\n\nAnda punya permohonan yang belum selesai; ketik *lanjut* untuk melanjutkan."
            )
        turn.say(choice_message("menu", body, ITEMS, "Lihat layanan"))

    def choose(self, turn, item: str) -> None:
        from balai.conversations import engine
        from balai.conversations.flows import FLOWS, status
        from balai.conversations.flows.handoff import start_handoff

        turn.conv.step = ""
        if item == "surat":
            engine.start(turn, FLOWS["letter"])
        elif item == "status":
            status.show(turn)
        elif item == "aduan":
            engine.start(turn, FLOWS["complaint"])
        elif item == "info":
            engine.start(turn, FLOWS["info"])
        elif item == "petugas":
            start_handoff(turn, "Warga memilih Bicara dengan petugas")
