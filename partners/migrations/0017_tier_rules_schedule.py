"""Schedule the daily tier rules in django-celery-beat (editable in the admin)."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Partners: tier rules (promotions and demotions to confirm)"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 05:40, after the nightly recompute (02:30) and before the daily flags (06:00).
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="40",
        hour="5",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "partners.tier_rules_task",
            "crontab": schedule,
            "enabled": True,
            "description": (
                "Compares every active partner with the tier requirements and proposes "
                "promotions and demotions for the partner manager to confirm."
            ),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0016_tier_rules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
