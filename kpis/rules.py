"""Who may import facts, undo imports, trigger recomputes and see job history."""

from typing import Any

import rules

from channelhub.lib.roles import has_any_role, is_admin, is_marketing_manager, is_partner_manager

is_manager = is_admin | is_marketing_manager | is_partner_manager

rules.add_perm("kpis.view_kpisnapshot", has_any_role)
rules.add_perm("kpis.add_importrun", is_admin | is_marketing_manager)
rules.add_perm("kpis.undo_importrun", is_admin | is_marketing_manager)
rules.add_perm("kpis.view_importrun", is_manager)


@rules.predicate
def uploaded_it(user: Any, run: Any) -> bool:
    """The mapping step of an upload is answered by whoever uploaded it."""
    return run is not None and run.created_by_id == user.pk


@rules.predicate
def owns_source(user: Any, source: Any) -> bool:
    return source is not None and source.owner_id == user.pk


rules.add_perm("kpis.map_importrun", is_admin | (is_marketing_manager & uploaded_it))
# Import sources: every manager sees them and every marketing manager imports
# with any of them; only the one who saved a source changes or deletes it.
rules.add_perm("kpis.view_source", is_manager)
rules.add_perm("kpis.add_source", is_admin | is_marketing_manager)
rules.add_perm("kpis.change_source", is_admin | (is_marketing_manager & owns_source))
rules.add_perm("kpis.delete_source", is_admin | (is_marketing_manager & owns_source))
rules.add_perm("kpis.view_exchangerate", is_manager)
rules.add_perm("kpis.add_exchangerate", is_admin | is_marketing_manager)
# Recomputes follow every import on their own; starting one by hand is a data
# operation on channels, which marketing managers own (partner managers read the
# history of runs, they do not start them).
rules.add_perm("kpis.add_recomputerun", is_admin | is_marketing_manager)
rules.add_perm("kpis.view_recomputerun", is_manager)


@rules.predicate
def manages_feedback_partner(user: Any, partner: Any) -> bool:
    """A partner manager records feedback about a partner they manage (not channel-wide)."""
    return partner is not None and getattr(partner, "manager_id", None) == user.pk


rules.add_perm("kpis.view_customerfeedback", has_any_role)
rules.add_perm(
    "kpis.add_customerfeedback",
    is_admin | is_marketing_manager | (is_partner_manager & manages_feedback_partner),
)
# Importing a whole file of feedback (any channel) is for marketing managers.
rules.add_perm("kpis.import_customerfeedback", is_admin | is_marketing_manager)

# Review packs: everyone with a role reads them and their archive; marketing
# managers define, change, delete and render them.
rules.add_perm("kpis.view_reviewpack", has_any_role)
for action in ("add", "change", "delete", "render"):
    rules.add_perm(f"kpis.{action}_reviewpack", is_admin | is_marketing_manager)


# Modeled ROI: everyone with a role reads the model, its runs, events, lift
# tests and plans; marketing managers (who run the budget) start fits, choose
# each channel's cost basis and record events, lift tests and plans. An event,
# lift test or plan is changed or deleted by the marketing manager who
# recorded it (or an administrator).
@rules.predicate
def created_it(user: Any, obj: Any) -> bool:
    return obj is not None and getattr(obj, "created_by_id", None) == user.pk


rules.add_perm("kpis.view_modelrun", has_any_role)
rules.add_perm("kpis.add_modelrun", is_admin | is_marketing_manager)
rules.add_perm("kpis.change_modelchannelsetting", is_admin | is_marketing_manager)
for model in ("modelevent", "lifttest", "budgetplan"):
    rules.add_perm(f"kpis.view_{model}", has_any_role)
    rules.add_perm(f"kpis.add_{model}", is_admin | is_marketing_manager)
    rules.add_perm(f"kpis.change_{model}", is_admin | (is_marketing_manager & created_it))
    rules.add_perm(f"kpis.delete_{model}", is_admin | (is_marketing_manager & created_it))


# Email alerts: a marketing or partner manager subscribes to new attention
# items; a subscription is its owner's alone (another user's: not found).
@rules.predicate
def owns_subscription(user: Any, subscription: Any) -> bool:
    return subscription is not None and getattr(subscription, "user_id", None) == user.pk


rules.add_perm("kpis.view_alertsubscription", is_manager)
rules.add_perm("kpis.add_alertsubscription", is_manager)
rules.add_perm("kpis.change_alertsubscription", is_manager & owns_subscription)
rules.add_perm("kpis.delete_alertsubscription", is_manager & owns_subscription)
