from django.urls import path

from balai.accounts import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.login_view, name="login"),
    path("masuk/kode/", views.login_code, name="login_code"),
    path("keluar/", views.logout_view, name="logout"),
    path("akun/kata-sandi/", views.password_change, name="password_change"),
    path("akun/", views.account, name="account"),
    path("akun/dua-langkah/", views.two_factor_setup, name="two_factor_setup"),
    path("akun/dua-langkah/kode-pemulihan/", views.two_factor_recovery, name="two_factor_recovery"),
    path("akun/dua-langkah/matikan/", views.two_factor_disable, name="two_factor_disable"),
]
