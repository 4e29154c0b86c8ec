from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("<str:reference>/", views.ticket_detail, name="detail"),
    path("<str:reference>/close/", views.ticket_close, name="close"),
    path("<str:reference>/reopen/", views.ticket_reopen, name="reopen"),
    path("<str:reference>/rate/", views.ticket_rate, name="rate"),
    path("<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
