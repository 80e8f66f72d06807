"""Captures real Python exceptions of the named kinds in one release, with the real
sentry-sdk: each kind raises its own exception type from its own function, so each
kind is its own issue.

Usage: python python_releases.py <dsn> <release> <kind>...   (kinds: cart, checkout, search)
"""

import sys

import sentry_sdk


def cart():
    raise KeyError("cart")


def checkout():
    raise ValueError("checkout")


def search():
    raise TypeError("search")


def main():
    dsn, release, kinds = sys.argv[1], sys.argv[2], sys.argv[3:]
    sentry_sdk.init(dsn=dsn, release=release, environment="production")
    for kind in kinds:
        try:
            {"cart": cart, "checkout": checkout, "search": search}[kind]()
        except Exception as error:  # noqa: BLE001 - each kind raises its own type
            sentry_sdk.capture_exception(error)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main()
