from django.urls import path

from .views import ConversationCreateView

urlpatterns = [
    path("conversations/", ConversationCreateView.as_view(), name="conversation-create"),
]
