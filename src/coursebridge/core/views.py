"""A job's progress (polled by htmx) and its result file. Only the person who started the job, or a
site admin, may see it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from coursebridge.core.jobs import job_is_stale, job_payload
from coursebridge.core.models import Job, JobStatus


def _job_for(request: HttpRequest, job_id: int) -> Job:
    job = Job.objects.filter(pk=job_id).first()
    user = request.user
    if job is None or not (user.is_superuser or (job.created_by_id == user.pk and job.academy_id == user.academy_id)):  # type: ignore[union-attr]
        raise Http404("No such job.")
    return job


@login_required
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(job_payload(job))
    template = "core/job_status.html" if request.headers.get("HX-Request") == "true" else "core/job_page.html"
    return render(request, template, {"job": job, "stalled": job_is_stale(job)})


@login_required
def job_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job_for(request, job_id)
    if job.status != JobStatus.SUCCEEDED or not job.result_file or not default_storage.exists(job.result_file):
        raise Http404("This job has no file to download.")
    return FileResponse(default_storage.open(job.result_file, "rb"), as_attachment=True, filename=job.result_name)
