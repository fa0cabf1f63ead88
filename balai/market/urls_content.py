"""Social media content: console pages under ``/desa/<slug>/umkm/konten/`` and the public,
signed image address WhatsApp and Meta fetch (no login; the signature is the key)."""

from django.urls import path

from balai.market import views_content as views

K = "desa/<slug:village_slug>/umkm/konten/"
P = K + "produk/<str:code>/"

urlpatterns = [
    path(K, views.index, name="content_index"),
    path(P, views.product, name="content_product"),
    path(P + "buat/", views.generate, name="content_generate"),
    path(P + "kirim-wa/", views.send, name="content_send"),
    path(P + "unduh.zip", views.download_zip, name="content_zip"),
    path(K + "post/<str:code>.jpg", views.image, name="content_image"),
    path(K + "post/<str:code>.txt", views.caption, name="content_caption"),
    path(K + "post/<str:code>/terbitkan/", views.publish, name="content_publish"),
    path(K + "akun/", views.accounts, name="content_accounts"),
    path(K + "akun/sambungkan/", views.connect, name="content_connect"),
    path(K + "akun/<str:code>/putuskan/", views.disconnect, name="content_disconnect"),
    path(K + "riwayat/", views.history, name="content_history"),
    # Public: WhatsApp and Meta fetch post images here; the token is signed and expires.
    path("umkm/gambar/<str:token>.jpg", views.public_image, name="post_image"),
]
