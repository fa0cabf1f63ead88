from django.db import migrations


def seed(apps, schema_editor):
    """Villages created before the catalogue existed get the default letter types."""
    from balai.letters.catalogue import DEFAULT_LETTER_TYPES, DEFAULT_REQUIREMENTS

    Village = apps.get_model("villages", "Village")
    LetterType = apps.get_model("letters", "LetterType")
    for village in Village.objects.all():
        have = set(LetterType.objects.filter(village=village).values_list("slug", flat=True))
        LetterType.objects.bulk_create(
            LetterType(
                village=village,
                slug=spec["slug"],
                name=spec["name"],
                keyword=spec["keyword"],
                summary=spec.get("summary", ""),
                requirements=DEFAULT_REQUIREMENTS,
                documents=spec.get("documents", []),
                fields=spec.get("fields", []),
                head_of_family_only=spec.get("head_of_family_only", False),
                days=spec.get("days", 3),
                position=position,
            )
            for position, spec in enumerate(DEFAULT_LETTER_TYPES)
            if spec["slug"] not in have
        )


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial"), ("villages", "0002_village_handoff_hours_village_session_idle_hours_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
