from django.urls import path, re_path

from chat import views

app_name = "chat"
urlpatterns = [
    path("", views.chat_list, name="list"),
    path("state/", views.chat_state, name="state"),
    path("start/", views.chat_start, name="start"),
    path("console/", views.console, name="console"),
    path("<str:public_id>/", views.chat_detail, name="detail"),
    path("<str:public_id>/upload/", views.chat_upload, name="upload"),
    path("<str:public_id>/attachments/<int:attachment_id>/", views.chat_attachment, name="attachment"),
    re_path(r"^(?P<public_id>[A-Za-z0-9_-]+)/transcript\.(?P<fmt>txt|html)$", views.chat_transcript, name="transcript"),
    path("<str:public_id>/transcript/email/", views.chat_transcript_email, name="transcript_email"),
    path("<str:public_id>/rate/", views.chat_rate, name="rate"),
]
