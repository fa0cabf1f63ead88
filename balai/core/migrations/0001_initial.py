from django.core.management import call_command
from django.db import migrations, models
import django.utils.timezone


def create_cache_table(apps, schema_editor):
    # The database cache (login throttling, shared rate limits) when there is no Redis.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="TaskFailure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task_path", models.CharField(max_length=200)),
                ("args", models.JSONField(default=list)),
                ("kwargs", models.JSONField(default=dict)),
                ("attempts", models.PositiveSmallIntegerField()),
                ("error_class", models.CharField(max_length=200)),
                ("error_message", models.TextField()),
                ("traceback", models.TextField()),
                ("created", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("resolved", models.BooleanField(default=False)),
            ],
            options={"ordering": ["-created"]},
        ),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
