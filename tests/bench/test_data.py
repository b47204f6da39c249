from bench.data import TOPICS, ZipfPicker, chunks, course_row, course_rows, search_queries

from coursebridge.catalog import search


def test_a_course_row_is_the_same_on_every_run_and_independent_of_its_neighbours():
    assert course_row(41) == course_row(41)
    assert course_rows(40, 3)[1] == course_row(41)
    assert course_row(41) != course_row(42)
    assert course_row(41, seed=1) != course_row(41)


def test_a_course_row_looks_like_a_provider_course():
    row = course_row(7)

    assert row.external_id == "bench-0000007"
    assert row.title[0].isupper() and len(row.title) <= 300
    assert row.launch_url == "https://content.example.org/courses/bench-0000007"
    assert len(row.content_hash) == 64
    assert row.duration_minutes in {10, 15, 20, 30, 45, 60, 90, 120, 180}
    assert len(search.plain_text(row.description).split()) >= 10


def test_common_words_are_common_and_rare_ones_rare():
    words = " ".join(f"{r.title} {r.description}" for r in course_rows(0, 2000)).lower().split()
    counts = {w: words.count(w) for w in (TOPICS[0], TOPICS[-1])}

    assert counts[TOPICS[0]] > 40 * counts[TOPICS[-1]]
    assert counts[TOPICS[-1]] > 0


def test_the_zipf_picker_favours_the_first_words():
    import random

    picker = ZipfPicker(["a", "b", "c", "d"])
    rng = random.Random(1)
    picks = [picker.pick(rng) for _ in range(2000)]

    assert picks.count("a") > picks.count("b") > picks.count("d") > 0


def test_chunks_cover_the_range_once():
    assert list(chunks(12, 5)) == [(0, 5), (5, 5), (10, 2)]
    assert list(chunks(0, 5)) == []


def test_queries_are_one_or_two_words_of_every_kind_in_a_fixed_order():
    queries = search_queries(250)

    assert queries == search_queries(250)
    assert len(queries) == 250
    assert {len(q.split()) for q in queries} == {1, 2}
    assert any(len(q) == 2 for q in queries)
    assert any(q in TOPICS[:15] for q in queries)
    assert any(q in TOPICS[-60:] for q in queries)
    assert all(search.query_terms(q) == q.split() for q in queries)
