"""What the assistant says, in one place: short, polite Indonesian."""

from django.utils import dateformat

GLOBAL_HINT = "Kata yang selalu bisa dipakai: *menu*, *batal*, *kembali*, *bantuan*, *petugas*."

FLOOD = (
    "Mohon maaf, Bapak/Ibu mengirim banyak pesan dalam waktu singkat. Pesan Anda tetap kami "
    "simpan. Mohon tunggu sebentar, lalu kirim satu pesan saja."
)
TOO_LONG = "Pesan Anda sangat panjang; kami baca 4.000 huruf pertamanya."
BOT_BACK = "Baik, Bapak/Ibu kembali dilayani asisten otomatis."
NOTHING_TO_CANCEL = "Tidak ada permohonan yang sedang berjalan. Ketik *menu* untuk melihat layanan."
CANCELLED = (
    "Baik, sudah dibatalkan. Isian Anda tidak kami simpan. Ketik *menu* bila perlu layanan lain."
)
AT_FIRST_STEP = "Ini pertanyaan pertama. Ketik *batal* untuk berhenti atau *menu* untuk ke menu."
FLOW_CHANGED = "Mohon maaf, layanan ini baru saja diubah petugas. Silakan mulai lagi dari menu."
NO_DRAFT = "Tidak ada permohonan tersimpan. Ketik *menu* untuk mulai."
DRAFT_RESUMED = "Baik, kita lanjutkan permohonan Anda yang tersimpan."
UNSUPPORTED = (
    "Mohon maaf, jenis pesan ini belum bisa kami baca. Silakan ketik pesan Anda, atau ketik "
    "*petugas* untuk bicara dengan petugas."
)
VOICE = (
    "Mohon maaf, pesan suara belum bisa kami dengarkan. Silakan ketik pesan Anda, atau ketik "
    "*petugas* bila ingin dibantu petugas."
)
VIDEO = "Mohon maaf, video belum bisa kami proses. Silakan ketik pesan Anda atau kirim foto."
STICKER = "🙏 Ada yang bisa kami bantu? Ketik *menu* untuk melihat layanan."
ENGINE_ERROR = (
    "Mohon maaf, ada gangguan pada sistem kami. Pesan Anda sudah kami simpan dan kami "
    "teruskan ke petugas desa. Ketik *menu* untuk mencoba lagi."
)
THANKS = "Sama-sama, Bapak/Ibu. Senang bisa membantu. Ketik *menu* bila perlu layanan lain."


def greeting(village) -> str:
    return (
        f"Halo, Bapak/Ibu. Saya asisten layanan {village} di WhatsApp. Saya bisa membantu "
        "permohonan surat, pengaduan, cek status, dan informasi kantor desa.\n\n"
        "*Privasi*: kami menyimpan nomor WhatsApp, pesan, serta data dan dokumen yang Anda kirim "
        "hanya untuk melayani permohonan Anda. Data tidak dibagikan ke pihak lain. Untuk meminta "
        "salinan data Anda atau penghapusannya, ketik *data saya*."
    )


def help_idle() -> str:
    return (
        'Ketik apa yang Anda perlukan dengan kata-kata sendiri, mis. "mau bikin surat '
        'domisili" atau "lampu jalan mati". Atau ketik *menu* untuk melihat pilihan.\n\n'
        + GLOBAL_HINT
    )


def help_step(explanation: str) -> str:
    parts = [explanation] if explanation else []
    parts.append(GLOBAL_HINT)
    return "\n\n".join(parts)


def explain_after_failures(error: str, explanation: str) -> str:
    return (f"{error}\n\n{explanation}\n\nBila masih sulit, petugas desa bisa membantu.")[:1024]


def when_staff_answer(village, now) -> str:
    if village.is_open(now):
        return "Petugas akan membalas secepatnya pada jam kerja ini."
    opening = village.next_opening(now)
    if opening is None:
        return "Kantor sedang tutup; petugas akan membalas pada hari kerja berikutnya."
    return (
        "Kantor sedang tutup. Petugas akan membalas mulai "
        f"{dateformat.format(opening, 'l, j F')} pukul {opening:%H.%M} {village.tz_label}."
    )


def session_ended(village, has_draft: bool) -> str:
    text = (
        f"Percakapan kami akhiri karena tidak ada balasan selama {village.session_idle_hours} "
        "jam. Terima kasih, Bapak/Ibu."
    )
    if has_draft:
        text += (
            " Permohonan Anda yang belum selesai kami simpan 24 jam; ketik *lanjut* untuk "
            "melanjutkan."
        )
    return text + " Ketik *menu* kapan saja untuk mulai lagi."
