from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "balai.outcomes"
    verbose_name = "Hasil program: indikator, dasbor, ekspor"
