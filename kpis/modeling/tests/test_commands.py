"""manage.py model_fit and export_model."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kpis.modeling import contract, fitting
from kpis.models import ModelRun

pytestmark = pytest.mark.django_db


def test_model_fit_prints_the_outcome(business, fake_fit):
    out = StringIO()
    call_command("model_fit", "--quick", stdout=out)
    run = ModelRun.objects.get()
    assert run.status == "succeeded" and run.trigger == "command" and run.settings["quick"]
    text = out.getvalue()
    assert f"Model fit #{run.pk} published" in text
    assert "paid-search: incremental ROAS" in text


def test_model_fit_exits_non_zero_on_refusal(business, monkeypatch):
    def refuse(data, settings):
        raise contract.FitRefused("There are fewer than 26 weeks of daily figures.")

    monkeypatch.setattr(fitting, "fit", refuse)
    with pytest.raises(CommandError, match="refused: There are fewer than 26 weeks"):
        call_command("model_fit")
    assert ModelRun.objects.get().status == "refused"


def test_model_fit_exits_non_zero_on_failure(business, monkeypatch):
    def crash(data, settings):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(fitting, "fit", crash)
    with pytest.raises(CommandError, match="failed: out of memory"):
        call_command("model_fit")


def test_export_model_writes_one_formula_safe_row_per_channel(business, fake_fit, tmp_path):
    business["events"].slug = "+events"
    business["events"].save()
    call_command("model_fit")
    target = tmp_path / "model.csv"
    call_command("export_model", "--out", str(target), stderr=StringIO())
    rows = list(csv.reader(target.open()))
    assert rows[0] == [
        "channel", "spend", "incremental_revenue", "incremental_roas", "roas_low",
        "roas_high", "marginal_roas", "status",
    ]  # fmt: skip
    by_slug = {r[0]: r for r in rows[1:]}
    assert set(by_slug) == {"'+events", "paid-search", "social"}
    assert by_slug["paid-search"][7] == "ok"
    assert float(by_slug["paid-search"][3]) > 0


def test_export_model_without_a_model(db):
    with pytest.raises(CommandError, match="no model yet"):
        call_command("export_model")
