"""Every model of the channels app, for Django's app registry and for the apps
above (`from channels_app.models import Channel`). Each lives in its
sub-domain's package:

- channels: the channels a business sells through and the objectives set for each
- audits: brand consistency audits of a channel, item by item
- library: brand assets and sales collateral published per channel, in versions
"""

from channels_app.audits.models import BrandAudit, BrandAuditItem
from channels_app.channels.models import Channel, ChannelObjective
from channels_app.library.models import LibraryItem, LibraryVersion

__all__ = [
    "BrandAudit",
    "BrandAuditItem",
    "Channel",
    "ChannelObjective",
    "LibraryItem",
    "LibraryVersion",
]
