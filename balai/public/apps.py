from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "balai.public"
    verbose_name = "Halaman publik desa"
