from django.urls import path

from callbacks import views

app_name = "callbacks"
urlpatterns = [
    path("", views.booking_list, name="list"),
    path("new/", views.booking_new, name="new"),
    path("agent/", views.agent_day, name="agent"),
    path("agent/<str:reference>/outcome/", views.agent_outcome, name="outcome"),
    path("agent/<str:reference>/convert/", views.agent_convert, name="convert"),
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/<str:reference>/assign/", views.schedule_assign, name="assign"),
    path("<str:reference>/", views.booking_detail, name="detail"),
    path("<str:reference>/booked/", views.booking_booked, name="booked"),
    path("<str:reference>/reschedule/", views.booking_reschedule, name="reschedule"),
    path("<str:reference>/cancel/", views.booking_cancel, name="cancel"),
]
