"""Who may hold and revoke personal API tokens: the one place it is decided."""

from __future__ import annotations

from typing import Any

import rules

from channelhub.lib.roles import has_any_role


@rules.predicate
def owns_token(user: Any, token: Any) -> bool:
    return token is not None and token.user_id == user.pk


# A token carries its user's permissions and nothing more; an account with no
# role could do nothing with one, so it gets none.
rules.add_perm("channelhub.add_apitoken", has_any_role)
rules.add_perm("channelhub.view_apitoken", owns_token)
rules.add_perm("channelhub.delete_apitoken", owns_token)
