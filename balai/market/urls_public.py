from django.urls import path

from balai.market import catalogue

app_name = "catalogue"

# The public catalogue under /d/<slug>/katalog/ (no login; the kwarg is `slug`, like the
# other public pages). Product codes are upper-case, so they never meet the fixed words.
K = "d/<slug:slug>/katalog/"

urlpatterns = [
    path(K, catalogue.index, name="index"),
    path(K + "penjual/<slug:seller_slug>/", catalogue.seller, name="seller"),
    path(K + "foto/<str:token>/<str:variant>", catalogue.signed_photo, name="signed_photo"),
    path(K + "<str:code>/", catalogue.product, name="product"),
    path(K + "<str:code>/pesan/", catalogue.order, name="order"),
    path(K + "<str:code>/foto/<int:index>/<str:variant>", catalogue.photo, name="photo"),
]
