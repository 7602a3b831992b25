"""Schedule the daily partner job in django-celery-beat (editable in the admin)."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Partners: daily flags and reminders"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 06:00 in the project's time zone, before managers start their day.
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="6",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "partners.partner_daily_task",
            "crontab": schedule,
            "enabled": True,
            "description": (
                "Raises flags for overdue reviews and follow-ups, contracts and "
                "certifications ending soon, and emails each manager a reminder."
            ),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_tiers_and_onboarding_templates"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
