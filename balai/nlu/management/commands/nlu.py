import json
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Message understanding. `classify`: messages on stdin, one per line, to JSON lines on "
        "stdout. `evaluate`: the held-out accuracy report."
    )
    # call_command(..., stdin=stream) for tests and callers that hold the messages in memory.
    stealth_options = ("stdin",)
    # Reads text only: no database, URLs or models to check first.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("classify", help="Read messages from stdin, write JSON lines.")
        evaluate = sub.add_parser("evaluate", help="Score the held-out file.")
        evaluate.add_argument(
            "--mistakes", action="store_true", help="Also list the misread messages."
        )

    def handle(self, *args, action, **options):
        if action == "classify":
            stream = options.get("stdin")
            if stream is None:
                # WhatsApp text is UTF-8 whatever the locale of the shell running the pipe.
                for std in (sys.stdin, sys.stdout):
                    if hasattr(std, "reconfigure"):
                        std.reconfigure(encoding="utf-8", errors="replace")
                stream = sys.stdin
            self.classify(stream)
        else:
            self.evaluate(options.get("mistakes", False))

    def classify(self, stream):
        from balai.nlu import understand

        for line in stream:
            u = understand(line.rstrip("\r\n"))
            record = {
                "text": u.text,
                "intent": u.intent,
                "letter_type": u.letter_type,
                "confidence": round(u.confidence, 3),
            }
            self.stdout.write(json.dumps(record, ensure_ascii=False))
            self.stdout.flush()  # answer each line as it comes when piped interactively

    def evaluate(self, mistakes: bool):
        from balai.nlu.evaluation import held_out

        report = held_out()
        self.stdout.write(report.summary())
        if mistakes:
            for text, true, pred, conf in report.mistakes:
                self.stdout.write(f"  [{true} → {pred} {conf:.2f}] {text}")
        if report.accuracy < 0.95:
            raise CommandError(f"held-out intent accuracy {report.accuracy:.3f} < 0.95")
