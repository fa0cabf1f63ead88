from django.db import migrations


def seed(apps, schema_editor):
    """Villages created before the catalogue existed get the default letter types."""
    from balai.letters.catalogue import default_letter_types

    Village = apps.get_model("villages", "Village")
    LetterType = apps.get_model("letters", "LetterType")
    for village in Village.objects.all():
        have = set(LetterType.objects.filter(village=village).values_list("slug", flat=True))
        LetterType.objects.bulk_create(default_letter_types(LetterType, village, have))


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial"), ("villages", "0002_village_handoff_hours_village_session_idle_hours_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
