from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "balai.core"
    verbose_name = "Sistem"
