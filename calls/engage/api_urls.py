"""The SDK configuration API, included in /api/v1/."""

from django.urls import path

from .api import SdkConfigView
from .handoff import HandoffClaimView

urlpatterns = [
    path("sdk/config", SdkConfigView.as_view(), name="sdk-config"),
    path("handoffs/claim", HandoffClaimView.as_view(), name="handoff-claim"),
]
