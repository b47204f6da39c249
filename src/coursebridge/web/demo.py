"""The demo academy: groups, people in every role, a catalogue with local and provider courses,
lifecycle changes and learning records in every state, all made through the services.

`coursebridge demo` loads it (and `coursebridge run` does on an empty database). Every account
shares one password, printed at the end. The data is the same on every run (seeded random).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from coursebridge.accounts.models import Academy, Group, Role, User
from coursebridge.accounts.selectors import group_root
from coursebridge.accounts.services import academy_create, group_create, membership_grant, user_create
from coursebridge.catalog.models import Category, Course, CourseStatus, PlacementKind
from coursebridge.catalog.services import (
    ProviderCourseRow,
    category_create,
    course_archive,
    course_bulk_upsert,
    course_create,
    course_deactivate,
    course_refresh_search_text,
    course_update,
    placement_add,
    provider_categories_ensure,
)
from coursebridge.config.paths import PROJECT_DIR
from coursebridge.connectors.demo import demo_connections
from coursebridge.connectors.providers.opensesame.demo import demo_opensesame
from coursebridge.content import demo_packages
from coursebridge.content.services import package_files_delete, package_import
from coursebridge.core.demo import demo_parts_delete, demo_parts_load
from coursebridge.core.errors import Conflict
from coursebridge.learning.models import Attempt, Enrollment, LearningStatus
from coursebridge.learning.services import attempt_record_progress, enrollment_create, launch_course
from coursebridge.programs import demo as programs_demo
from coursebridge.records import demo as records_demo
from coursebridge.reporting import demo as reporting_demo

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Academy"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for everyone to use: it is a demo
DEMO_SEED = 20240611
SITE_ADMIN_USERNAME = "siteadmin"
PROVIDER = "opensesame"

DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("Site admin", SITE_ADMIN_USERNAME, DEMO_PASSWORD),
    ("Training admin", "admin", DEMO_PASSWORD),
    ("Group admin", "sales-admin", DEMO_PASSWORD),
    ("Author", "author", DEMO_PASSWORD),
    ("Learner", "learner", DEMO_PASSWORD),
)

# Group tree: key -> (parent key, name). The root is the academy itself.
GROUPS: dict[str, tuple[str, str]] = {
    "sales": ("root", "Sales"),
    "emea": ("sales", "EMEA"),
    "americas": ("sales", "Americas"),
    "engineering": ("root", "Engineering"),
    "platform": ("engineering", "Platform"),
    "data": ("engineering", "Data"),
    "support": ("root", "Support"),
}

# username -> (first name, last name, group key, role)
PEOPLE: dict[str, tuple[str, str, str, str]] = {
    "admin": ("Dana", "Whitfield", "root", Role.TRAINING_ADMIN),
    "sales-admin": ("Marco", "Bianchi", "sales", Role.GROUP_ADMIN),
    "author": ("Priya", "Nair", "root", Role.AUTHOR),
    "learner": ("Sam", "Taylor", "emea", Role.LEARNER),
    "maria.garcia": ("María", "García", "emea", Role.LEARNER),
    "sofia.rossi": ("Sofia", "Rossi", "emea", Role.LEARNER),
    "james.smith": ("James", "Smith", "americas", Role.LEARNER),
    "noah.johnson": ("Noah", "Johnson", "americas", Role.LEARNER),
    "li.wei": ("Li", "Wei", "platform", Role.LEARNER),
    "amara.okafor": ("Amara", "Okafor", "platform", Role.LEARNER),
    "fatima.khan": ("Fatima", "Khan", "data", Role.LEARNER),
    "yuki.tanaka": ("Yuki", "Tanaka", "data", Role.LEARNER),
    "lucas.martin": ("Lucas", "Martin", "support", Role.LEARNER),
    "olivia.brown": ("Olivia", "Brown", "support", Role.LEARNER),
}

# Local category tree: root name -> its subcategories.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Technology": ("Programming", "Data & AI", "Cloud & DevOps", "Security", "Design"),
    "Business": ("Sales", "Marketing", "Management", "Finance", "Customer support"),
    "Personal development": ("Communication", "Wellbeing", "Learning skills"),
    "Compliance": ("Privacy", "Accessibility"),
}


@dataclass(frozen=True)
class DemoCourse:
    title: str
    url: str
    category: str
    tags: tuple[str, ...]
    minutes: int
    description: str
    group: str = "root"
    library_only: bool = False


COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        "Python Tutorial for Beginners", "https://docs.python.org/3/tutorial/", "Programming",
        ("python", "beginner"), 240,
        "The official Python tutorial: data structures, control flow, modules, errors and classes, "
        "with examples you can run as you read.",
    ),
    DemoCourse(
        "Writing Your First Django App", "https://docs.djangoproject.com/en/5.2/intro/tutorial01/", "Programming",
        ("python", "web", "django"), 120,
        "Build a small polls application step by step: models, views, templates, forms and tests.",
        group="engineering",
    ),
    DemoCourse(
        "Pro Git: Version Control Essentials", "https://git-scm.com/book/en/v2", "Programming",
        ("git", "tools"), 180,
        "Branches, merges, rebases and remotes explained from the ground up, with the workflows teams use.",
    ),
    DemoCourse(
        "Learn Web Development", "https://developer.mozilla.org/en-US/docs/Learn_web_development", "Programming",
        ("web", "html", "beginner"), 300,
        "HTML, CSS and JavaScript from the first page to a finished site, by the authors of MDN Web Docs.",
    ),
    DemoCourse(
        "Learn CSS", "https://web.dev/learn/css", "Programming", ("web", "css"), 150,
        "The box model, selectors, layout with flexbox and grid, and responsive design.",
    ),
    DemoCourse(
        "JavaScript Guide", "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Guide", "Programming",
        ("javascript", "web"), 200,
        "Grammar, functions, objects, promises and modules: a guided tour of modern JavaScript.",
    ),
    DemoCourse(
        "The Rust Programming Language", "https://doc.rust-lang.org/book/", "Programming",
        ("rust", "systems"), 600,
        "Ownership, borrowing, traits and fearless concurrency, from the book the Rust project maintains.",
        group="engineering", library_only=True,
    ),
    DemoCourse(
        "Introduction to Computer Science and Programming in Python",
        "https://ocw.mit.edu/courses/6-0001-introduction-to-computer-science-and-programming-in-python-fall-2016/",
        "Programming", ("python", "computer science"), 1200,
        "MIT's first course in computation: problem solving, algorithms and their complexity, in Python.",
    ),
    DemoCourse(
        "Algorithms", "https://www.khanacademy.org/computing/computer-science/algorithms", "Programming",
        ("algorithms", "computer science"), 300,
        "Binary search, sorting, recursion and graph search, with interactive challenges.",
    ),
    DemoCourse(
        "Responsive Web Design", "https://www.freecodecamp.org/learn/", "Programming",
        ("web", "css", "html"), 300,
        "Build five projects while learning semantic HTML, accessible forms and responsive layouts.",
    ),
    DemoCourse(
        "Intro to Machine Learning", "https://www.kaggle.com/learn/intro-to-machine-learning", "Data & AI",
        ("machine learning", "python"), 180,
        "Decision trees and random forests on real data: fit, validate and improve your first models.",
        group="data",
    ),
    DemoCourse(
        "Data Analysis with pandas", "https://www.kaggle.com/learn/pandas", "Data & AI",
        ("python", "data analysis"), 240,
        "Select, group, reshape and clean tabular data with the most used Python data library.",
        group="data",
    ),
    DemoCourse(
        "Data Visualization", "https://www.kaggle.com/learn/data-visualization", "Data & AI",
        ("data analysis", "visualisation"), 240,
        "Line charts, heatmaps and distributions: choose the right chart and tell a clear story.",
    ),
    DemoCourse(
        "Machine Learning Crash Course", "https://developers.google.com/machine-learning/crash-course",
        "Data & AI", ("machine learning",), 900,
        "A fast-paced introduction to regression, classification, embeddings and neural networks.",
    ),
    DemoCourse(
        "Statistics and Probability", "https://www.khanacademy.org/math/statistics-probability", "Data & AI",
        ("statistics", "data analysis"), 600,
        "Distributions, sampling, confidence intervals and hypothesis tests, one short lesson at a time.",
    ),
    DemoCourse(
        "Querying Data with SQL", "https://www.khanacademy.org/computing/computer-programming/sql",
        "Data & AI", ("sql", "databases"), 180,
        "Create tables, query them, join them and change them: SQL for everyone who works with data.",
    ),
    DemoCourse(
        "PostgreSQL Tutorial", "https://www.postgresql.org/docs/current/tutorial.html", "Data & AI",
        ("sql", "databases"), 120,
        "The PostgreSQL project's own tutorial: the SQL language, joins, aggregates, views and transactions.",
        group="engineering",
    ),
    DemoCourse(
        "Google Data Analytics Certificate", "https://grow.google/certificates/data-analytics/", "Data & AI",
        ("data analysis", "career"), 1800,
        "Spreadsheets, SQL, Tableau and R on the way to an entry-level data analyst role.",
    ),
    DemoCourse(
        "Kubernetes Basics", "https://kubernetes.io/docs/tutorials/kubernetes-basics/", "Cloud & DevOps",
        ("kubernetes", "containers"), 120,
        "Deploy, expose, scale and update an application on a Kubernetes cluster.",
        group="platform",
    ),
    DemoCourse(
        "Docker: Get Started", "https://docs.docker.com/get-started/", "Cloud & DevOps",
        ("containers", "docker"), 90,
        "Images, containers, volumes and compose files, explained while you containerise an application.",
    ),
    DemoCourse(
        "Site Reliability Engineering", "https://sre.google/sre-book/table-of-contents/", "Cloud & DevOps",
        ("reliability", "operations"), 480,
        "Service level objectives, error budgets, on-call and postmortems, as practised at Google.",
        group="engineering", library_only=True,
    ),
    DemoCourse(
        "The Twelve-Factor App", "https://12factor.net/", "Cloud & DevOps", ("architecture", "operations"), 45,
        "Twelve principles for building software-as-a-service that deploys and scales cleanly.",
    ),
    DemoCourse(
        "Azure Fundamentals", "https://learn.microsoft.com/en-us/training/azure/", "Cloud & DevOps",
        ("cloud", "azure"), 360,
        "Cloud concepts, Azure architecture and services, management and governance.",
    ),
    DemoCourse(
        "The Linux Command Line for Beginners", "https://ubuntu.com/tutorials/command-line-for-beginners",
        "Cloud & DevOps", ("linux", "tools", "beginner"), 60,
        "Navigate the file system, create and move files, and chain commands with pipes.",
    ),
    DemoCourse(
        "OWASP Top Ten", "https://owasp.org/www-project-top-ten/", "Security", ("security", "web"), 90,
        "The ten most critical web application security risks and how to prevent each of them.",
    ),
    DemoCourse(
        "Cyber Security: Top Tips for Staff", "https://www.ncsc.gov.uk/training/top-tips-for-staff-web",
        "Security", ("security", "phishing", "compliance"), 30,
        "Phishing, passwords, devices and reporting incidents: the essentials every employee needs.",
    ),
    DemoCourse(
        "Technical Support Fundamentals", "https://www.coursera.org/learn/technical-support-fundamentals",
        "Customer support", ("support", "it"), 900,
        "Hardware, operating systems, networking and troubleshooting for a career in IT support.",
        group="support",
    ),
    DemoCourse(
        "Google IT Support Certificate", "https://grow.google/certificates/it-support/", "Customer support",
        ("support", "career"), 2400,
        "Troubleshooting, customer service, networking, system administration and security.",
        group="support",
    ),
    DemoCourse(
        "Inbound Sales", "https://academy.hubspot.com/courses/inbound-sales", "Sales",
        ("sales", "prospecting"), 150,
        "Identify, connect with, explore and advise buyers the way they now prefer to buy.",
        group="sales",
    ),
    DemoCourse(
        "Successful Negotiation: Essential Strategies and Skills",
        "https://www.coursera.org/learn/negotiation-skills", "Sales", ("negotiation", "sales"), 600,
        "Prepare, open, bargain and close: a four-step negotiation method with real contracts to study.",
        group="sales",
    ),
    DemoCourse(
        "Salesforce Trailhead", "https://trailhead.salesforce.com/", "Sales", ("crm", "sales"), 120,
        "Learn the Salesforce CRM through guided trails and hands-on challenges.",
        group="americas",
    ),
    DemoCourse(
        "Inbound Marketing", "https://academy.hubspot.com/courses/inbound-marketing", "Marketing",
        ("marketing", "content"), 240,
        "Attract, engage and delight customers with content, social media and conversion.",
        group="sales",
    ),
    DemoCourse(
        "Google Skillshop", "https://skillshop.withgoogle.com/", "Marketing", ("advertising", "analytics"), 180,
        "Training and certifications for Google Ads, Analytics and the other Google marketing tools.",
        group="emea",
    ),
    DemoCourse(
        "Google UX Design Certificate", "https://grow.google/certificates/ux-design/", "Design",
        ("ux", "design", "career"), 1800,
        "User research, wireframes, prototypes and usability studies in Figma and Adobe XD.",
    ),
    DemoCourse(
        "Introduction to Web Accessibility", "https://www.w3.org/WAI/fundamentals/accessibility-intro/",
        "Accessibility", ("accessibility", "web", "compliance"), 30,
        "What accessibility means, who it helps, and the standards that describe it.",
    ),
    DemoCourse(
        "Google Project Management Certificate", "https://grow.google/certificates/project-management/",
        "Management", ("project management", "career"), 1800,
        "Initiate, plan and run projects, traditional and agile, with the documents and tools they need.",
    ),
    DemoCourse(
        "The Scrum Guide", "https://scrumguides.org/scrum-guide.html", "Management", ("agile", "scrum"), 30,
        "The definition of Scrum by its creators: the team, the events and the artifacts.",
    ),
    DemoCourse(
        "Manifesto for Agile Software Development", "https://agilemanifesto.org/", "Management", ("agile",), 15,
        "The four values and twelve principles that started the agile movement.",
    ),
    DemoCourse(
        "Leading People and Teams", "https://www.coursera.org/specializations/leading-teams", "Management",
        ("leadership", "teams"), 1200,
        "Motivate and manage people, lead teams and influence others, from the University of Michigan.",
    ),
    DemoCourse(
        "Personal Finance", "https://www.khanacademy.org/college-careers-more/personal-finance", "Finance",
        ("finance", "budgeting"), 300,
        "Budgets, saving, credit, taxes and investing: money decisions explained simply.",
    ),
    DemoCourse(
        "Principles of Microeconomics",
        "https://ocw.mit.edu/courses/14-01-principles-of-microeconomics-fall-2018/", "Finance",
        ("economics",), 1500,
        "Supply and demand, consumer and producer theory, markets and their failures.",
    ),
    DemoCourse(
        "Financial Markets", "https://www.coursera.org/learn/financial-markets-global", "Finance",
        ("finance", "markets"), 1980,
        "Risk management, behavioural finance, banks, insurance and the markets they trade in, from Yale.",
    ),
    DemoCourse(
        "Excel Skills for Business", "https://www.coursera.org/specializations/excel", "Finance",
        ("excel", "spreadsheets"), 1800,
        "From the essentials to advanced formulas, charts, pivot tables and dashboards.",
    ),
    DemoCourse(
        "Writing in the Sciences", "https://www.coursera.org/learn/sciwrite", "Communication",
        ("writing",), 900,
        "Write clearly and concisely: cut clutter, choose strong verbs and structure your papers.",
    ),
    DemoCourse(
        "How to Speak So That People Want to Listen",
        "https://www.ted.com/talks/julian_treasure_how_to_speak_so_that_people_want_to_listen",
        "Communication", ("public speaking", "communication"), 10,
        "The habits that make people stop listening, and the vocal tools that make them lean in.",
    ),
    DemoCourse(
        "Writing for GOV.UK", "https://www.gov.uk/guidance/content-design/writing-for-gov-uk", "Communication",
        ("writing", "plain language"), 40,
        "Plain English, short sentences and front-loaded content: how people read on the web.",
        group="support",
    ),
    DemoCourse(
        "The Science of Well-Being", "https://www.coursera.org/learn/the-science-of-well-being", "Wellbeing",
        ("wellbeing", "habits"), 1140,
        "What psychological science says about happiness, and habits that build it.",
    ),
    DemoCourse(
        "Mindfulness", "https://www.nhs.uk/mental-health/self-help/tips-and-support/mindfulness/", "Wellbeing",
        ("wellbeing", "mindfulness"), 20,
        "Paying attention to the present moment to improve mental wellbeing, with simple exercises.",
    ),
    DemoCourse(
        "Learning How to Learn", "https://www.coursera.org/learn/learning-how-to-learn", "Learning skills",
        ("learning", "habits"), 900,
        "Powerful mental tools to master tough subjects: chunking, spaced repetition and beating procrastination.",
    ),
    DemoCourse(
        "What is GDPR?", "https://gdpr.eu/what-is-gdpr/", "Privacy", ("gdpr", "privacy", "compliance"), 20,
        "The EU's data protection law in plain words: principles, rights, and what organisations must do.",
        group="emea",
    ),
)


@dataclass(frozen=True)
class DemoProviderCourse:
    external_id: str
    title: str
    description: str
    category_path: str
    minutes: int


PROVIDER_COURSES: tuple[DemoProviderCourse, ...] = (
    DemoProviderCourse(
        "os-demo-1001", "Leading with Emotional Intelligence",
        "<p>Recognise emotions in yourself and your team, and use them to lead with empathy.</p>",
        "|Business|Leadership", 35,
    ),
    DemoProviderCourse(
        "os-demo-1002", "Giving and Receiving Feedback",
        "<p>Frame feedback so it lands, and take it without getting defensive.</p>",
        "|Business|Leadership", 25,
    ),
    DemoProviderCourse(
        "os-demo-1003", "Consultative Selling",
        "<p>Ask better questions, diagnose needs and propose solutions customers trust.</p>",
        "|Business|Sales Skills", 45,
    ),
    DemoProviderCourse(
        "os-demo-1004", "Workplace Safety Essentials",
        "<p>Hazards, reporting and the habits that keep everyone safe at work.</p>",
        "|Compliance|Workplace Safety", 30,
    ),
    DemoProviderCourse(
        "os-demo-1005", "Preventing Slips, Trips and Falls",
        "<p>The most common workplace accidents and how to prevent them.</p>",
        "|Compliance|Workplace Safety", 20,
    ),
    DemoProviderCourse(
        "os-demo-1006", "Excel Pivot Tables in Practice",
        "<p>Summarise thousands of rows in seconds with pivot tables, slicers and charts.</p>",
        "|Technology|Microsoft Office", 40,
    ),
)
PROVIDER_LAUNCH_URL = "https://www.opensesame.com/"
PROVIDER_PUBLISHER = "OpenSesame sample catalogue"

# Lifecycle changes made after the learning records, so transcripts show the labels:
# (title, action, reason), applied in order.
LIFECYCLE: tuple[tuple[str, str, str], ...] = (
    ("The Twelve-Factor App", "deactivate", "Replaced by the internal architecture handbook."),
    ("Workplace Safety Essentials", "deactivate", "Retired by the provider."),
    ("Salesforce Trailhead", "deactivate", "Licence not renewed for this year."),
    ("Salesforce Trailhead", "archive", "The CRM moved to another vendor."),
    ("Machine Learning Crash Course", "archive", "Superseded by the new edition in the Data library."),
    ("Manifesto for Agile Software Development", "archive", "Merged into The Scrum Guide course."),
)

# The learner's own history: (title, outcome, progress %, score, minutes spent).
# Outcomes: enrolled (not started), in_progress, completed, passed, failed, failed_then_retry.
LEARNER_RECORDS: tuple[tuple[str, str, int, float | None, int], ...] = (
    ("Python Tutorial for Beginners", "completed", 100, None, 250),
    ("Learning How to Learn", "in_progress", 40, None, 360),
    ("Inbound Sales", "passed", 100, 88, 140),
    ("Successful Negotiation: Essential Strategies and Skills", "failed_then_retry", 30, 45, 420),
    ("What is GDPR?", "passed", 100, 92, 25),
    ("Cyber Security: Top Tips for Staff", "completed", 100, None, 30),
    ("Machine Learning Crash Course", "in_progress", 55, None, 500),
    ("The Twelve-Factor App", "in_progress", 20, None, 10),
    ("Manifesto for Agile Software Development", "completed", 100, None, 15),
    ("Personal Finance", "enrolled", 0, None, 0),
    ("Leading with Emotional Intelligence", "in_progress", 65, None, 22),
    ("Workplace Safety Essentials", "completed", 100, None, 31),
)
RECORDS_PER_OTHER_LEARNER = 4
OTHER_OUTCOMES = ("enrolled", "in_progress", "in_progress", "completed", "passed", "failed")

# Real packages made by others, imported too when the shared test data sits beside the project.
TESTDATA_PACKAGES = PROJECT_DIR.parent / "shared" / "testdata" / "packages"
REAL_PACKAGES = ("golf-scorm12-runtime-basic.zip", "aicc-hacp-test-au.zip")


@dataclass
class DemoResult:
    academy: Academy
    logins: list[tuple[str, str, str]] = field(default_factory=lambda: list(DEMO_LOGINS))


def demo_exists() -> bool:
    return Academy.objects.filter(slug=DEMO_SLUG).exists()


@transaction.atomic
def demo_load() -> DemoResult:
    """Create the demo academy and its site admin. Conflict when the demo academy exists."""
    if demo_exists():
        raise Conflict(f"The academy '{DEMO_SLUG}' already exists.", field="slug")
    rng = random.Random(DEMO_SEED)
    academy = academy_create(slug=DEMO_SLUG, name=DEMO_NAME)
    groups = _groups(academy)
    users = _people(academy, groups)
    _site_admin()
    courses = _catalogue(academy, groups, admin=users["admin"])
    _package_courses(groups["root"], admin=users["admin"])
    _learning_records(users, courses, groups, rng)
    for title, action, reason in LIFECYCLE:
        change = course_archive if action == "archive" else course_deactivate
        courses[title] = change(course=courses[title], reason=reason, by=users["admin"])
    _spread_over_time(academy, rng)
    records_demo.records_demo_load(academy=academy, admin=users["admin"])
    demo_connections(group=groups["data"])
    programs_demo.demo_load(academy=academy)
    reporting_demo.demo_load(academy=academy)
    demo_opensesame(group=groups["root"])
    # The provider's side (the marketplace) registers its part of the demo with core.
    return DemoResult(academy=academy, logins=[*DEMO_LOGINS, *demo_parts_load()])


@transaction.atomic
def demo_delete() -> bool:
    """Remove the demo academy, its users and the demo site admin. False when there was none."""
    academy = Academy.objects.filter(slug=DEMO_SLUG).first()
    User.objects.filter(username=SITE_ADMIN_USERNAME, academy__isnull=True, is_superuser=True).delete()
    demo_parts_delete()
    if academy is None:
        return False
    programs_demo.demo_delete(academy=academy)
    Enrollment.objects.filter(academy=academy).delete()
    Course.objects.filter(academy=academy).delete()
    categories = list(Category.objects.filter(academy=academy))
    depth = {c.pk: _depth(c, {x.pk: x for x in categories}) for c in categories}
    for category in sorted(categories, key=lambda c: -depth[c.pk]):
        category.delete()
    User.objects.filter(academy=academy).delete()
    package_files_delete(academy=academy)
    for group in Group.objects.filter(academy=academy).order_by("-depth", "-id"):
        group.delete()
    academy.delete()
    return True


def _package_courses(root: Group, *, admin: User) -> None:
    """Package courses every learner can launch: an AICC and a SCORM 1.2 course built in code, and the
    real test packages when their folder is on this machine."""
    sources: list[tuple[str, io.BytesIO | Path]] = [
        ("fire-safety-aicc.zip", io.BytesIO(demo_packages.aicc_demo_zip())),
        ("first-aid-scorm12.zip", io.BytesIO(demo_packages.scorm12_demo_zip())),
    ]
    sources += [(name, TESTDATA_PACKAGES / name) for name in REAL_PACKAGES if (TESTDATA_PACKAGES / name).is_file()]
    for filename, source in sources:
        package_import(academy=root.academy, source=source, filename=filename, by=admin, group=root)


def _depth(category: Category, by_id: dict[int, Category]) -> int:
    depth = 0
    while category.parent_id is not None:
        category = by_id[category.parent_id]
        depth += 1
    return depth


def _groups(academy: Academy) -> dict[str, Group]:
    groups = {"root": group_root(academy=academy)}
    for key, (parent, name) in GROUPS.items():
        groups[key] = group_create(parent=groups[parent], name=name)
    return groups


def _people(academy: Academy, groups: dict[str, Group]) -> dict[str, User]:
    """Everyone shares the demo password: validated like any password, hashed once."""
    hashed = make_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for username, (first, last, group, role) in PEOPLE.items():
        user = user_create(
            academy=academy, username=username, first_name=first, last_name=last,
            email=f"{username}@example.com",
        )
        validate_password(DEMO_PASSWORD, user)
        user.password = hashed
        user.save(update_fields=["password"])
        membership_grant(user=user, group=groups[group], role=role)
        users[username] = user
    return users


def _site_admin() -> None:
    """A superuser without an academy, who may enter every academy. An existing one is kept."""
    if User.objects.filter(username__iexact=SITE_ADMIN_USERNAME).exists():
        return
    user = User(
        username=SITE_ADMIN_USERNAME, email=f"{SITE_ADMIN_USERNAME}@example.com", first_name="Site",
        last_name="Admin", is_superuser=True, is_staff=True, academy=None,
    )
    validate_password(DEMO_PASSWORD, user)
    user.set_password(DEMO_PASSWORD)
    user.save()


def _catalogue(academy: Academy, groups: dict[str, Group], *, admin: User) -> dict[str, Course]:
    categories: dict[str, Category] = {}
    for root_name, children in CATEGORIES.items():
        root = category_create(academy=academy, name=root_name)
        for name in children:
            categories[name] = category_create(academy=academy, name=name, parent=root)

    courses: dict[str, Course] = {}
    for item in COURSES:
        group = groups[item.group]
        course = course_create(
            academy=academy, title=item.title, description=item.description, launch_url=item.url,
            duration_minutes=item.minutes, language="en", category_ids=[categories[item.category].pk],
            tags=item.tags, groups=() if item.library_only else (group,), by=admin,
        )
        if item.library_only:
            placement_add(course=course, group=group, kinds=(PlacementKind.LIBRARY,))
        courses[item.title] = course

    leaves = provider_categories_ensure(
        academy=academy, provider=PROVIDER, paths=[p.category_path for p in PROVIDER_COURSES]
    )
    rows = [
        ProviderCourseRow(
            external_id=p.external_id, title=p.title, description=p.description, launch_url=PROVIDER_LAUNCH_URL,
            duration_minutes=p.minutes, language="en", publisher=PROVIDER_PUBLISHER,
            category_names=[leaves[p.category_path].name],
        )
        for p in PROVIDER_COURSES
    ]
    ids = course_bulk_upsert(academy=academy, provider=PROVIDER, rows=rows)
    for offered in PROVIDER_COURSES:
        course = Course.objects.get(pk=ids[offered.external_id])
        # What a provider sync does: the provider's categories come with the course.
        course.categories.add(leaves[offered.category_path])
        course_refresh_search_text(course=course)
        placement_add(course=course, group=groups["root"], kinds=(PlacementKind.CATALOGUE, PlacementKind.LIBRARY))
        courses[offered.title] = course
    # Local fields stay editable on a provider course: a local category and tags.
    course_update(
        course=courses["Leading with Emotional Intelligence"],
        changes={"category_ids": [categories["Management"].pk], "tags": ["leadership", "managers"]},
        by=admin,
    )
    return courses


def _record(user: User, course: Course, outcome: str, progress: int, score: float | None, minutes: int) -> None:
    """One learner's history on one course, through the launch gate and the tracking service."""
    if outcome == "enrolled":
        enrollment_create(user=user, course=course)
        return
    attempt = launch_course(user=user, course=course).attempt
    seconds = minutes * 60
    if outcome == "in_progress":
        attempt_record_progress(attempt=attempt, progress=progress, time_spent_seconds=seconds)
    elif outcome == "completed":
        attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED, time_spent_seconds=seconds)
    elif outcome == "passed":
        attempt_record_progress(
            attempt=attempt, status=LearningStatus.PASSED, score=score, time_spent_seconds=seconds
        )
    elif outcome in {"failed", "failed_then_retry"}:
        attempt_record_progress(
            attempt=attempt, status=LearningStatus.FAILED, progress=100, score=score,
            time_spent_seconds=seconds * 2 // 3,
        )
        if outcome == "failed_then_retry":
            retry = launch_course(user=user, course=course).attempt
            attempt_record_progress(attempt=retry, progress=progress, time_spent_seconds=seconds // 3)


def _learning_records(
    users: dict[str, User], courses: dict[str, Course], groups: dict[str, Group], rng: random.Random
) -> None:
    learner = users["learner"]
    for title, outcome, progress, score, minutes in LEARNER_RECORDS:
        _record(learner, courses[title], outcome, progress, score, minutes)
    catalogue_of = _catalogue_titles(groups)
    for username, (_first, _last, group_key, role) in PEOPLE.items():
        if role != Role.LEARNER or username == "learner":
            continue
        visible = sorted(catalogue_of[group_key])
        for title in rng.sample(visible, k=RECORDS_PER_OTHER_LEARNER):
            outcome = rng.choice(OTHER_OUTCOMES)
            minutes = courses[title].duration_minutes or 30
            progress = rng.randint(10, 90)
            spent = minutes * progress // 100 if outcome in {"in_progress", "failed"} else minutes
            score = float(rng.randint(80, 100)) if outcome == "passed" else float(rng.randint(30, 69))
            _record(users[username], courses[title], outcome, progress, score, max(spent, 1))


def _catalogue_titles(groups: dict[str, Group]) -> dict[str, set[str]]:
    """The titles in the catalogue a learner of each group sees (its own and its ancestors')."""
    placed: dict[str, set[str]] = {key: set() for key in groups}
    for item in COURSES:
        if not item.library_only:
            placed[item.group].add(item.title)
    placed["root"].update(p.title for p in PROVIDER_COURSES)
    visible: dict[str, set[str]] = {}
    for key in groups:
        titles, current = set(placed[key]), key
        while current != "root":
            current = GROUPS[current][0]
            titles |= placed[current]
        visible[key] = titles
    return visible


def _spread_over_time(academy: Academy, rng: random.Random) -> None:
    """Records made a moment ago look like history: each enrollment and its attempts move back by
    the same few days or weeks, keeping their order and durations."""
    for enrollment in Enrollment.objects.filter(academy=academy).order_by("id"):
        shift = timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
        fields = ("enrolled_at", "first_activity_at", "last_activity_at", "completed_at")
        moved = {name: getattr(enrollment, name) - shift for name in fields if getattr(enrollment, name)}
        Enrollment.objects.filter(pk=enrollment.pk).update(**moved)
        for attempt in Attempt.objects.filter(enrollment=enrollment):
            names = ("started_at", "first_activity_at", "last_activity_at", "completed_at")
            moved = {name: getattr(attempt, name) - shift for name in names if getattr(attempt, name)}
            Attempt.objects.filter(pk=attempt.pk).update(**moved)


def demo_counts(academy: Academy) -> dict[str, int]:
    """What the demo holds, for the command's summary."""
    courses = Course.objects.filter(academy=academy)
    return {
        "groups": Group.objects.filter(academy=academy).count(),
        "users": User.objects.filter(academy=academy).count(),
        "courses": courses.count(),
        "inactive": courses.filter(status=CourseStatus.INACTIVE).count(),
        "archived": courses.filter(status=CourseStatus.ARCHIVED).count(),
        "enrollments": Enrollment.objects.filter(academy=academy).count(),
    }
