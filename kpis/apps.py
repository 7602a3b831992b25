from django.apps import AppConfig


class KPIsConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import extensions, signals

        signals.connect()
        extensions.connect()
