from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "balai.market"
    verbose_name = "UMKM: katalog, konten, dan penjualan"

    def ready(self):
        # Sellers' words and buttons on WhatsApp (balai.conversations.hooks).
        from balai.market import chat  # noqa: F401
