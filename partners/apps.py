from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The sub-domains that react to writes of the ones below them
        # (partners.extensions says why it is a signal).
        from .access.services import _on_claim_decided, _on_deal_decided
        from .activity.services import _on_partner_review_schedule_changed
        from .attention.services import _on_partner_attention_changed
        from .extensions import (
            claim_decided,
            deal_decided,
            partner_attention_changed,
            partner_review_schedule_changed,
        )

        partner_review_schedule_changed.connect(
            _on_partner_review_schedule_changed, dispatch_uid="partners.review_schedule"
        )
        partner_attention_changed.connect(
            _on_partner_attention_changed, dispatch_uid="partners.attention_flags"
        )
        deal_decided.connect(_on_deal_decided, dispatch_uid="partners.portal_deal_decided")
        claim_decided.connect(_on_claim_decided, dispatch_uid="partners.portal_claim_decided")
