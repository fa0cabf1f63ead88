"""The WhatsApp message templates Balai uses, to submit to Meta for every village number.

Outside the 24 hours after a resident's last message Meta accepts only approved templates.
Balai then sends the village's approved template for the message's purpose (falling back to
``reengage``), and the full message follows as soon as the resident answers
(balai.whatsapp.outbox). This list is the one source: the demo seeds it, ``balai templates``
prints it, and docs/deploy.md shows that command's output.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StandardTemplate:
    name: str
    purpose: str
    body: str
    parameters: tuple[str, ...]
    used_for: str
    category: str = "utility"
    language: str = "id"


STANDARD_TEMPLATES = (
    StandardTemplate(
        "balai_kabar_baru",
        "reengage",
        "Halo {{1}}, ada kabar baru dari layanan {{2}} untuk Anda. Balas pesan ini untuk "
        "melihatnya.",
        ("nama", "desa"),
        "Required. Any message outside the 24-hour window whose purpose has no template of "
        "its own (replies from staff, announcements, UMKM messages, staff notices).",
    ),
    StandardTemplate(
        "balai_status_layanan",
        "status_update",
        "Halo {{1}}, ada kabar untuk tiket {{2}}: status sekarang {{3}}. Balas pesan ini untuk "
        "melihat rinciannya.",
        ("nama", "tiket", "status"),
        "Status changes of letter requests and complaints.",
    ),
    StandardTemplate(
        "balai_kesediaan_program",
        "programme_consent",
        "Halo {{1}}, {{2}} mengajak Bapak/Ibu ikut program {{3}}. Balas pesan ini untuk "
        "membaca penjelasannya dan memberi jawaban.",
        ("nama", "pendamping", "program"),
        "Asking a programme participant for consent.",
    ),
    StandardTemplate(
        "balai_pengingat_kegiatan",
        "programme_reminder",
        "Halo {{1}}, pengingat kegiatan {{2}} program {{3}} pada {{4}}. Balas pesan ini untuk "
        "mengonfirmasi kehadiran.",
        ("nama", "kegiatan", "program", "waktu"),
        "Reminders of programme activities.",
    ),
    StandardTemplate(
        "balai_materi_program",
        "programme_lesson",
        "Halo {{1}}, materi baru program {{2}} sudah siap: {{3}}. Balas pesan ini untuk "
        "menerimanya.",
        ("nama", "program", "materi"),
        "A new programme lesson.",
    ),
    StandardTemplate(
        "balai_kuis_program",
        "programme_quiz",
        "Halo {{1}}, kuis {{3}} program {{2}} sudah dibuka. Balas pesan ini untuk mulai menjawab.",
        ("nama", "program", "kuis"),
        "A programme quiz opens.",
    ),
    StandardTemplate(
        "balai_laporan_bulanan",
        "programme_checkin",
        "Halo {{1}}, pendamping program {{2}} ingin menanyakan kabar usaha Bapak/Ibu bulan "
        "{{3}}. Balas pesan ini untuk menjawab pertanyaan singkat kami, atau ketik berhenti.",
        ("nama", "program", "bulan"),
        "Monthly follow-up questions to programme participants.",
    ),
    StandardTemplate(
        "balai_kabar_program",
        "programme_announcement",
        "Halo {{1}}, ada kabar baru dari program {{2}}. Balas pesan ini untuk membacanya.",
        ("nama", "program"),
        "Programme announcements.",
    ),
)
