"""Optional two-factor sign-in (TOTP codes from an authenticator app, django-otp).

Anyone may enrol on the set-up page (a QR code drawn here as SVG, no outside
service). Once enrolled, signing in with the password is not enough: the
session is held at the code page until a valid code is typed. With the
setting PORTAL_REQUIRE_TWO_FACTOR, partner users must enrol before anything
else. The state lives in the session, set when the password is accepted
(`user_logged_in`), so the check on every request costs no query.
"""
