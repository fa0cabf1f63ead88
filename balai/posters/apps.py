from django.apps import AppConfig


class PostersConfig(AppConfig):
    name = "balai.posters"
    verbose_name = "Poster QR"
