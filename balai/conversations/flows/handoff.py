"""Handing a conversation to a person: the flag staff see in the inbox, and what the
resident is told. The assistant stays quiet until staff hand it back or it times out."""

from balai.conversations import texts


def start_handoff(turn, reason: str, *, after_failures: bool = False) -> None:
    conv = turn.conv
    first = conv.handoff_at is None
    conv.handoff_at = turn.now
    conv.handoff_reason = reason[:200]
    opening = "Mohon maaf, sepertinya ada kendala. " if after_failures else "Baik, Bapak/Ibu. "
    lines = [
        opening
        + "Percakapan ini kami teruskan ke petugas desa. "
        + texts.when_staff_answer(turn.village, turn.now)
    ]
    if conv.draft:
        lines.append("Isian permohonan Anda kami simpan.")
    lines.append(
        "Silakan tulis keperluan Anda di sini; petugas akan membacanya. Ketik *menu* bila "
        "ingin kembali ke asisten otomatis."
    )
    if first or after_failures:
        turn.say(" ".join(lines))
