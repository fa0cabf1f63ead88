from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "balai.residents"
    verbose_name = "Warga"
