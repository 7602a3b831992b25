"""Who may see and change channels and their objectives: the one place it is decided."""

from typing import Any

import rules

from channelhub.lib.roles import has_any_role, is_admin, is_marketing_manager, is_partner_manager

can_manage_channels = is_admin | is_marketing_manager

rules.add_perm("channels_app.view_channel", has_any_role)
rules.add_perm("channels_app.add_channel", can_manage_channels)
rules.add_perm("channels_app.change_channel", can_manage_channels)
rules.add_perm("channels_app.delete_channel", is_admin)
# Objectives are part of the channel's plan: whoever edits the channel edits them.
rules.add_perm("channels_app.view_channelobjective", has_any_role)
rules.add_perm("channels_app.add_channelobjective", can_manage_channels)
rules.add_perm("channels_app.change_channelobjective", can_manage_channels)
rules.add_perm("channels_app.delete_channelobjective", can_manage_channels)

# Brand audits check a channel against the brand: whoever runs channels
# records them; everyone with a role reads them.
rules.add_perm("channels_app.view_brandaudit", has_any_role)
rules.add_perm("channels_app.add_brandaudit", can_manage_channels)
rules.add_perm("channels_app.change_brandaudit", can_manage_channels)


# The brand library: marketing publishes for every channel; a partner manager
# for the channels their partners sell through (they hand the material to
# those partners). A channel's partners are read through the relation the
# partners app declares (Channel.partners), never by importing it.
@rules.predicate
def manages_a_partner_in_channel(user: Any, obj: Any) -> bool:
    channel = getattr(obj, "channel", obj)
    if channel is None or not getattr(user, "pk", None):
        return False
    return bool(channel.partners.filter(manager_id=user.pk).exists())


can_publish_library = has_any_role & (
    is_admin | is_marketing_manager | (is_partner_manager & manages_a_partner_in_channel)
)

rules.add_perm("channels_app.view_libraryitem", has_any_role)
# On a channel: publish a new item in its library.
rules.add_perm("channels_app.add_libraryitem", can_publish_library)
# On an item: replace its file (a new version) or withdraw it.
rules.add_perm("channels_app.change_libraryitem", can_publish_library)
