from django.apps import AppConfig
from django.core import checks


class WhatsAppConfig(AppConfig):
    name = "balai.whatsapp"
    verbose_name = "WhatsApp"

    def ready(self):
        checks.register(check_secrets, "balai")
        # Registers the periodic sweeper with the scheduler that workers run.
        from balai.whatsapp import sweep  # noqa: F401


def check_secrets(app_configs, **kwargs):
    from django.conf import settings

    problems = []
    if not settings.WHATSAPP_APP_SECRET:
        problems.append(
            checks.Warning(
                "WHATSAPP_APP_SECRET is not set: every webhook POST will be refused (503).",
                hint="Copy the App Secret from Meta's App Dashboard → App settings → Basic.",
                id="balai.W001",
            )
        )
    if not settings.WHATSAPP_VERIFY_TOKEN:
        problems.append(
            checks.Warning(
                "WHATSAPP_VERIFY_TOKEN is not set: Meta cannot verify the webhook URL.",
                id="balai.W002",
            )
        )
    return problems
