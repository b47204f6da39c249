"""What every REST endpoint shares: authentication, the JSON error shape, pagination, input schemas.

No domain here: the token check is handed in by whoever builds the API, so `core` stays free of
accounts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import cache
from typing import Annotated, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.datastructures import MultiValueDict
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import ConfigDict, ValidationInfo, create_model, field_validator
from pydantic_core import PydanticCustomError

from coursebridge.core.errors import DomainError, NotFound
from coursebridge.core.jobs import job_payload
from coursebridge.core.models import Job

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


# --- Errors -------------------------------------------------------------------------------------


class FieldError(Schema):
    field: str | None = Field(description="The input at fault, dotted for nested values (kinds.0).")
    message: str
    type: str = Field(description="The validator's code, e.g. missing, int_parsing, extra_forbidden.")


class ErrorDetail(Schema):
    code: str = Field(
        description="Stable machine code: invalid, read_only, not_found, forbidden, "
        "unauthenticated, malformed_json, validation_error, launch_refused…"
    )
    message: str = Field(description="What went wrong, written for the person using the client.")
    field: str | None = Field(description="The input at fault, when there is one.")
    errors: list[FieldError] | None = Field(
        default=None, description="Every problem found, for validation errors (the first is `field`)."
    )


class ErrorOut(Schema):
    """Every error the API returns has this shape."""

    error: ErrorDetail


# Listed on every operation so the docs show the error shape next to each status.
ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def responses(success: Any, status: int = 200) -> dict[int, Any]:
    """The response map of an operation: its success schema and the error schema for the rest."""
    return {status: success, **ERROR_RESPONSES}


STATUS_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "throttled",
    500: "server_error",
}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JsonResponse:
    detail: dict[str, Any] = {"code": code or STATUS_CODES.get(status, "error"), "message": message, "field": field}
    if errors is not None:
        detail["errors"] = errors
    return JsonResponse({"error": detail}, status=status)


class MalformedJSON(ValueError):
    """The request body is not JSON at all (as opposed to JSON of the wrong shape)."""


# The widest integer every supported database stores (a 64-bit signed integer).
BIGINT_MAX = 2**63 - 1
# Ids in query strings and bodies; a bigger number could not be a row and would overflow the database.
Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]


def _unstorable(text: str) -> bool:
    """NUL characters and lone surrogates: no database column takes them."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_storable(data: Any) -> None:
    """Refuse, naming the field, values that would make the database fail rather than say no:
    strings with NUL characters or lone surrogates, and integers wider than 64 bits."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        field = ".".join(path) or None
        if isinstance(value, str) and _unstorable(value):
            raise DomainError("Text cannot contain NUL characters or unpaired surrogates.", field=field)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > BIGINT_MAX:
            raise DomainError(f"Numbers must lie between -{BIGINT_MAX} and {BIGINT_MAX}.", field=field)
        if isinstance(value, dict):
            for key, item in value.items():
                if _unstorable(key):
                    raise DomainError("Field names cannot contain NUL characters or unpaired surrogates.")
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(index)), item) for index, item in enumerate(value))


class JSONParser(Parser):
    """Ninja's parser, with a precise message for bodies that are not JSON and a check of the
    values no database would store."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except UnicodeDecodeError as exc:
            raise MalformedJSON("The request body is not UTF-8 encoded JSON.") from exc
        except json.JSONDecodeError as exc:
            raise MalformedJSON(
                f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc
        except RecursionError as exc:
            raise MalformedJSON("The request body is nested too deeply.") from exc
        _check_storable(data)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        for key, values in data.lists():
            if any(isinstance(v, str) and _unstorable(v) for v in values):  # uploads come through here too
                raise DomainError("Text cannot contain NUL characters.", field=key)
        return super().parse_querydict(data, list_fields, request)


def _field_of(loc: Sequence[Any]) -> str | None:
    """("body", "payload", "kinds", 0) -> "kinds.0"; ("query", "limit") -> "limit"."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)  # the name of the view's body argument, meaningless to the client
    return ".".join(str(p) for p in parts) or None


def _message_of(error: dict[str, Any], field: str | None) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return f"Unknown field '{field}'."
    if kind == "missing":
        return f"'{field}' is required." if field else "A JSON body is required."
    if field is None and kind in {"model_attributes_type", "dict_type", "model_type"}:
        return "The request body must be a JSON object."
    text = str(error.get("msg", "Invalid value."))
    return f"{field}: {text}." if field else f"{text}."


def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: list[dict[str, Any]] = []
    for error in exc.errors:
        field = _field_of(error.get("loc", ()))
        errors.append({"field": field, "message": _message_of(error, field), "type": str(error.get("type", ""))})
    if not errors:
        return error_response(422, "The request is not valid.", code="validation_error", errors=[])
    first = errors[0]
    return error_response(422, first["message"], code="validation_error", field=first["field"], errors=errors)


def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(exc.status, exc.message, code=exc.code, field=exc.field)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # the parser refused a value of the body
        return _domain_error(request, exc.__cause__)
    if isinstance(exc.__cause__, MalformedJSON):
        return error_response(400, str(exc.__cause__), code="malformed_json")
    if isinstance(exc, AuthenticationError):
        response = error_response(
            401,
            "Sign in, or send 'Authorization: Bearer <token>' with a personal API token.",
            code="unauthenticated",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    return error_response(exc.status_code, str(exc))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, ObjectDoesNotExist):
        name = type(exc).__qualname__.split(".")[0]
        return error_response(404, f"No such {name.lower()} here.")
    return error_response(404, "There is nothing at this address.")


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, str(exc) or "You are not allowed to do this.")


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "Something went wrong on our side. The error has been logged.")


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error becomes {"error": {"code", "message", "field"}}; never a traceback."""
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (NinjaValidationError, _validation_error),
        (DomainError, _domain_error),
        (HttpError, _http_error),
        (Http404, _not_found),
        (ObjectDoesNotExist, _not_found),
        (DjangoPermissionDenied, _forbidden),
        (Exception, _server_error),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers an unknown method with a plain-text 405; give it the JSON error shape."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            replacement = error_response(405, f"{request.method} is not allowed here. Allowed: {allowed}.")
            replacement["Allow"] = allowed
            return replacement
        return response

    wrapper.__dict__.update(getattr(view, "__dict__", {}))  # keeps csrf_exempt
    wrapper.__name__ = getattr(view, "__name__", "api_view")
    wrapper.__doc__ = view.__doc__
    return wrapper


# --- Authentication -----------------------------------------------------------------------------


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer cb_…`, a personal API token (create one with POST /api/me/tokens)."""

    def __init__(self, authenticate: Callable[..., Any]) -> None:
        self._authenticate = authenticate
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        # Ninja's own parsing logs an unexpected header in DEBUG; a header can hold a token, so never.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return self._authenticate(clear=token)


class SessionAuth(APIKeyCookie):
    """The browser's signed-in session. Unsafe methods must carry the CSRF token (X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # not signed in: the API answers 401, not a CSRF error
        if request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise CsrfFailed("The CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


# --- Input schemas ------------------------------------------------------------------------------


class InputSchema(Schema):
    """Request bodies: an unknown field is an error that names it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(InputSchema):
    """A partial update: only the fields sent change (read them with `changes()`). Every field is
    optional, and null is refused (422 naming the field) except for the ones in `nullable`."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise PydanticCustomError("null_refused", "It cannot be null; leave the field out to keep its value")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


# --- Pagination ---------------------------------------------------------------------------------


class PageParams(Schema):
    limit: int | None = Field(
        default=None,
        description="How many items to return: 1 to API_MAX_PAGE_SIZE (200); default API_DEFAULT_PAGE_SIZE "
        "(50). A bigger value is refused with 400, never silently capped.",
    )
    offset: int = Field(default=0, description="How many items to skip (0 or more).")


def page_bounds(page: PageParams) -> tuple[int, int]:
    """The checked (limit, offset) of a request."""
    maximum = int(settings.API_MAX_PAGE_SIZE)
    limit = int(settings.API_DEFAULT_PAGE_SIZE) if page.limit is None else page.limit
    if not 1 <= limit <= maximum:
        raise DomainError(f"limit must be between 1 and {maximum}; got {limit}.", field="limit")
    if not 0 <= page.offset <= BIGINT_MAX:
        raise DomainError(f"offset must be between 0 and {BIGINT_MAX}; got {page.offset}.", field="offset")
    return limit, page.offset


def page_body(request: HttpRequest, items: list[Any], count: int, limit: int, offset: int) -> dict[str, Any]:
    """{"items", "count", "limit", "offset", "next"}; `next` is the address of the following page."""
    next_url = None
    if offset + limit < count:
        query = request.GET.copy()
        query["limit"] = str(limit)
        query["offset"] = str(offset + limit)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"items": items, "count": count, "limit": limit, "offset": offset, "next": next_url}


def paginate(request: HttpRequest, source: QuerySet[Any] | Sequence[Any], page: PageParams) -> dict[str, Any]:
    """One page of a queryset (counted and sliced in the database) or of a list."""
    limit, offset = page_bounds(page)
    if isinstance(source, QuerySet):
        count = source.count()
        items = list(source[offset : offset + limit]) if offset < count else []
    else:
        count = len(source)
        items = list(source[offset : offset + limit])
    return page_body(request, items, count, limit, offset)


@cache
def paged(item: type[Schema]) -> type[Schema]:
    """The page schema of an item schema, named after it (CourseOut -> CourseOutPage)."""
    model: type[Schema] = create_model(
        f"{item.__name__}Page",
        __base__=Schema,
        __doc__=f"One page of {item.__name__} items.",
        items=(list[item], ...),  # type: ignore[valid-type]
        count=(int, Field(description="How many items match, over all pages.")),
        limit=(int, ...),
        offset=(int, ...),
        next=(str | None, Field(description="The address of the next page, or null on the last one.")),
    )
    return model


# --- Background jobs ------------------------------------------------------------------------------


class JobOut(Schema):
    id: int
    kind: str
    status: str = Field(description="queued, running, succeeded or failed.")
    percent: int
    done: int
    total: int
    counts: dict[str, int]
    error: str
    stalled: bool = Field(description="true when the worker running it stopped answering (its lease ran out).")
    download_url: str | None = Field(description="The result file, once the job succeeded.")


jobs_router = Router()


@jobs_router.get("/jobs/{job_id}", response=responses(JobOut), tags=["jobs"], summary="Follow a background job")
def job_get(request: HttpRequest, job_id: int) -> dict[str, object]:
    """A job you started (site admins: any job): its status, progress and, when done, its file."""
    user = request.auth  # type: ignore[attr-defined]
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not (user.is_superuser or (job.created_by_id == user.pk and job.academy_id == user.academy_id)):
        raise NotFound("No such job.")
    return job_payload(job)
