"""OpenSesame's payloads (the wire format of its content API, which our marketplace speaks too). The
envelope is validated strictly; items one by one, so one bad course does not sink a page."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator


class Token(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1)
    token_type: str = "Bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int = Field(default=3600, ge=0)


class Paging(BaseModel):
    model_config = ConfigDict(extra="ignore")

    next: str | None = None

    @field_validator("next", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value in ("", False) else value


class Envelope(BaseModel):
    """One page: `data` is kept raw and validated item by item."""

    model_config = ConfigDict(extra="ignore")

    data: list[Any]
    paging: Paging = Field(default_factory=Paging)


TRUE_WORDS = {"1", "true", "yes", "active"}
FALSE_WORDS = {"0", "false", "no", "inactive", ""}


class Course(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    descriptionText: str | None = ""
    descriptionHtml: str | None = ""
    imageUrl: HttpUrl | None = None
    thumbnailUrl: HttpUrl | None = None
    duration: str | None = ""
    languages: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    publisherName: str | None = ""
    packageDownloadUrl: str | None = None
    aiccLaunchUrl: HttpUrl
    active: bool

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value.strip() if isinstance(value, str) else value

    @field_validator("imageUrl", "thumbnailUrl", mode="before")
    @classmethod
    def _empty_url(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("languages", "categories", mode="before")
    @classmethod
    def _list_of_text(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return value

    @field_validator("active", mode="before")
    @classmethod
    def _one_or_zero(cls, value: Any) -> Any:
        """OpenSesame sends 1 / 0; our marketplace true / false; both are read."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if value in (0, 1):
                return bool(value)
            raise ValueError("active is 1 or 0")
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise ValueError("active is 1 or 0 (or true or false)")
