"""The OpenClassrooms mapping is pure: hostile payloads become an item with an error, never an
exception; equal payloads hash equally and any mapped change moves the hash."""

from hypothesis import given, settings
from hypothesis import strategies as st

from coursebridge.connectors.providers.openclassrooms.mapping import course_item, statistic_row
from tests.fakes.openclassrooms import fake_course, fake_statistic

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
FIELDS = ["id", "title", "description", "duration_minutes", "language", "image_url", "url", "status", "categories"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=9))
def test_any_payload_maps_or_says_why(payload):
    item = course_item(payload)

    assert (item.row is None) == bool(item.error)
    if item.row is not None:
        assert item.row.title and len(item.row.title) <= 300
        assert len(item.row.content_hash) == 64


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["user_email", "course_id", "progress", "theoretical_duration_minutes"]),
                       json_values, max_size=4))
def test_any_statistic_maps_or_says_why(payload):
    result = statistic_row(payload)

    if not isinstance(result, str):
        assert 0 <= result.progress <= 100
        assert result.time_seconds >= 0
        assert result.email == result.email.lower()


def test_the_hash_is_stable_and_follows_every_mapped_field():
    base = course_item(fake_course("7", "Python"))

    assert course_item(fake_course("7", "Python")).row.content_hash == base.row.content_hash
    for change in ({"title": "Python 2"}, {"description": "x"}, {"duration_minutes": 5}, {"language": "en"},
                   {"image_url": "https://img.example/2.png"}, {"url": "https://oc.example/7b"},
                   {"status": "closed"}, {"categories": ["Web"]}):
        assert course_item({**fake_course("7", "Python"), **change}).row.content_hash != base.row.content_hash, change


def test_status_and_time_mapping():
    assert [course_item(fake_course("1", "X", status=s)).available
            for s in ("active", "coming-soon", "pre-registration", "ACTIVE", "closed", "archived", "draft")] == [
        True, True, True, True, False, False, False]
    row = statistic_row(fake_statistic("Ada@Example.org", "1", 25, minutes=90))
    assert (row.email, row.progress, row.time_seconds) == ("ada@example.org", 25, 1350)
