from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "balai.market"
    verbose_name = "UMKM: katalog, konten, dan penjualan"
