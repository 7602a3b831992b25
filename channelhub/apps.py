from django.apps import AppConfig


class ChannelHubConfig(AppConfig):
    name = "channelhub"
    verbose_name = "ChannelHub"
    default_auto_field = "django.db.models.BigAutoField"
