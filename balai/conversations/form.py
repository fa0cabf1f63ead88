"""A form: a list of steps, then a summary to confirm (Kirim / Ubah / Batal), then submit.

Subclasses (one per file in ``flows/``) say which steps apply and what submitting does;
the engine walks the steps (balai.conversations.engine).
"""

from balai.conversations.steps import Invalid, choice_message, match_option, words
from balai.whatsapp import messages as build

SEND_WORDS = {"kirim", "ya", "iya", "benar", "betul", "ok", "oke", "sudah benar", "lanjut", "send"}
EDIT_WORDS = {"ubah", "edit", "ganti", "perbaiki", "koreksi", "salah"}
SUMMARY_VALUE_MAX = 120


class Form:
    name = ""
    title = ""
    confirm = True
    keeps_draft = False
    # Steps whose answer other steps depend on: not offered under "Ubah".
    fixed_steps: set[str] = set()

    def intro(self, turn) -> str | None:
        return None

    def steps(self, turn) -> list:
        raise NotImplementedError

    def current(self, turn):
        return next((s for s in self.steps(turn) if s.key == turn.conv.step), None)

    def after(self, turn, step) -> None:
        """Called after a step's answer is stored; may raise Stop."""

    def submit(self, turn, data: dict) -> None:
        raise NotImplementedError

    def answered(self, turn) -> list:
        data = turn.conv.data
        return [s for s in self.steps(turn) if s.key in data and s.applies(turn, data)]

    def summary(self, turn) -> str:
        data = turn.conv.data
        lines = [f"*{self.title}*"]
        for step in self.answered(turn):
            value = step.show(turn, data[step.key], data)
            if len(value) > SUMMARY_VALUE_MAX:
                value = value[: SUMMARY_VALUE_MAX - 1] + "…"
            lines.append(f"• {step.label}: {value}")
        return "\n".join(lines)

    def confirmation(self, turn):
        body = f"Mohon periksa kembali:\n\n{self.summary(turn)}"
        tail = "\n\nSudah benar?"
        return build.buttons(
            body[: 1024 - len(tail)] + tail,
            [("confirm:kirim", "Kirim"), ("confirm:ubah", "Ubah"), ("global:batal", "Batal")],
            footer="Atau ketik kirim / ubah / batal",
        )

    def answer_confirmation(self, turn) -> None:
        from balai.conversations import engine

        choice = turn.reply_id.removeprefix("confirm:") if turn.reply_id else words(turn.text)
        if choice in SEND_WORDS:
            engine.finish(turn, self)
        elif choice in EDIT_WORDS:
            self.offer_edit(turn)
        else:
            turn.conv.failures += 1
            if turn.conv.failures >= 3:
                turn.conv.failures = 0
                turn.say(
                    "Permohonan belum terkirim. Ketik *kirim* untuk mengirim, *ubah* "
                    "untuk memperbaiki, atau *batal*."
                )
            turn.say(self.confirmation(turn))

    def editable(self, turn) -> list:
        return [s for s in self.answered(turn) if s.key not in self.fixed_steps]

    def offer_edit(self, turn) -> None:
        data = turn.conv.data
        options = [
            (s.key, s.label, s.show(turn, data[s.key], data)[:72]) for s in self.editable(turn)
        ]
        if not options:
            turn.say(self.confirmation(turn))
            return
        turn.conv.step = "_edit"
        turn.say(choice_message("_edit", "Bagian mana yang ingin diubah?", options, "Pilih bagian"))

    def answer_edit(self, turn) -> None:
        data = turn.conv.data
        options = [(s.key, s.label, "") for s in self.editable(turn)]
        key = turn.reply_id.removeprefix("_edit:") if turn.reply_id.startswith("_edit:") else None
        try:
            key = key if key in {o[0] for o in options} else match_option(turn.text, options)
        except Invalid as e:
            turn.say(e.message)
            return
        step = next(s for s in self.steps(turn) if s.key == key)
        data["_editing"] = True
        turn.conv.step, turn.conv.failures = key, 0
        turn.say(step.prompt(turn, data))
