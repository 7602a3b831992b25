# Browser fixtures for the cross-app and browser tests in this folder.
from tests.browser import browser, page  # noqa: F401
