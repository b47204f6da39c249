import pytest

from coursebridge.core.errors import Conflict, DomainError, LaunchRefused, NotFound, PermissionDenied


@pytest.mark.parametrize(
    ("error_class", "code", "status"),
    [
        (DomainError, "invalid", 400),
        (NotFound, "not_found", 404),
        (PermissionDenied, "forbidden", 403),
        (Conflict, "conflict", 409),
        (LaunchRefused, "launch_refused", 403),
    ],
)
def test_each_error_carries_its_code_status_message_and_field(error_class, code, status):
    error = error_class("Something is wrong.", field="title")

    assert isinstance(error, DomainError)
    assert (error.code, error.status, error.message, error.field) == (code, status, "Something is wrong.", "title")
    assert str(error) == "Something is wrong."
    assert error.args == ("Something is wrong.",)


def test_field_defaults_to_none():
    assert DomainError("No field.").field is None


def test_a_code_given_overrides_the_class_code_for_that_error_only():
    error = DomainError("Set by the provider.", field="title", code="read_only")

    assert error.code == "read_only"
    assert error.status == 400
    assert DomainError("Other.").code == "invalid"
    assert NotFound("Gone.", code="").code == "not_found"


def test_errors_can_be_raised_and_caught_as_domain_errors():
    with pytest.raises(DomainError) as exc:
        raise Conflict("Taken.", field="slug")

    assert (exc.value.code, exc.value.field) == ("conflict", "slug")
