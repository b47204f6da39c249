import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebridge.accounts.services import group_create
from coursebridge.catalog import search
from coursebridge.catalog.models import Course, PlacementKind, Visibility
from coursebridge.catalog.selectors import catalogue_search
from coursebridge.catalog.services import (
    ProviderCourseRow,
    category_create,
    category_rename,
    course_archive,
    course_bulk_upsert,
    course_create,
    course_deactivate,
    course_reactivate,
    course_update,
    placement_add,
    placement_remove,
)
from tests.factories import AcademyFactory, UserFactory, learner_in, root_group

pytestmark = pytest.mark.django_db


def setting():
    """An academy: Root > Sales > EMEA, Root > Sales > Americas, Root > Engineering; a learner in EMEA."""
    academy = AcademyFactory()
    root = root_group(academy)
    sales = group_create(parent=root, name="Sales")
    emea = group_create(parent=sales, name="EMEA")
    americas = group_create(parent=sales, name="Americas")
    engineering = group_create(parent=root, name="Engineering")
    learner = learner_in(emea)
    return academy, learner, {"root": root, "sales": sales, "emea": emea, "americas": americas,
                              "engineering": engineering}


def make(academy, group, title, **kwargs) -> Course:
    return course_create(academy=academy, title=title, launch_url="https://learn.example.org/c",
                         groups=[group], **kwargs)


def titles(page) -> list[str]:
    return [c.title for c in page.courses]


def found(academy, learner, query="", **kwargs) -> list[str]:
    return titles(catalogue_search(academy=academy, user=learner, query=query, **kwargs))


# pure helpers


def test_plain_text_drops_tags_and_decodes_entities():
    assert search.plain_text("<p>Fish&amp;chips<br/>for <b>all</b></p>") == " Fish&chips for  all  "
    assert search.plain_text("") == ""


def test_build_search_text_joins_title_description_and_names_on_single_spaces():
    text = search.build_search_text("Fire  drills", "<p>Leave\n calmly</p>", ["Safety", "", "first aid"])

    assert text == "Fire drills Leave calmly Safety first aid"


def test_query_terms_keeps_words_only_lower_cased_and_at_most_eight():
    assert search.query_terms('  "Leader*" OR (NEAR:x) -sales AND ^ ') == ["leader", "or", "near", "x", "sales",
                                                                           "and"]
    assert search.query_terms("") == []
    assert search.query_terms("snake_case __ _x") == ["snake", "case", "x"]
    assert search.query_terms("one two three four five six seven eight nine") == [
        "one", "two", "three", "four", "five", "six", "seven", "eight",
    ]


def test_match_expression_makes_every_term_a_prefix():
    assert search.match_expression("postgresql", ["lead", "sales"]) == "lead:* & sales:*"
    assert search.match_expression("sqlite", ["lead", "sales"]) == '"lead"* "sales"*'


# what the query matches


def test_search_finds_by_title_description_category_and_tag():
    academy, learner, g = setting()
    leadership = category_create(academy=academy, name="Leadership")
    make(academy, g["emea"], "Negotiation basics")
    make(academy, g["emea"], "Course two", description="<p>Learn <strong>persuasion</strong> skills</p>")
    make(academy, g["emea"], "Course three", category_ids=[leadership.pk])
    make(academy, g["emea"], "Course four", tags=["onboarding"])

    assert found(academy, learner, "negotiation") == ["Negotiation basics"]
    assert found(academy, learner, "persuasion") == ["Course two"]
    assert found(academy, learner, "leadership") == ["Course three"]
    assert found(academy, learner, "onboarding") == ["Course four"]


def test_search_does_not_match_html_markup():
    academy, learner, g = setting()
    make(academy, g["emea"], "Styled", description='<p class="intro"><strong>Hello</strong></p>')

    assert found(academy, learner, "strong") == []
    assert found(academy, learner, "intro") == []
    assert found(academy, learner, "hello") == ["Styled"]


def test_search_matches_word_prefixes_case_insensitively():
    academy, learner, g = setting()
    make(academy, g["emea"], "Leadership for managers")

    assert found(academy, learner, "lead") == ["Leadership for managers"]
    assert found(academy, learner, "LEAD MAN") == ["Leadership for managers"]
    assert found(academy, learner, "ership") == []


