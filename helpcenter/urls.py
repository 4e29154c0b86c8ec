from django.urls import path

from helpcenter import views

app_name = "helpcenter"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("a/<slug:slug>/", views.article, name="article"),
    path("a/<slug:slug>/vote/", views.vote, name="vote"),
    path("<slug:slug>/", views.category, name="category"),
]
