"""Deterministic course data for the benchmarks: titles and descriptions drawn from a learning
vocabulary with a Zipf-like spread (a few very common words, a long tail of rare ones), and the
learner queries run against them."""

from __future__ import annotations

import hashlib
import random
from bisect import bisect
from collections.abc import Iterator
from itertools import accumulate

from coursebridge.catalog.services import ProviderCourseRow

SEED = 20240611

# Ordered roughly from the most to the least frequent in a real catalogue.
TOPICS = (
    "leadership management communication sales marketing data excel python security compliance "
    "project customer service finance writing negotiation analytics agile coaching strategy design "
    "teamwork feedback onboarding accounting budgeting presentation productivity cloud networking "
    "privacy safety wellbeing diversity inclusion ethics innovation research statistics javascript "
    "sql kubernetes docker linux devops testing architecture mobile accessibility branding content "
    "advertising procurement logistics recruiting interviewing mentoring storytelling facilitation "
    "resilience mindfulness delegation conflict persuasion prospecting forecasting pricing contracts "
    "governance auditing taxation payroll cybersecurity phishing encryption firewalls databases "
    "visualization dashboards spreadsheets automation scripting algorithms microservices serverless "
    "terraform ansible observability monitoring incident troubleshooting helpdesk escalation "
    "empathy listening etiquette hospitality retail ecommerce fundraising sustainability ergonomics "
    "firstaid hazmat forklift scaffolding welding plumbing electrical hvac pharmacology nursing "
    "radiology phlebotomy dentistry nutrition kinesiology typography illustration photography "
    "videography podcasting copywriting journalism translation linguistics mandarin spanish german "
    "french japanese portuguese arabic calligraphy origami"
).split()

SKILLS = (
    "essentials fundamentals basics principles techniques practices skills strategies tools methods "
    "frameworks patterns workflows habits tactics insights secrets guidelines rules checklists "
    "playbooks blueprints masterclass bootcamp workshop primer handbook toolkit roadmap"
).split()

ADJECTIVES = (
    "practical effective advanced modern strategic essential applied hands-on complete professional "
    "confident creative agile inclusive remote hybrid global digital sustainable resilient ethical "
    "collaborative data-driven customer-centric lean scalable secure accessible evidence-based "
    "intercultural multilingual"
).split()

AUDIENCES = (
    "managers beginners teams leaders professionals engineers analysts administrators executives "
    "newcomers supervisors specialists consultants recruiters nurses technicians educators "
    "entrepreneurs freelancers volunteers"
).split()

VERBS = (
    "build improve lead manage plan write analyse present negotiate design measure automate secure "
    "coach deliver prioritise communicate forecast audit troubleshoot facilitate motivate mentor "
    "visualise prototype benchmark"
).split()

TITLE_TEMPLATES = (
    "{adj} {topic}",
    "{topic} {skill}",
    "{topic} for {audience}",
    "Introduction to {topic}",
    "{adj} {topic} {skill}",
    "{topic} and {topic2}: {adj} {skill}",
    "How to {verb} {topic}",
    "{topic} {skill} for {audience}",
    "Mastering {topic}",
    "{topic} in practice",
)

DESCRIPTION_SENTENCES = (
    "Learn how to {verb} {topic} and {verb2} {topic2} with {adj} {skill}.",
    "This {adj} course covers {topic}, {topic2} and {topic3}.",
    "Ideal for {audience} who want to {verb} {topic} every day.",
    "You will practise {topic} through short exercises and real cases from {audience}.",
    "By the end you can {verb} {topic2} with confidence.",
    "<p>Includes {skill} on {topic} and a final quiz.</p>",
    "Taught by {audience} with years of {topic} experience.",
)

LANGUAGES = ("en", "en", "en", "en", "fr", "de", "es", "pt")
PUBLISHERS = ("Northwind Learning", "Contoso Academy", "Fabrikam Press", "Tailspin Training", "Litware Labs")
CATEGORY_PATHS = ("|Business|Leadership", "|Business|Sales", "|Technology|Data", "|Compliance|Safety")


