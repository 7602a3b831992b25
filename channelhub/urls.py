from django.contrib import admin
from django.urls import include, path

from . import views
from .twofactor import views as twofactor_views

admin.site.site_header = "ChannelHub administration"
admin.site.site_title = "ChannelHub admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/profile/", views.profile, name="profile"),
    path("history/<slug:kind>/<int:pk>/", views.object_history, name="history"),
    # Before Django's auth URLs: the same name, with its rate limits.
    path("accounts/password_reset/", views.password_reset, name="password_reset"),
    path("accounts/two-factor/", twofactor_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", twofactor_views.setup, name="two_factor_setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("channels/", include("channels_app.urls")),
    path("partners/", include("partners.urls")),
    path("kpis/", include("kpis.urls")),
    path("portal/", include("channelhub.portal.urls")),
    path("api/v1/", include("channelhub.api_urls")),
    path("admin/", admin.site.urls),
]
