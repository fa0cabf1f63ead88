from django.urls import path

from balai.accounts import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.login_view, name="login"),
    path("keluar/", views.logout_view, name="logout"),
    path("akun/kata-sandi/", views.password_change, name="password_change"),
]