class ZipfPicker:
    """Picks words with probability falling as 1/rank."""

    def __init__(self, words: list[str] | tuple[str, ...], exponent: float = 1.0) -> None:
        self.words = list(words)
        self.cumulative = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(self.words))))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> str:
        return self.words[bisect(self.cumulative, rng.random() * self.total)]


_TOPIC = ZipfPicker(TOPICS)
_SKILL = ZipfPicker(SKILLS)
_ADJ = ZipfPicker(ADJECTIVES)
_AUDIENCE = ZipfPicker(AUDIENCES)
_VERB = ZipfPicker(VERBS)


def _words(rng: random.Random) -> dict[str, str]:
    return {
        "topic": _TOPIC.pick(rng), "topic2": _TOPIC.pick(rng), "topic3": _TOPIC.pick(rng),
        "skill": _SKILL.pick(rng), "adj": _ADJ.pick(rng), "audience": _AUDIENCE.pick(rng),
        "verb": _VERB.pick(rng), "verb2": _VERB.pick(rng),
    }


def course_row(index: int, seed: int = SEED) -> ProviderCourseRow:
    """The course number `index`: the same on every run, independent of the other rows."""
    rng = random.Random(seed * 1_000_003 + index)
    title = rng.choice(TITLE_TEMPLATES).format(**_words(rng))
    title = title[0].upper() + title[1:]
    sentences = rng.sample(DESCRIPTION_SENTENCES, k=rng.randint(2, 4))
    description = " ".join(s.format(**_words(rng)) for s in sentences)
    external_id = f"bench-{index:07d}"
    return ProviderCourseRow(
        external_id=external_id,
        title=title,
        description=description,
        launch_url=f"https://content.example.org/courses/{external_id}",
        image_url=f"https://content.example.org/images/{external_id}.png",
        duration_minutes=rng.choice((10, 15, 20, 30, 45, 60, 90, 120, 180)),
        language=rng.choice(LANGUAGES),
        publisher=rng.choice(PUBLISHERS),
        content_hash=hashlib.sha256(f"{title}\n{description}".encode()).hexdigest(),
        category_names=[p.rsplit("|", 1)[-1] for p in rng.sample(CATEGORY_PATHS, k=rng.randint(0, 2))],
    )


def course_rows(start: int, count: int, seed: int = SEED) -> list[ProviderCourseRow]:
    return [course_row(i, seed) for i in range(start, start + count)]


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, count) pairs covering range(total)."""
    for start in range(0, total, size):
        yield start, min(size, total - start)


def search_queries(count: int, seed: int = SEED) -> list[str]:
    """Learner queries of one or two words: common words, rare words, prefixes of two to four
    letters, and pairs (a word with another word or with the prefix of one), in a fixed order."""
    rng = random.Random(seed)
    vocabulary = TOPICS + SKILLS + AUDIENCES + VERBS
    common = TOPICS[:15] + SKILLS[:4] + AUDIENCES[:3]
    rare = TOPICS[-60:] + SKILLS[-8:] + AUDIENCES[-5:]
    kinds = ("common", "rare", "prefix", "pair", "pair_prefix")
    queries: list[str] = []
    for number in range(count):
        kind = kinds[number % len(kinds)]
        if kind == "common":
            queries.append(rng.choice(common))
        elif kind == "rare":
            queries.append(rng.choice(rare))
        elif kind == "prefix":
            word = rng.choice(vocabulary)
            queries.append(word[: rng.randint(2, min(4, len(word)))])
        elif kind == "pair":
            queries.append(f"{rng.choice(common)} {rng.choice(vocabulary)}")
        else:
            word = rng.choice(vocabulary)
            queries.append(f"{rng.choice(common)} {word[: rng.randint(3, min(5, len(word)))]}")
    return queries
