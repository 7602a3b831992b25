"""Schedule the conflict detection job in django-celery-beat (editable in the admin)."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Partners: conflict detection"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Every hour at :20, so a price seen below MAP in a morning import or a
    # clashing contract signed today is a case within the hour, not tomorrow.
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="20",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "partners.conflict_detection_task",
            "crontab": schedule,
            "enabled": True,
            "description": (
                "Expires old deal registrations and opens conflict cases for prices "
                "below MAP, overlapping exclusive territories and overlapping deals "
                "(never a duplicate of an open case)."
            ),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_deals_pricing_conflicts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
