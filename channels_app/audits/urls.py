"""Brand audit pages under /channels/ (included ahead of the channel pages,
whose slugs may not be "audits"), in the "channels" namespace.
"""

from __future__ import annotations

from django.urls import path

from channels_app.audits import views as audit_views

urlpatterns = [
    path("audits/", audit_views.audit_list, name="audit-list"),
    path("audits/<int:pk>/", audit_views.audit_detail, name="audit-detail"),
    path("audits/<int:pk>/edit/", audit_views.audit_edit, name="audit-edit"),
    path("<slug:slug>/audits/", audit_views.channel_audits, name="audits"),
    path("<slug:slug>/audits/new/", audit_views.audit_create, name="audit-create"),
]
