from django.apps import AppConfig


class NluConfig(AppConfig):
    name = "balai.nlu"
    verbose_name = "Pemahaman pesan"
