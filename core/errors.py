"""Domain errors raised by services. Views and the API map ``status`` to an HTTP code."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(DomainError):
    status = 400


class NotAllowed(DomainError):
    """The actor may not do this (wrong role or outside their subtree)."""

    status = 403


class WrongState(DomainError):
    """The object is not in a state that allows this change."""

    status = 409
