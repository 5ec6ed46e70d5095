"""OpenAPI security schemes for the project's credential classes (SPEC §10).

Loaded by ``AccountsConfig.ready``. Names match ``SPECTACULAR_SETTINGS["APPEND_COMPONENTS"]``.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "storekeep.accounts.authentication.BearerTokenAuthentication"
    name = "Bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Bearer sk_<tenant>_<secret>` from POST /api/v1/auth/token",
        }


class RegisterTokenScheme(OpenApiAuthenticationExtension):
    target_class = "storekeep.pos.authentication.RegisterTokenAuthentication"
    name = "Register"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Register <token>` from opening a register session",
        }
