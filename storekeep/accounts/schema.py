"""OpenAPI security schemes for the project's credential classes (SPEC §10).

Loaded by ``AccountsConfig.ready``. Each operation lists the schemes of its view's
authentication classes (``Bearer`` everywhere; ``Register`` first on the till's calls), so
Swagger UI's "Authorize" offers both and sends the right header.
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
            "description": "The till's credential: enter `Register <token>` (the word "
            "`Register`, a space, then the `token` answered by "
            "`POST /api/v1/pos/registers/{id}/sessions`).",
        }