def test_search_ignores_diacritics():
    academy, learner, g = setting()
    make(academy, g["emea"], "Café management")

    assert found(academy, learner, "café") == ["Café management"]


def test_search_needs_every_word_to_match():
    academy, learner, g = setting()
    make(academy, g["emea"], "Sales leadership")
    make(academy, g["emea"], "Sales basics")
    make(academy, g["emea"], "Engineering leadership")

    assert found(academy, learner, "sales leadership") == ["Sales leadership"]
    assert found(academy, learner, "sales") == ["Sales basics", "Sales leadership"]
    assert found(academy, learner, "sales cooking") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', ["Cooking", "Sales basics"]),
        ("'", ["Cooking", "Sales basics"]),
        ("*", ["Cooking", "Sales basics"]),
        ("sales*", ["Sales basics"]),
        ("(sales", ["Sales basics"]),
        ("sales)", ["Sales basics"]),
        ('"sales', ["Sales basics"]),
        ("sales OR cooking", []),
        ("NOT cooking", []),
        ("-cooking", ["Cooking"]),
        ("sales AND", []),
        ("NEAR(sales", []),
        ("title:sales", []),
        ("sales & | ! :*", ["Sales basics"]),
        ("^sales", ["Sales basics"]),
        ("sales'; DROP TABLE catalog_course; --", []),
        ("{sales}", ["Sales basics"]),
        ("sales\\", ["Sales basics"]),
        ("\x00sales", ["Sales basics"]),
        ("%", ["Cooking", "Sales basics"]),
        ("_", ["Cooking", "Sales basics"]),
        ("sales_", ["Sales basics"]),
        ("sales_basics", ["Sales basics"]),
        ("%s", ["Sales basics"]),
        ("sa%", ["Sales basics"]),
    ],
)
def test_punctuation_and_operators_in_the_query_are_harmless(query, expected):
    academy, learner, g = setting()
    make(academy, g["emea"], "Sales basics")
    make(academy, g["emea"], "Cooking")

    assert found(academy, learner, query) == expected
    assert Course.objects.filter(academy=academy).count() == 2


def test_a_very_long_query_is_harmless():
    academy, learner, g = setting()
    make(academy, g["emea"], "Sales basics")

    assert found(academy, learner, "sa" + "a" * 5000) == []
    assert found(academy, learner, "sales " * 500) == ["Sales basics"]


def test_a_query_of_operator_words_is_searched_as_words():
    academy, learner, g = setting()
    make(academy, g["emea"], "Not or and near")
    make(academy, g["emea"], "Sales")

    assert found(academy, learner, "or not") == ["Not or and near"]
    assert found(academy, learner, "NEAR") == ["Not or and near"]


def test_a_query_without_words_lists_the_whole_catalogue_by_title():
    academy, learner, g = setting()
    make(academy, g["emea"], "Beta")
    make(academy, g["emea"], "Alpha")

    assert found(academy, learner, "  ?!  ") == ["Alpha", "Beta"]
    assert found(academy, learner, "") == ["Alpha", "Beta"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=60))
def test_any_text_query_never_raises(query):
    academy = AcademyFactory()
    learner = learner_in(root_group(academy))
    make(academy, root_group(academy), "Sales basics", description="Everything about sales")

    page = catalogue_search(academy=academy, user=learner, query=query)

    assert page.total == len(page.courses)
    assert page.total in {0, 1}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.from_regex(r"\A[a-z]{2,12}\Z"))
def test_any_word_of_a_title_finds_it(word):
    academy = AcademyFactory()
    learner = learner_in(root_group(academy))
    make(academy, root_group(academy), f"Intro {word} course")

    assert found(academy, learner, word) == [f"Intro {word} course"]
    assert found(academy, learner, f"{word[:2]}") == [f"Intro {word} course"]


# who finds what


