from django.urls import path

from balai.outcomes import api

app_name = "outcomes_api"

urlpatterns = [
    path("api/v1/hasil/<slug:village>/", api.index, name="index"),
    path("api/v1/hasil/<slug:village>/<str:name>/", api.table, name="table"),
]
