from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "balai.residents"
    verbose_name = "Warga"

    def ready(self):
        from balai.residents import chat, privacy  # noqa: F401

        # `data saya` / `hapus data saya` on WhatsApp (UU PDP requests).
        chat.register()
