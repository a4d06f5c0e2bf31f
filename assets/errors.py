"""Domain errors shared by every app (assets is the lowest layer, so markets and forecasting may import it).

Services raise these; one handler maps them to HTTP responses (API) or messages (pages)."""


class DomainError(Exception):
    """A rule of the domain refused the action. ``field`` names the input at fault, when there is one."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        if self.field:
            return {self.field: [self.message]}
        return {"detail": self.message}


class ValidationError(DomainError):
    """Input is malformed or out of range (HTTP 400)."""


class StateError(DomainError):
    """The object is not in a state that allows the action, e.g. forecasting on a closed question (HTTP 409)."""

    status_code = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
