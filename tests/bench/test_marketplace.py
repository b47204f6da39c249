"""The marketplace benchmark at a small size: the data it builds, the pages it reads, the job it times."""

import pytest

from bench import marketplace
from coursebridge.marketplace.models import Delivery

pytestmark = pytest.mark.django_db


def test_the_benchmark_reads_every_delivered_course_and_times_a_delivery(settings):
    settings.MARKETPLACE_API_RATE_PER_MINUTE = 10_000
    world = marketplace.populate(courses=120)
    token = marketplace.token_for(world["account"])

    timings, seconds, items = marketplace.read_pages(ciid=world["read"].ciid, token=token, courses=120, queries=5)
    delivering = marketplace.deliver(account=world["account"], target=world["target"], count=30)

    assert len(timings) == 5
    assert items == 120
    assert seconds > 0 and delivering > 0
    assert Delivery.objects.filter(integration=world["target"]).count() == 30
    assert marketplace.line("x", 12.345, "ms") == "bench: x 12.3 ms"
