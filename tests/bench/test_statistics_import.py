"""The statistics import benchmark, at a tiny size: its figures, and the rows both sides wrote."""

import re

import pytest
from bench.statistics_import import bench

from coursebridge.learning.models import ActivityDay, Enrollment

LINE = re.compile(r"^bench: statistics_[a-z_]+_200_test [0-9]+(\.[0-9]+)? (s|x|MB)$")


@pytest.mark.django_db
def test_a_small_run_gives_every_figure_and_writes_the_same_rows_as_the_raw_insert():
    figures = list(bench(rows=200, courses=10, label="test"))

    assert [f.name for f in figures] == [
        "statistics_import_total_200_test", "statistics_import_db_200_test", "statistics_raw_insert_200_test",
        "statistics_import_vs_raw_200_test", "statistics_reimport_same_day_200_test",
        "statistics_import_peak_memory_growth_200_test",
    ]
    assert all(LINE.match(f.line()) for f in figures), [f.line() for f in figures]
    for slug in ("statsimport", "statsraw"):
        assert Enrollment.objects.filter(academy__slug=slug).count() == 200
        assert ActivityDay.objects.filter(academy__slug=slug).count() == 200
    imported = sorted(Enrollment.objects.filter(academy__slug="statsimport").values_list("progress", flat=True))
    raw = sorted(Enrollment.objects.filter(academy__slug="statsraw").values_list("progress", flat=True))
    assert imported == raw
