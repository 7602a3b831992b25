"""Every data migration step is either replayed after a transactional test's
flush (conftest.REFERENCE_DATA) or said not to need it (NOT_REFERENCE_DATA):
a new migration that creates rows cannot be forgotten there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import migrations
from django.db.migrations.loader import MigrationLoader

from conftest import NOT_REFERENCE_DATA, REFERENCE_DATA, _put_reference_data_back

OUR_APPS = ("channelhub", "channels_app", "partners", "kpis")


def data_steps() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    steps = set()
    for (app, _name), migration in loader.disk_migrations.items():
        if app not in OUR_APPS:
            continue
        for operation in migration.operations:
            if isinstance(operation, migrations.RunPython):
                code = operation.code
                if code is not migrations.RunPython.noop:
                    steps.add((type(migration).__module__, code.__name__))
    return steps


def test_each_data_migration_step_is_replayed_after_a_flush_or_says_why_not():
    steps = data_steps()
    listed = set(REFERENCE_DATA) | set(NOT_REFERENCE_DATA)
    assert not steps - listed, (
        f"Data migration steps in neither list of conftest.py: {sorted(steps - listed)}. "
        "Add each to REFERENCE_DATA if it writes rows tests need after a flush, or to "
        "NOT_REFERENCE_DATA with the reason."
    )
    assert not listed - steps, f"Listed but no longer in a migration: {sorted(listed - steps)}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_flush_the_replay_puts_every_role_back():
    call_command("flush", verbosity=0, interactive=False)
    assert not Group.objects.exists()
    _put_reference_data_back()
    assert set(Group.objects.values_list("name", flat=True)) == {
        "marketing_manager", "partner_manager", "viewer", "partner_user",
    }  # fmt: skip
