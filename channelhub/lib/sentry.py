"""Error reports to Sentry, only when SENTRY_DSN is set (nothing is sent otherwise)."""

from __future__ import annotations


def sentry_init(dsn: str, *, environment: str, traces_sample_rate: float) -> bool:
    """Start the Sentry SDK with the Django and Celery integrations; False without a DSN."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        # No user names, emails, IP addresses, cookies or request bodies.
        send_default_pii=False,
        max_request_body_size="never",
    )
    return True
