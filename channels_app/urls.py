"""The channel pages under /channels/; audits and the library are included ahead
of the channel slug (a channel may not be called "audits" or "library")."""

from django.urls import include, path

from .channels import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_create, name="create"),
    path("objectives/", views.objective_list, name="objectives"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective-edit"),
    path("objectives/<int:pk>/delete/", views.objective_delete, name="objective-delete"),
    path("", include("channels_app.audits.urls")),
    path("", include("channels_app.library.urls")),
    path("<slug:slug>/", views.channel_detail, name="detail"),
    path("<slug:slug>/edit/", views.channel_edit, name="edit"),
    path("<slug:slug>/status/", views.channel_set_status, name="status"),
    path("<slug:slug>/objectives/new/", views.objective_create, name="objective-create"),
]
