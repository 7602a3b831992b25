"""Who may see and change channels and their objectives: the one place it is decided."""

import rules

from channelhub.lib.roles import has_any_role, is_admin, is_marketing_manager

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
