"""The OpenSesame mapping: pure, from a content item to course fields and a content hash."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursebridge.connectors.providers.opensesame.mapping import category_path, course_item, duration_minutes
from tests.fakes.opensesame import os_course


def test_every_field_maps_and_categories_keep_opensesame_paths():
    item = course_item(os_course("c1", "  Leading   Teams ", categories=["|Business|Leadership", "|Business| Skills "],
                                 languages=["en", "fr"], duration="01:30:20", descriptionText=" Lead well. "))

    assert item.error == ""
    assert item.available is True
    assert item.remote_status == "active"
    assert item.category_paths == ["|Business|Leadership", "|Business|Skills"]
    row = item.row
    assert row is not None
    assert (row.external_id, row.title, row.description) == ("c1", "Leading Teams", "Lead well.")
    assert row.launch_url == "https://aicc.opensesame.example/launch/c1/"
    assert row.image_url == "https://img.opensesame.example/c1.png"
    assert (row.duration_minutes, row.language, row.publisher) == (91, "en", "Skillwave Learning")
    assert row.category_names == ["Business", "Leadership", "Skills"]
    assert len(row.content_hash) == 64


def test_active_reads_one_zero_and_booleans_and_changes_the_hash():
    assert [course_item(os_course("c", "T", active=value)).available for value in (1, 0, True, False, "1", "0")] == [
        True, False, True, False, True, False]
    assert course_item(os_course("c", "T", active=1)).row.content_hash != course_item(  # type: ignore[union-attr]
        os_course("c", "T", active=0)).row.content_hash  # type: ignore[union-attr]
    assert course_item(os_course("c", "T", active=2)).error == "active: Value error, active is 1 or 0"


def test_html_description_thumbnail_and_missing_fields_fall_back():
    item = course_item(os_course("c2", "T", descriptionText="", imageUrl="", languages=None, duration="",
                                 publisherName=None, categories=[]))
    row = item.row
    assert row is not None
    assert row.description == "Learn T."
    assert row.image_url == "https://img.opensesame.example/c2-small.png"
    assert (row.duration_minutes, row.language, row.publisher, item.category_paths) == (None, "", "", [])


def test_an_item_that_does_not_validate_says_which_field_and_keeps_its_id():
    assert course_item(os_course("c3", "T", aiccLaunchUrl=None)).error.startswith("aiccLaunchUrl:")
    assert course_item(os_course("c3", "T", aiccLaunchUrl=None)).external_id == "c3"
    assert course_item({"title": "no id"}).error.startswith("id:")
    assert course_item("not an object").error == "the item is not a JSON object"  # type: ignore[arg-type]
    assert course_item(os_course(42, "Numeric id")).external_id == "42"  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "minutes"), [
    ("00:00:30", 1), ("01:00:00", 60), ("10:05:00", 605), ("00:00:00", None), ("1:2", None), ("", None),
    (None, None), ("12:61:00", None), ("100:00:00", 6000),
])
def test_durations(value, minutes):
    assert duration_minutes(value) == minutes


def test_category_paths_are_normalised():
    assert category_path("|Business|  Leadership  ") == "|Business|Leadership"
    assert category_path("Business|Leadership") == "|Business|Leadership"
    assert category_path("||") is None


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "title", "active", "aiccLaunchUrl", "duration", "categories",
                                        "languages", "imageUrl", "descriptionHtml"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
                                 st.lists(st.text(max_size=10), max_size=3))))
def test_hostile_items_never_raise(raw):
    item = course_item(raw)
    assert (item.row is None) == bool(item.error)
