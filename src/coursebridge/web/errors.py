"""Error pages: HTML for people, JSON for API clients. Never a traceback."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    500: "Something went wrong on our side",
}
DEFAULT_MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is nothing at this address.",
    500: "The error has been logged. Please try again in a moment.",
}


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request: HttpRequest, status: int, message: str = "", field: str | None = None) -> HttpResponse:
    message = message or DEFAULT_MESSAGES.get(status, "")
    if wants_json(request):
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}.get(status, "error")
        return JsonResponse({"error": {"code": code, "message": message, "field": field}}, status=status)
    context: dict[str, Any] = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    body: str
    try:
        body = render_to_string("web/error.html", context, request=request)
    except Exception:  # the error page itself must never fail: fall back to plain text
        body = f"{context['title']}: {message}"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = str(exception) if exception and str(exception) else ""
    return error_response(request, 403, detail)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500)
