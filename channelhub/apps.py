from django.apps import AppConfig


class ChannelHubConfig(AppConfig):
    name = "channelhub"
    verbose_name = "ChannelHub"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The two-factor state is set when a password is accepted (user_logged_in),
        # before any request has loaded the middleware module.
        from channelhub.twofactor import middleware  # noqa: F401
