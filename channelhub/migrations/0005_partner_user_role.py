from django.db import migrations

PARTNER_USER = "partner_user"


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=PARTNER_USER)


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=PARTNER_USER).delete()


class Migration(migrations.Migration):
    dependencies = [("channelhub", "0004_scheduled_task_state")]

    operations = [migrations.RunPython(create_role, remove_role)]
