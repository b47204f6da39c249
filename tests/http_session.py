"""A person at a browser without the browser: an httpx client that keeps cookies, signs in through the
login form and posts forms with their CSRF token, against a live server over real HTTP."""

from __future__ import annotations

import re
from typing import Any

import httpx

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpSession:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def csrf_token(self, page_url: str) -> str:
        """The form token the page at page_url carries (the cookie comes with it)."""
        page = self.client.get(page_url)
        found = CSRF_FIELD.search(page.text)
        assert found, f"{page_url} ({page.status_code}) has no form with a CSRF token"
        return found.group(1)

    def submit(self, page_url: str, action: str, data: dict[str, Any], *,
               follow_redirects: bool = True) -> httpx.Response:
        """Post a form found on page_url to action, as the browser would (a list value posts the field
        once per item, like ticked checkboxes)."""
        token = self.csrf_token(page_url)
        return self.client.post(action, data={"csrfmiddlewaretoken": token, **data},
                                headers={"Referer": str(self.client.base_url.join(page_url))},
                                follow_redirects=follow_redirects)

    def sign_in(self, login_url: str, username: str, password: str) -> httpx.Response:
        answer = self.submit(login_url, login_url, {"username": username, "password": password})
        assert "sessionid" in self.client.cookies, f"{username} could not sign in at {login_url}: {answer.status_code}"
        return answer
