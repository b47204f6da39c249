"""Course descriptions come from providers and admins as HTML. Only a strict allowlist of plain
formatting tags survives, without attributes except a link's http(s)/mailto address; everything
else is dropped and all text is escaped. Plain text keeps its paragraphs and line breaks."""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "blockquote", "code", "pre", "h3", "h4", "h5",
     "a"}
)
VOID_TAGS = frozenset({"br"})
# Tags whose content is not text for a reader: dropped with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "title", "head",
     "textarea", "select", "button"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
SELF_CLOSING_SIBLINGS = frozenset({"li", "p"})
MARKUP_RE = re.compile(r"<[a-zA-Z/!?]")


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        if tag in VOID_TAGS:
            self.out.append(f"<{tag}>")
            return
        if tag in SELF_CLOSING_SIBLINGS and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)  # "<li>one<li>two": the second item ends the first
        if tag == "a":
            href = next((value for name, value in attrs if name == "href" and value), "")
            if urlsplit(href.strip()).scheme.lower() in LINK_SCHEMES:
                self.out.append(f'<a href="{escape(href.strip(), quote=True)}" rel="nofollow noopener noreferrer">')
            else:
                self.out.append("<a>")
        else:
            self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            return
        if not self.dropping and tag in VOID_TAGS:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in self.open:
            return
        # Close whatever was left open inside this element, so the output stays well nested.
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitize_html(value: str) -> SafeString:
    """Safe HTML for a description: allowlisted tags from HTML input, paragraphs from plain text."""
    value = (value or "").strip()
    if not value:
        return mark_safe("")
    if not MARKUP_RE.search(value):
        return mark_safe(linebreaks(unescape(value), autoescape=True))  # noqa: S308 - escaped by linebreaks
    sanitizer = _Sanitizer()
    sanitizer.feed(value)
    return mark_safe(sanitizer.result())  # noqa: S308 - every tag is allowlisted and all text escaped above
