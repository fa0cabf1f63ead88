from django.db import migrations


def seed(apps, schema_editor):
    """Villages created before announcements existed get the default news topics."""
    from balai.announcements.topics import DEFAULT_TOPICS
    from balai.lib.codes import new_code

    Village = apps.get_model("villages", "Village")
    Topic = apps.get_model("announcements", "Topic")
    for village in Village.objects.all():
        have = set(Topic.objects.filter(village=village).values_list("slug", flat=True))
        Topic.objects.bulk_create(
            Topic(
                village=village,
                code=new_code(),
                slug=slug,
                name=name,
                description=description,
                keywords=keywords,
                is_emergency=emergency,
                is_default=default,
                position=position,
            )
            for position, (slug, name, description, keywords, emergency, default) in enumerate(
                DEFAULT_TOPICS
            )
            if slug not in have
        )


class Migration(migrations.Migration):
    dependencies = [("announcements", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
