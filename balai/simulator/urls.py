"""Mounted at /simulator/ only when settings.SIMULATOR_ENABLED (see balai/urls.py)."""

from django.urls import include, path, re_path

from balai.simulator import api, cloud, views

app_name = "simulator"
GRAPH = r"^graph/(?P<version>v\d+\.\d+)/"
urlpatterns = [
    path("", views.chat, name="chat"),
    path("files/<str:media_id>", views.file, name="file"),
    # The fake Cloud API (base_url of simulated numbers: <SITE_URL>/simulator/graph/v25.0).
    re_path(GRAPH + r"(?P<phone_number_id>[^/]+)/messages$", cloud.messages, name="messages"),
    re_path(GRAPH + r"(?P<phone_number_id>[^/]+)/media$", cloud.upload, name="upload"),
    re_path(GRAPH + r"(?P<object_id>[^/]+)$", cloud.graph_object, name="object"),
    path("media/<str:media_id>", cloud.media_download, name="media"),
    # The fake Graph API for publishing to Facebook Pages and Instagram (balai.market).
    path("meta/", include("balai.simulator.graph")),
    # JSON API for the chat page, tests and scripts.
    path("api/messages", api.messages, name="api_messages"),
    path("api/read", api.read, name="api_read"),
    path("api/faults", api.faults, name="api_faults"),
    path("api/reset", api.reset, name="api_reset"),
]
