from django.apps import AppConfig
from django.db.models.signals import post_save


def _seed_new_village(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from balai.letters.actions import do_seed_catalogue

        do_seed_catalogue(instance)


class LettersConfig(AppConfig):
    name = "balai.letters"
    verbose_name = "Permohonan surat"

    def ready(self):
        # Every new village starts with the standard letter catalogue; staff edit it later.
        post_save.connect(_seed_new_village, sender="villages.Village", dispatch_uid="letters")
