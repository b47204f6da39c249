"""`coursebridge sync ACADEMY/opensesame` runs the OpenSesame connection from a terminal."""

from io import StringIO

import pytest
from django.core.management import call_command

from coursebridge.catalog.models import Course
from tests.connectors.opensesame.factories import opensesame_connection
from tests.factories import AcademyFactory, GroupFactory
from tests.fakes.opensesame import FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db


def test_the_command_syncs_and_prints_the_counts():
    team = GroupFactory(academy=AcademyFactory(slug="cli-os"), name="All")
    with FakeOpenSesame() as fake:
        fake.courses = [os_course(f"c{n}", f"Course {n}") for n in range(3)]
        opensesame_connection(team, fake)
        out = StringIO()
        call_command("sync", "cli-os/opensesame", stdout=out)

    assert Course.objects.filter(academy=team.academy, provider="opensesame").count() == 3
    text = out.getvalue()
    assert "catalogue   page 1" in text
    assert "created 3" in text
