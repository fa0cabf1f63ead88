"""The WSGI application that ``balai serve`` runs.

``POST /whatsapp/webhook`` goes to ``balai.whatsapp.webhook.WebhookApplication``: Meta's
signed POSTs are the one high-volume request, and sessions, auth, locale or CSP do nothing
for them (the usual one is answered without Django's request cycle, any other by a handler
with only the middleware that applies); every other request goes to Django's full stack.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balai.settings")
django_application = get_wsgi_application()

from balai.whatsapp.webhook import PATH, WebhookApplication  # noqa: E402 - needs the apps loaded

webhook_application = WebhookApplication()


def application(environ, start_response):
    if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "POST":
        return webhook_application(environ, start_response)
    return django_application(environ, start_response)
