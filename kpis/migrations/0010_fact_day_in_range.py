# Facts outside 2000-01-01 .. 2099-12-31 broke every full recompute (issue 19).
# A database that holds some must have them undone first: this migration says
# which imports wrote them rather than deleting anyone's data.

import datetime

from django.db import migrations, models


def refuse_out_of_range_facts(apps, schema_editor):
    DailyFact = apps.get_model("kpis", "DailyFact")
    outside = DailyFact.objects.filter(
        models.Q(day__lt=datetime.date(2000, 1, 1)) | models.Q(day__gte=datetime.date(2100, 1, 1))
    )
    if outside.exists():
        imports = sorted({run for run in outside.values_list("import_run_id", flat=True)}, key=str)
        raise RuntimeError(
            f"{outside.count()} daily fact row(s) are dated before 2000-01-01 or after "
            f"2099-12-31 (import run(s) {', '.join(map(str, imports))}): undo those imports "
            "on the Imports page (or delete the rows), then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("channels_app", "0003_history"),
        ("kpis", "0009_pack_render_drop_mirrors"),
    ]

    operations = [
        migrations.RunPython(refuse_out_of_range_facts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="dailyfact",
            constraint=models.CheckConstraint(
                condition=models.Q(("day__gte", datetime.date(2000, 1, 1)))
                & models.Q(("day__lt", datetime.date(2100, 1, 1))),
                name="dailyfact_day_in_range",
            ),
        ),
    ]
