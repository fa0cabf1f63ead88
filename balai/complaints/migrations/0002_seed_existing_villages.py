from django.db import migrations


def seed(apps, schema_editor):
    """Villages created before complaints existed get the default categories."""
    from balai.complaints.models import DEFAULT_CATEGORIES

    Village = apps.get_model("villages", "Village")
    Category = apps.get_model("complaints", "Category")
    for village in Village.objects.all():
        have = set(Category.objects.filter(village=village).values_list("slug", flat=True))
        Category.objects.bulk_create(
            Category(village=village, slug=slug, name=name, position=position)
            for position, (slug, name) in enumerate(DEFAULT_CATEGORIES)
            if slug not in have
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial"), ("villages", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
