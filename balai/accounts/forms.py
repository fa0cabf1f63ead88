from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from balai.accounts import throttle


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Nama pengguna"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("Kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password", "")
        ip = throttle.client_ip(self.request)
        if throttle.is_locked(username, ip):
            raise forms.ValidationError(
                _(
                    "Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi "
                    "%(minutes)s menit lagi, atau minta bantuan operator desa."
                )
                % {"minutes": self._lockout_minutes()},
                code="locked",
            )
        if username and password:
            self.user = authenticate(self.request, username=username, password=password)
            if self.user is None:
                throttle.record_failure(username, ip)
                raise forms.ValidationError(
                    _("Nama pengguna atau kata sandi salah. Periksa lagi, lalu coba kembali."),
                    code="invalid",
                )
            throttle.clear(username, ip)
        return self.cleaned_data

    @staticmethod
    def _lockout_minutes() -> int:
        from django.conf import settings

        return settings.LOGIN_LOCKOUT_MINUTES


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Kode dari aplikasi autentikator"),
        max_length=20,
        help_text=_("6 angka. Kehilangan ponsel? Ketik salah satu kode pemulihan Anda."),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
            }
        ),
    )


class ConfirmCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Kode 6 angka dari aplikasi"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordCheckForm(forms.Form):
    password = forms.CharField(
        label=_("Kata sandi Anda"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Kata sandi salah."))
        return password
