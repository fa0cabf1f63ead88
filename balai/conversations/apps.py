from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "balai.conversations"
    verbose_name = "Percakapan"

    def ready(self):
        # Registers the idle-session and handoff sweeper with the workers' scheduler.
        from balai.conversations import actions  # noqa: F401
