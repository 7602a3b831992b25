"""The weekly model fit (Modeled ROI): a schedule editable in the admin
(Periodic tasks), like every other scheduled job."""

from django.db import migrations

SCHEDULE = "Modeled ROI: refit the model"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    weekly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="4", day_of_week="1", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE,
        defaults={
            "task": "kpis.model_fit_scheduled",
            "crontab": weekly,
            "description": "Fits the marketing-mix model on every day of facts and publishes "
            "it (Monday 04:30 by default); a refused or failed fit keeps the previous model.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0015_modeled_roi"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
