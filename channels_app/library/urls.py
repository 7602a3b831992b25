"""Brand library pages under /channels/ (included ahead of the channel pages,
whose slugs may not be "library"), in the "channels" namespace."""

from __future__ import annotations

from django.urls import path

from channels_app.library import views

urlpatterns = [
    path("library/", views.library_list, name="library-list"),
    path("library/<int:pk>/", views.library_item, name="library-item"),
    path("library/<int:pk>/withdraw/", views.library_withdraw, name="library-withdraw"),
    path("library/versions/<int:pk>/download/", views.library_download, name="library-download"),
    path("<slug:slug>/library/new/", views.library_create, name="library-create"),
]
