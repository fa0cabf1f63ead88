from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "balai.simulator"
    verbose_name = "Simulator WhatsApp"
