"""Admin: users and their roles. Group admins manage the members of their own subtrees."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.accounts.models import Role
from coursebridge.accounts.selectors import administered_groups, can_administer_group, is_training_admin
from coursebridge.accounts.services import membership_grant, membership_revoke, user_create
from coursebridge.core.errors import DomainError
from coursebridge.web import selectors
from coursebridge.web.forms import MembershipGrantForm, UserCreateForm, add_domain_error
from coursebridge.web.views.common import ADMIN, Visit, academy_page, not_found, paginate


def _form_kwargs(visit: Visit) -> dict:
    return {
        "groups": administered_groups(user=visit.user, academy=visit.academy),
        "may_grant_training_admin": is_training_admin(user=visit.user, academy=visit.academy),
    }


@require_GET
@academy_page(ADMIN)
def user_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    page = paginate(request, selectors.user_search(academy=visit.academy, actor=visit.user, query=query))
    return render(request, "web/admin/users.html", {"academy": visit.academy, "page": page, "query": query})


@require_http_methods(["GET", "POST"])
@academy_page(ADMIN)
def user_new(request: HttpRequest, visit: Visit) -> HttpResponse:
    if request.method == "POST":
        form = UserCreateForm(request.POST, **_form_kwargs(visit))
        if form.is_valid():
            data = form.cleaned_data
            try:
                # The user and their first role together: a group admin's new user must land in
                # the admin's subtree, or the admin could no longer see them.
                with transaction.atomic():
                    user = user_create(
                        academy=visit.academy, username=data["username"], email=data["email"],
                        first_name=data["first_name"], last_name=data["last_name"],
                        password=data["password"] or None,
                    )
                    membership_grant(user=user, group=data["group"], role=data["role"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"User '{user.username}' created.")
                return redirect("web:user_detail", slug=visit.academy.slug, user_id=user.pk)
        status = 400
    else:
        form = UserCreateForm(initial={"role": Role.LEARNER}, **_form_kwargs(visit))
        status = 200
    return render(request, "web/admin/user_new.html", {"academy": visit.academy, "form": form}, status=status)


def _user_page(request: HttpRequest, visit: Visit, member_id: int, form: MembershipGrantForm | None = None,
               status: int = 200) -> HttpResponse:
    person = selectors.user_in_scope(academy=visit.academy, actor=visit.user, user_id=member_id)
    if person is None:
        return not_found(request)
    memberships = [
        {"membership": m, "may_revoke": can_administer_group(user=visit.user, group=m.group)}
        for m in selectors.memberships_of(academy=visit.academy, user=person)
    ]
    return render(request, "web/admin/user_detail.html", {
        "academy": visit.academy,
        "person": person,
        "memberships": memberships,
        "form": form or MembershipGrantForm(initial={"role": Role.LEARNER}, **_form_kwargs(visit)),
    }, status=status)


@require_GET
@academy_page(ADMIN)
def user_detail(request: HttpRequest, visit: Visit, user_id: int) -> HttpResponse:
    return _user_page(request, visit, user_id)


@require_POST
@academy_page(ADMIN)
def membership_add(request: HttpRequest, visit: Visit, user_id: int) -> HttpResponse:
    person = selectors.user_in_scope(academy=visit.academy, actor=visit.user, user_id=user_id)
    if person is None:
        return not_found(request)
    form = MembershipGrantForm(request.POST, **_form_kwargs(visit))
    if form.is_valid():
        try:
            membership = membership_grant(user=person, group=form.cleaned_data["group"],
                                          role=form.cleaned_data["role"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{person.display_name} is now {membership.get_role_display().lower()} "
                f"in '{membership.group.name}'."
            )
            return redirect("web:user_detail", slug=visit.academy.slug, user_id=person.pk)
    return _user_page(request, visit, person.pk, form=form, status=400)


@require_POST
@academy_page(ADMIN)
def membership_remove(request: HttpRequest, visit: Visit, user_id: int, membership_id: int) -> HttpResponse:
    person = selectors.user_in_scope(academy=visit.academy, actor=visit.user, user_id=user_id)
    if person is None:
        return not_found(request)
    membership = selectors.membership_of(academy=visit.academy, user=person, membership_id=membership_id)
    if membership is None or not can_administer_group(user=visit.user, group=membership.group):
        return not_found(request)
    label = f"{membership.get_role_display()} in '{membership.group.name}'"
    membership_revoke(membership=membership)
    messages.success(request, f"{label} revoked.")
    if selectors.user_in_scope(academy=visit.academy, actor=visit.user, user_id=person.pk) is None:
        return redirect("web:user_list", slug=visit.academy.slug)
    return redirect("web:user_detail", slug=visit.academy.slug, user_id=person.pk)
