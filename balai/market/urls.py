from django.urls import path

from balai.market import urls_content, views

app_name = "market"

# The UMKM console under /desa/<village>/umkm/: sellers, products, sales, counters.
U = "desa/<slug:village_slug>/umkm/"
S = U + "penjual/<str:code>/"
P = U + "produk/<str:code>/"

urlpatterns = [
    path(U, views.overview, name="overview"),
    path(U + "poster/katalog.pdf", views.catalogue_poster, name="catalogue_poster"),
    path(
        U + "poster/katalog.png",
        views.catalogue_poster,
        {"fmt": "png"},
        name="catalogue_poster_png",
    ),
    path(U + "penjual/tambah/", views.seller_add, name="seller_add"),
    path(S, views.seller_detail, name="seller"),
    path(S + "ubah/", views.seller_edit, name="seller_edit"),
    path(S + "poster.<str:fmt>", views.seller_poster, name="seller_poster"),
    path(U + "produk/", views.products, name="products"),
    path(U + "produk/tambah/", views.product_edit, name="product_add"),
    path(P, views.product_detail, name="product"),
    path(P + "ubah/", views.product_edit, name="product_edit"),
    path(P + "stok/", views.product_stock, name="product_stock"),
    path(P + "hapus/", views.product_delete, name="product_delete"),
    path(P + "foto/", views.photo_add, name="photo_add"),
    path(P + "foto/<int:index>/", views.photo_action, name="photo_action"),
    path(U + "penjualan/", views.sales_list, name="sales"),
    path(U + "penjualan/tambah/", views.sale_add, name="sale_add"),
    path(U + "penjualan/hapus/", views.sale_delete, name="sale_delete"),
    path(U + "penjualan/bulanan/", views.sales_monthly, name="sales_monthly"),
    path(U + "penjualan/bulanan.csv", views.sales_csv, name="sales_csv"),
]
urlpatterns += urls_content.urlpatterns
