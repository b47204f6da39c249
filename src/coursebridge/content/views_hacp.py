"""The HACP endpoint AICC content posts to (the aicc_url of a launch).

Outside any academy and without cookies: the aicc_sid in the message is the credential, and it
leads to exactly one unit state. Content posts from another origin, by XMLHttpRequest (so CORS
headers, and an answer to the preflight) or by a form in a hidden frame (so no CSRF check and no
X-Frame-Options refusal).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from coursebridge.content import hacp
from coursebridge.content.aicc_runtime import hacp_handle

# Every answer may be read from any origin, and none is cached. Only the preflight (OPTIONS) needs
# the methods and headers allowed and how long to remember them: browsers read those there only.
REPLY_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
PREFLIGHT_HEADERS = {
    **REPLY_HEADERS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
CONTENT_TYPE = "text/plain; charset=utf-8"


def _reply(text: str, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(text, content_type=CONTENT_TYPE, status=status)
    for name, value in {**REPLY_HEADERS, **headers}.items():
        response[name] = value
    return response


@csrf_exempt
@xframe_options_exempt
def hacp_endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _reply("", status=204, **PREFLIGHT_HEADERS)
    if request.method != "POST":
        body = (
            hacp.response(hacp.INVALID_COMMAND)
            + "HACP messages are sent with POST, as application/x-www-form-urlencoded fields: "
            "command, version, session_id, aicc_data." + hacp.CRLF
        )
        return _reply(body, status=405, Allow="POST, OPTIONS")
    try:
        if request.content_type == "multipart/form-data":
            message: bytes | hacp.HacpRequest = hacp.request_from_fields(request.POST.dict())
        else:
            message = request.body
    except RequestDataTooBig:
        return _reply(hacp.response(hacp.INVALID_COMMAND), status=413)
    return _reply(hacp_handle(message))
