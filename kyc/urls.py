from django.urls import path

from kyc import views

app_name = "kyc"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.document_start, name="start"),
    path("documents/<str:public_id>/", views.document_detail, name="document"),
    path("documents/<str:public_id>/pages/", views.page_upload, name="upload"),
    path("documents/<str:public_id>/pages/<str:page_id>/remove/", views.page_remove, name="remove"),
    path("documents/<str:public_id>/submit/", views.document_submit, name="submit"),
    path("files/<str:page_id>/", views.page_file, name="file"),
    path("files/<str:page_id>/original/", views.page_file, {"original": True}, name="file_original"),
]
