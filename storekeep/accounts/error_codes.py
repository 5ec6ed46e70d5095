"""Error codes of the accounts app (staff management, issue 12). One code, one HTTP status."""

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    #: 400: a password Django's validators (``AUTH_PASSWORD_VALIDATORS``) refuse;
    #: ``details["password"]`` lists their messages.
    PASSWORD_REJECTED = "password_rejected"
