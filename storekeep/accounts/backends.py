"""Authentication backends (``AUTHENTICATION_BACKENDS``)."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in ``AUTHENTICATION_BACKENDS``.

    A locked-out username or address is refused before any password is compared
    (see :mod:`storekeep.accounts.throttle`). ``authenticate()`` without a request
    (Django's test client ``login()``, a shell) has no client to count and is not
    throttled; every sign-in served over HTTP passes its request through
    ``check_credentials``.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
