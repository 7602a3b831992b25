from django.apps import AppConfig


class KPIsConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import extensions
        from .dashboards import signals as dashboards_signals
        from .feedback import services as feedback

        dashboards_signals.connect()
        feedback.connect()
        extensions.connect()
