"""Where two-step login is required, a staff member who has not set it up is sent to set it
up before any other page.

Whether it is required is decided at login (``views.login_view``) and kept in the session,
so no request pays a query for it; a requirement added later applies from the next login
(sessions last at most ``SESSION_HOURS``). ``TWO_FACTOR_REQUIRED`` applies at once.
"""

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from balai.accounts import two_factor

# Pages a staff member may still open: setting it up, logging out, the account page.
ALLOWED = ("/akun/", "/keluar/", "/masuk/", "/static/", "/healthz")


class RequireTwoFactor:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(two_factor.SESSION_VERIFIED)
            and (request.session.get(two_factor.SESSION_SETUP) or settings.TWO_FACTOR_REQUIRED)
            and not request.path.startswith(ALLOWED)
        ):
            if two_factor.is_enabled(user):
                # A session that skipped the code page: log in again, with the code.
                logout(request)
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            return redirect("accounts:two_factor_setup")
        return self.get_response(request)
