"""The alert digests' default schedules (django-celery-beat rows an
administrator can change under Periodic tasks): daily at 07:00, weekly on
Mondays at 07:00."""

from django.db import migrations

SCHEDULES = [
    # name, task, (minute, hour, day_of_week), args
    ("Attention alerts: daily digest", "kpis.alerts_send", ("0", "7", "*"), '["daily"]'),
    ("Attention alerts: weekly digest", "kpis.alerts_send", ("0", "7", "1"), '["weekly"]'),
]


def add_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, task, (minute, hour, weekday), args in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=weekday, day_of_month="*", month_of_year="*"
        )
        PeriodicTask.objects.create(name=name, task=task, args=args, crontab=crontab)


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0015_alert_subscriptions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
