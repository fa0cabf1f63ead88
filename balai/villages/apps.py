from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "balai.villages"
    verbose_name = "Desa"
