"""The product's URLs plus the minimal view the HACP benchmark compares with (bench only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from coursebridge.config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from coursebridge.config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def minimal(request: HttpRequest) -> HttpResponse:
    """The least a Django view does: the same middleware, the form body read, a text/plain answer."""
    return HttpResponse(f"ok {len(request.body)}\r\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/minimal", minimal, name="bench_minimal"), *product_urlpatterns]
