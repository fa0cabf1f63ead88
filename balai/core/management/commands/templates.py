import json

from django.core.management.base import BaseCommand, CommandError

from balai.core.wa_templates import STANDARD_TEMPLATES


class Command(BaseCommand):
    help = (
        "The WhatsApp message templates to submit to Meta for approval (name, category, "
        "language, text); with --village, which of them that village has approved."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "markdown", "json"], default="text")
        parser.add_argument("--village", help="A village's slug: compare with its templates.")

    def handle(self, *args, format, village, **options):
        if village:
            return self.village_report(village)
        if format == "json":
            rows = [
                {
                    "name": t.name,
                    "category": t.category,
                    "language": t.language,
                    "body": t.body,
                    "parameters": list(t.parameters),
                    "purpose": t.purpose,
                    "used_for": t.used_for,
                }
                for t in STANDARD_TEMPLATES
            ]
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
        elif format == "markdown":
            self.stdout.write("| name | purpose in Balai | text (category utility, language id) |")
            self.stdout.write("|---|---|---|")
            for t in STANDARD_TEMPLATES:
                params = ", ".join(f"{{{{{i}}}}} = {p}" for i, p in enumerate(t.parameters, 1))
                self.stdout.write(
                    f"| `{t.name}` | `{t.purpose}`: {t.used_for} | {t.body}<br>({params}) |"
                )
        else:
            for t in STANDARD_TEMPLATES:
                self.stdout.write(f"{t.name}  [{t.category}, {t.language}]  purpose: {t.purpose}")
                self.stdout.write(f"  {t.body}")
                params = ", ".join(f"{{{{{i}}}}}={p}" for i, p in enumerate(t.parameters, 1))
                self.stdout.write(f"  {params}\n")

    def village_report(self, slug):
        from balai.villages.models import Village
        from balai.whatsapp.models import Template

        try:
            village = Village.objects.get(slug=slug)
        except Village.DoesNotExist:
            raise CommandError(f"no village with slug {slug!r}") from None
        have = {(t.name, t.language): t for t in Template.objects.filter(village=village)}
        missing = 0
        for t in STANDARD_TEMPLATES:
            row = have.get((t.name, t.language))
            if row is None:
                state = "missing: add it in the console (WhatsApp tab) and submit it to Meta"
                missing += 1
            elif row.body != t.body:
                state = f"{row.get_status_display()}, text differs from Balai's"
            else:
                state = row.get_status_display()
            self.stdout.write(f"{t.name:28} {t.purpose:24} {state}")
        approved_reengage = Template.objects.filter(
            village=village, purpose="reengage", status=Template.Status.APPROVED
        ).exists()
        if not approved_reengage:
            self.stdout.write(
                "No approved reengage template: replies outside the 24-hour window will fail."
            )
