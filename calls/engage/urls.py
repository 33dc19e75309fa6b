"""The consumer side, mounted at /engage/ under the "engage" namespace."""

from django.urls import path

from . import views

app_name = "engage"

urlpatterns = [
    path("engagement.js", views.engagement_script, name="script"),
    path("window/", views.window_page, name="window"),
    path("call/", views.webview_page, name="webview"),
    path("demo/", views.demo_page, name="demo"),
    path("demo/page-2/", views.demo_page, {"page": 2}, name="demo-page-2"),
    path("sdk/v1/<str:name>", views.sdk_module, name="sdk-module"),
]
