"""The record import benchmark: the generated file, and one measured preview, apply and raw load."""

import csv

import pytest
from bench.records_import import HEADER, generate, measure, set_up

from coursebridge.learning.models import Enrollment
from coursebridge.records.models import CreditRecord


def test_the_generated_file_has_two_credit_rows_per_learner(tmp_path):
    path = generate(tmp_path / "r.csv", 6)

    rows = list(csv.reader(path.open(encoding="utf-8")))

    assert rows[0] == HEADER.split(",")
    assert [(r[0], r[7]) for r in rows[1:]] == [
        ("learner0000000@bench.example", "ama_pra_1"), ("learner0000000@bench.example", "moc"),
        ("learner0000001@bench.example", "ama_pra_1"), ("learner0000001@bench.example", "moc"),
        ("learner0000002@bench.example", "ama_pra_1"), ("learner0000002@bench.example", "moc"),
    ]


@pytest.mark.django_db
def test_a_measured_run_reports_its_figures_and_leaves_nothing(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    set_up(40)
    path = generate(tmp_path / "r.csv", 40)

    figures = measure(path)

    assert (figures["learners_created"], figures["enrollments_created"], figures["credits_created"]) == (10, 20, 40)
    assert figures["preview"] > 0 and figures["apply"] > 0 and figures["raw"] > 0
    assert (Enrollment.objects.count(), CreditRecord.objects.count()) == (0, 0)
