"""The SDK configuration API, included in /api/v1/."""

from django.urls import path

from .api import SdkConfigView

urlpatterns = [
    path("sdk/config", SdkConfigView.as_view(), name="sdk-config"),
]