def test_search_respects_the_lifecycle():
    academy, learner, g = setting()
    inactive = make(academy, g["emea"], "Sales inactive")
    archived = make(academy, g["emea"], "Sales archived")
    make(academy, g["emea"], "Sales active")

    course_deactivate(course=inactive, reason="Retired")
    course_archive(course=archived, reason="Obsolete")

    assert found(academy, learner, "sales") == ["Sales active"]
    assert found(academy, learner) == ["Sales active"]
    course_reactivate(course=archived, reason="Back")
    assert found(academy, learner, "sales") == ["Sales active", "Sales archived"]


def test_search_leaves_out_hidden_courses():
    academy, learner, g = setting()
    make(academy, g["emea"], "Sales hidden", visibility=Visibility.HIDDEN)
    shown = make(academy, g["emea"], "Sales shown")

    assert found(academy, learner, "sales") == ["Sales shown"]
    course_update(course=shown, changes={"visibility": Visibility.HIDDEN})
    assert found(academy, learner, "sales") == []


def test_search_follows_the_group_tree():
    academy, learner, g = setting()
    make(academy, g["emea"], "Sales in my group")
    make(academy, g["sales"], "Sales in my parent")
    make(academy, g["root"], "Sales in the root")
    make(academy, g["americas"], "Sales in a sibling")
    make(academy, g["engineering"], "Sales in an uncle")
    below = group_create(parent=g["emea"], name="France")
    make(academy, below, "Sales in a subgroup")

    assert found(academy, learner, "sales") == ["Sales in my group", "Sales in my parent", "Sales in the root"]


def test_search_only_looks_at_catalogue_placements():
    academy, learner, g = setting()
    course = make(academy, g["emea"], "Sales")

    placement_remove(course=course, group=g["emea"], kinds=[PlacementKind.CATALOGUE])
    assert found(academy, learner, "sales") == []
    placement_add(course=course, group=g["emea"], kinds=[PlacementKind.CATALOGUE])
    assert found(academy, learner, "sales") == ["Sales"]


def test_search_is_isolated_per_academy():
    academy, learner, g = setting()
    other, _, other_groups = setting()
    make(academy, g["emea"], "Sales here")
    make(other, other_groups["root"], "Sales here")
    make(other, other_groups["emea"], "Sales there")

    assert found(academy, learner, "sales") == ["Sales here"]
    assert found(other, learner, "sales") == []


def test_a_user_without_groups_finds_nothing():
    academy, _, g = setting()
    make(academy, g["root"], "Sales")

    page = catalogue_search(academy=academy, user=UserFactory(academy=academy), query="")

    assert (page.courses, page.total, page.has_next) == ([], 0, False)


def test_search_filters_by_category_including_subcategories():
    academy, learner, g = setting()
    business = category_create(academy=academy, name="Business")
    leadership = category_create(academy=academy, name="Leadership", parent=business)
    coaching = category_create(academy=academy, name="Coaching", parent=leadership)
    technology = category_create(academy=academy, name="Technology")
    make(academy, g["emea"], "In business", category_ids=[business.pk])
    make(academy, g["emea"], "In leadership", category_ids=[leadership.pk])
    make(academy, g["emea"], "In coaching", category_ids=[coaching.pk, technology.pk])
    make(academy, g["emea"], "In technology", category_ids=[technology.pk])
    make(academy, g["emea"], "Nowhere")

    assert found(academy, learner, category_id=business.pk) == ["In business", "In coaching", "In leadership"]
    assert found(academy, learner, category_id=leadership.pk) == ["In coaching", "In leadership"]
    assert found(academy, learner, category_id=technology.pk) == ["In coaching", "In technology"]
    assert found(academy, learner, "coaching", category_id=business.pk) == ["In coaching"]
    assert found(academy, learner, "nowhere", category_id=business.pk) == []


def test_search_pages_through_the_results():
    academy, learner, g = setting()
    for i in range(5):
        make(academy, g["emea"], f"Sales {i}")

    first = catalogue_search(academy=academy, user=learner, query="sales", limit=2, offset=0)
    middle = catalogue_search(academy=academy, user=learner, query="sales", limit=2, offset=2)
    last = catalogue_search(academy=academy, user=learner, query="sales", limit=2, offset=4)
    beyond = catalogue_search(academy=academy, user=learner, query="sales", limit=2, offset=6)

    assert (len(first.courses), first.total, first.offset, first.limit) == (2, 5, 0, 2)
    assert (first.has_next, first.has_previous) == (True, False)
    assert (len(middle.courses), middle.has_next, middle.has_previous) == (2, True, True)
    assert (len(last.courses), last.has_next, last.has_previous) == (1, False, True)
    assert (beyond.courses, beyond.total) == ([], 5)
    every = titles(first) + titles(middle) + titles(last)
    assert sorted(every) == [f"Sales {i}" for i in range(5)]


