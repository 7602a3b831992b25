"""Review pack retention: renders remember when their files were removed, and
a daily schedule (editable in the admin, Periodic tasks) runs the sweep."""

from django.db import migrations, models

SCHEDULE = "Review packs: remove archived files past their retention"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="3", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE,
        defaults={
            "task": "kpis.packs_retention",
            "crontab": daily,
            "description": "Deletes the HTML and CSV files of archived review packs older "
            "than PACK_RETENTION_DAYS (default 400); their rows stay and say so.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0012_batch_started_at"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="packrender",
            name="files_removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(add_schedule, remove_schedule),
    ]
