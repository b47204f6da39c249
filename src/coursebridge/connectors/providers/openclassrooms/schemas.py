"""The OpenClassrooms partner API's payloads, as docs/connectors/openclassrooms.md assumes them.
The envelope is validated strictly; items one by one, so one bad course does not sink a page."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator


class Token(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1)
    token_type: str = "Bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int = 3600


class Pagination(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    total_items: int = Field(ge=0)
    total_pages: int = Field(ge=0)


class Envelope(BaseModel):
    """A page of anything: `data` is kept raw and validated item by item."""

    model_config = ConfigDict(extra="ignore")

    data: list[dict[str, Any]]
    pagination: Pagination


class Course(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    description: str = ""
    duration_minutes: int | None = Field(default=None, ge=0, le=10_000_000)
    language: str = Field(default="", max_length=35)
    image_url: HttpUrl | None = None
    url: HttpUrl
    status: str = Field(min_length=1, max_length=60)
    categories: list[str] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("image_url", mode="before")
    @classmethod
    def _empty_image(cls, value: Any) -> Any:
        return None if value == "" else value


class LearnerStatistic(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_email: str = Field(min_length=3, max_length=254)
    course_id: str = Field(min_length=1, max_length=200)
    progress: int = Field(ge=0, le=100)
    theoretical_duration_minutes: int = Field(ge=0, le=10_000_000)

    @field_validator("course_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
