"""Make the staging table UNLOGGED on PostgreSQL, and create the default schedules.

The schedules live in django-celery-beat's tables, so an administrator can
change them in the admin (Periodic tasks); this migration only adds them once.
"""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab (minute, hour) or interval seconds, args
    ("Nightly KPI recompute", "kpis.recompute_all", ("30", "2"), None, "[]"),
    ("Job sweeper (lost messages, dead workers)", "kpis.sweeper", None, 60, "[]"),
    ("Beat and worker heartbeat", "channelhub.heartbeat", None, 60, '["queue"]'),
]


def unlogged_stage(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpis_kpisnapshotstage SET UNLOGGED")


def logged_stage(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpis_kpisnapshotstage SET LOGGED")


def add_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    for name, task, crontab, seconds, args in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields = {"name": name, "task": task, "args": args}
        if crontab:
            minute, hour = crontab
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*"
            )
        else:
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=seconds, period="seconds"
            )
        PeriodicTask.objects.create(**fields)


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(unlogged_stage, logged_stage),
        migrations.RunPython(add_schedules, remove_schedules),
    ]
