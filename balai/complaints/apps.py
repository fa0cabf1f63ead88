from django.apps import AppConfig
from django.db.models.signals import post_save


def _seed_new_village(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from balai.complaints.actions import do_seed_categories

        do_seed_categories(instance)


class ComplaintsConfig(AppConfig):
    name = "balai.complaints"
    verbose_name = "Pengaduan dan aspirasi"

    def ready(self):
        post_save.connect(_seed_new_village, sender="villages.Village", dispatch_uid="complaints")