def test_unfiltered_pages_are_in_title_order():
    academy, learner, g = setting()
    for title in ["Delta", "alpha", "Charlie", "Bravo"]:
        make(academy, g["emea"], title)

    first = catalogue_search(academy=academy, user=learner, limit=3)
    rest = catalogue_search(academy=academy, user=learner, limit=3, offset=3)

    assert titles(first) + titles(rest) == ["Bravo", "Charlie", "Delta", "alpha"]
    assert (first.total, first.has_next, rest.has_next) == (4, True, False)


def test_better_matches_rank_first():
    academy, learner, g = setting()
    make(academy, g["emea"], "Aaa course", description="It mentions negotiation once.")
    make(academy, g["emea"], "Negotiation negotiation", description="Negotiation, all about negotiation.")

    assert found(academy, learner, "negotiation") == ["Negotiation negotiation", "Aaa course"]


# the search text follows changes


def test_search_follows_a_title_change():
    academy, learner, g = setting()
    course = make(academy, g["emea"], "Old title")

    course_update(course=course, changes={"title": "Fresh name"})

    assert found(academy, learner, "fresh") == ["Fresh name"]
    assert found(academy, learner, "old") == []


def test_search_follows_a_description_change():
    academy, learner, g = setting()
    course = make(academy, g["emea"], "Course", description="cooking")

    course_update(course=course, changes={"description": "<em>baking</em>"})

    assert found(academy, learner, "baking") == ["Course"]
    assert found(academy, learner, "cooking") == []


def test_search_follows_a_tag_change():
    academy, learner, g = setting()
    course = make(academy, g["emea"], "Course", tags=["alpha"])

    course_update(course=course, changes={"tags": ["omega"]})

    assert found(academy, learner, "omega") == ["Course"]
    assert found(academy, learner, "alpha") == []


def test_search_follows_a_category_change_and_rename():
    academy, learner, g = setting()
    safety = category_create(academy=academy, name="Safety")
    course = make(academy, g["emea"], "Course")

    course_update(course=course, changes={"category_ids": [safety.pk]})
    assert found(academy, learner, "safety") == ["Course"]

    category_rename(category=safety, name="Security")
    assert found(academy, learner, "security") == ["Course"]
    assert found(academy, learner, "safety") == []


def test_search_finds_provider_courses_by_local_tags_after_each_sync():
    academy, learner, g = setting()
    ids = course_bulk_upsert(academy=academy, provider="opensesame",
                             rows=[ProviderCourseRow(external_id="os-1", title="Negotiation")])
    course = Course.objects.get(pk=ids["os-1"])
    placement_add(course=course, group=g["emea"], kinds=[PlacementKind.CATALOGUE])
    course_update(course=course, changes={"tags": ["kickoff"]})

    course_bulk_upsert(academy=academy, provider="opensesame",
                       rows=[ProviderCourseRow(external_id="os-1", title="Persuasion", category_names=["Sales"])])

    assert found(academy, learner, "kickoff") == ["Persuasion"]
    assert found(academy, learner, "persuasion") == ["Persuasion"]
    assert found(academy, learner, "negotiation") == []


def test_search_finds_provider_courses_by_the_provider_category_names():
    academy, learner, g = setting()
    ids = course_bulk_upsert(
        academy=academy, provider="opensesame",
        rows=[ProviderCourseRow(external_id="os-1", title="Negotiation", category_names=["Business", "Sales"])],
    )
    placement_add(course=Course.objects.get(pk=ids["os-1"]), group=g["emea"], kinds=[PlacementKind.CATALOGUE])

    assert found(academy, learner, "business") == ["Negotiation"]
