"""Program pages. Admins (training admins) build programs and run sessions; learners find their
sessions under "My programs", follow the steps and START them from the session page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.accounts.models import Group, User
from coursebridge.accounts.selectors import group_tree
from coursebridge.catalog.models import Course
from coursebridge.core.errors import DomainError, LaunchRefused
from coursebridge.programs import selectors, services
from coursebridge.programs.forms import ParticipantForm, ProgramForm, SessionForm, StepAddForm
from coursebridge.programs.models import Participant, Program, ProgramStep, Session, StepOrder
from coursebridge.web.forms import add_domain_error
from coursebridge.web.views.common import TRAINING_ADMIN, Visit, academy_page, is_htmx, not_found, refused

SERVICE_FIELDS = {"course_id": "course", "user_id": "user", "group_id": "group"}


# --- Admin: programs -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def program_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    form = ProgramForm(request.POST or None, initial={"order": StepOrder.LINEAR})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                program = services.program_create(academy=visit.academy, by=visit.user, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Program '{program.title}' created: add its steps.")
                return redirect("web:program_detail", slug=visit.academy.slug, program_id=program.pk)
        status = 400
    return render(request, "programs/program_list.html", {
        "academy": visit.academy, "programs": selectors.program_list(academy=visit.academy), "form": form,
    }, status=status)


def _program_form(program: Program, data: Any = None) -> ProgramForm:
    return ProgramForm(data, initial={"title": program.title, "description": program.description,
                                      "order": program.order})


def _steps_context(visit: Visit, program: Program, step_form: StepAddForm | None = None) -> dict[str, Any]:
    steps = list(selectors.program_steps(program=program))
    in_program = {s.course_id for s in steps}
    courses = [(c.pk, f"{c.title} ({c.get_kind_display()}{', ' + c.provider if c.provider else ''})")
               for c in selectors.courses_for_steps(academy=visit.academy) if c.pk not in in_program]
    return {"academy": visit.academy, "program": program, "steps": steps,
            "step_form": step_form or StepAddForm(courses=courses)}


def _program_page(request: HttpRequest, visit: Visit, program: Program, *, step_form: StepAddForm | None = None,
                  session_form: SessionForm | None = None, edit_form: ProgramForm | None = None,
                  status: int = 200) -> HttpResponse:
    return render(request, "programs/program_detail.html", {
        **_steps_context(visit, program, step_form),
        "edit_form": edit_form or _program_form(program),
        "session_form": session_form or SessionForm(),
        "sessions": selectors.session_list(academy=visit.academy, program_id=program.pk),
    }, status=status)


def _steps_answer(request: HttpRequest, visit: Visit, program: Program, notice: str, *,
                  step_form: StepAddForm | None = None, status: int = 200) -> HttpResponse:
    """After a change to the steps: for htmx, the steps section alone with the notice in it; otherwise
    back to the program's page (or the page again with the form's errors)."""
    if is_htmx(request):
        return render(request, "programs/_program_steps.html",
                      {**_steps_context(visit, program, step_form), "steps_notice": notice}, status=status)
    if status != 200:
        return _program_page(request, visit, program, step_form=step_form, status=status)
    if notice:
        messages.success(request, notice)
    return redirect("web:program_detail", slug=visit.academy.slug, program_id=program.pk)


def _program_or_none(visit: Visit, program_id: int) -> Program | None:
    return selectors.program_get(academy=visit.academy, program_id=program_id)


@require_GET
@academy_page(TRAINING_ADMIN)
def program_detail(request: HttpRequest, visit: Visit, program_id: int) -> HttpResponse:
    program = _program_or_none(visit, program_id)
    if program is None:
        return not_found(request)
    return _program_page(request, visit, program)


@require_POST
@academy_page(TRAINING_ADMIN)
def program_edit(request: HttpRequest, visit: Visit, program_id: int) -> HttpResponse:
    """Change the title, the description or the order (linear or free); sessions follow at once."""
    program = _program_or_none(visit, program_id)
    if program is None:
        return not_found(request)
    form = _program_form(program, request.POST)
    if form.is_valid():
        try:
            services.program_update(program=program, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if is_htmx(request):
                return render(request, "programs/_program_head.html", {
                    "academy": visit.academy, "program": program, "edit_form": _program_form(program),
                    "head_notice": "Program saved.",
                })
            messages.success(request, "Program saved.")
            return redirect("web:program_detail", slug=visit.academy.slug, program_id=program.pk)
    program.refresh_from_db()
    if is_htmx(request):
        return render(request, "programs/_program_head.html",
                      {"academy": visit.academy, "program": program, "edit_form": form}, status=400)
    return _program_page(request, visit, program, edit_form=form, status=400)


@require_POST
@academy_page(TRAINING_ADMIN)
def program_step_add(request: HttpRequest, visit: Visit, program_id: int) -> HttpResponse:
    program = _program_or_none(visit, program_id)
    if program is None:
        return not_found(request)
    courses = [(c.pk, c.title) for c in selectors.courses_for_steps(academy=visit.academy)]
    form = StepAddForm(request.POST, courses=courses)
    if form.is_valid():
        course = Course.objects.filter(academy=visit.academy, pk=form.cleaned_data["course"]).first()
        try:
            if course is None:
                raise DomainError("No such course in this academy.", field="course_id")
            services.program_step_add(program=program, course=course)
        except DomainError as exc:
            add_domain_error(form, exc, SERVICE_FIELDS)
        else:
            return _steps_answer(request, visit, program, f"'{course.title}' added as the last step.")
    return _steps_answer(request, visit, program, "", step_form=form, status=400)


def _step_or_none(visit: Visit, program_id: int, step_id: int) -> ProgramStep | None:
    return (ProgramStep.objects.filter(academy=visit.academy, program_id=program_id, pk=step_id)
            .select_related("program", "course").first())


@require_POST
@academy_page(TRAINING_ADMIN)
def program_step_move(request: HttpRequest, visit: Visit, program_id: int, step_id: int) -> HttpResponse:
    step = _step_or_none(visit, program_id, step_id)
    if step is None:
        return not_found(request)
    try:
        services.program_step_move(step=step, direction=request.POST.get("direction", ""))
    except DomainError as exc:
        return refused(request, exc)
    return _steps_answer(request, visit, step.program, f"'{step.course.title}' is now step {step.position}.")


@require_POST
@academy_page(TRAINING_ADMIN)
def program_step_remove(request: HttpRequest, visit: Visit, program_id: int, step_id: int) -> HttpResponse:
    step = _step_or_none(visit, program_id, step_id)
    if step is None:
        return not_found(request)
    title = step.course.title
    services.program_step_remove(step=step)
    return _steps_answer(request, visit, step.program,
                         f"'{title}' removed from the program; learners' records in it are kept.")


# --- Admin: sessions ---------------------------------------------------------------------------------


@require_POST
@academy_page(TRAINING_ADMIN)
def session_create(request: HttpRequest, visit: Visit, program_id: int) -> HttpResponse:
    program = _program_or_none(visit, program_id)
    if program is None:
        return not_found(request)
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            session = services.session_create(program=program, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Session '{session.name}' created: add its participants.")
            return redirect("web:session_admin", slug=visit.academy.slug, session_id=session.pk)
    return _program_page(request, visit, program, session_form=form, status=400)


def _participant_form(visit: Visit, data: Any = None) -> ParticipantForm:
    users = [(u.pk, f"{u.display_name} ({u.username})")
             for u in User.objects.filter(academy=visit.academy, is_active=True).order_by("username")[:2000]]
    groups = [(g.pk, "— " * g.depth + g.name) for g in group_tree(academy=visit.academy)]
    return ParticipantForm(data, users=users, groups=groups)


def _session_page(request: HttpRequest, visit: Visit, session: Session, form: ParticipantForm | None = None,
                  status: int = 200, edit_form: SessionForm | None = None) -> HttpResponse:
    initial = {"name": session.name, "starts_on": session.starts_on, "ends_on": session.ends_on}
    return render(request, "programs/session_admin.html", {
        "edit_form": edit_form or SessionForm(initial=initial),
        "academy": visit.academy, "session": session, "program": session.program,
        "state": selectors.session_state(session),
        "participants": selectors.session_participants(session=session),
        "rows": selectors.session_learner_rows(session=session),
        "form": form or _participant_form(visit),
    }, status=status)


@require_GET
@academy_page(TRAINING_ADMIN)
def session_admin(request: HttpRequest, visit: Visit, session_id: int) -> HttpResponse:
    session = selectors.session_get(academy=visit.academy, session_id=session_id)
    if session is None:
        return not_found(request)
    return _session_page(request, visit, session)


@require_POST
@academy_page(TRAINING_ADMIN)
def session_edit(request: HttpRequest, visit: Visit, session_id: int) -> HttpResponse:
    """Rename the session or move its dates; an end date in the past closes it."""
    session = selectors.session_get(academy=visit.academy, session_id=session_id)
    if session is None:
        return not_found(request)
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            services.session_update(session=session, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Session saved.")
            return redirect("web:session_admin", slug=visit.academy.slug, session_id=session.pk)
    session.refresh_from_db()
    return _session_page(request, visit, session, status=400, edit_form=form)


@require_POST
@academy_page(TRAINING_ADMIN)
def participant_add(request: HttpRequest, visit: Visit, session_id: int) -> HttpResponse:
    session = selectors.session_get(academy=visit.academy, session_id=session_id)
    if session is None:
        return not_found(request)
    form = _participant_form(visit, request.POST)
    if form.is_valid():
        user_id, group_id = form.cleaned_data["user"], form.cleaned_data["group"]
        user = User.objects.filter(academy=visit.academy, pk=user_id).first() if user_id else None
        group = Group.objects.filter(academy=visit.academy, pk=group_id).first() if group_id else None
        try:
            services.session_participant_add(session=session, user=user, group=group)
        except DomainError as exc:
            add_domain_error(form, exc, SERVICE_FIELDS)
        else:
            messages.success(request, f"{user.display_name if user else group} added to the session.")
            return redirect("web:session_admin", slug=visit.academy.slug, session_id=session.pk)
    return _session_page(request, visit, session, form, status=400)


@require_POST
@academy_page(TRAINING_ADMIN)
def participant_remove(request: HttpRequest, visit: Visit, session_id: int, participant_id: int) -> HttpResponse:
    participant = Participant.objects.filter(academy=visit.academy, session_id=session_id, pk=participant_id).first()
    if participant is None:
        return not_found(request)
    services.session_participant_remove(participant=participant)
    messages.success(request, "Participant removed; what they did stays on their transcript.")
    return redirect("web:session_admin", slug=visit.academy.slug, session_id=session_id)


# --- Learners --------------------------------------------------------------------------------------


@require_GET
@academy_page()
def my_programs(request: HttpRequest, visit: Visit) -> HttpResponse:
    views = [selectors.session_view(session=s, user=visit.user)
             for s in selectors.sessions_of_learner(academy=visit.academy, user=visit.user)]
    return render(request, "programs/my_programs.html", {"academy": visit.academy, "views": views})


def _learner_session(visit: Visit, session_id: int) -> Session | None:
    session = selectors.session_get(academy=visit.academy, session_id=session_id)
    if session is None or not selectors.is_participant(session=session, user=visit.user):
        return None
    return session


@require_GET
@academy_page()
def session_detail(request: HttpRequest, visit: Visit, session_id: int) -> HttpResponse:
    session = _learner_session(visit, session_id)
    if session is None:
        return not_found(request)
    return render(request, "programs/session_detail.html", {
        "academy": visit.academy, "view": selectors.session_view(session=session, user=visit.user),
    })


@require_POST
@academy_page()
def session_step_start(request: HttpRequest, visit: Visit, session_id: int, step_id: int) -> HttpResponse:
    session = _learner_session(visit, session_id)
    step = ProgramStep.objects.filter(academy=visit.academy, pk=step_id).select_related("course").first()
    if session is None or step is None or step.program_id != session.program_id:
        return not_found(request)
    try:
        launch = services.session_step_start(session=session, step=step, user=visit.user)
    except LaunchRefused as exc:
        return render(request, "web/launch_refused.html", {
            "academy": visit.academy, "course": step.course, "message": exc.message,
        }, status=403)
    except DomainError as exc:
        return refused(request, exc)
    return HttpResponseRedirect(launch.url)
