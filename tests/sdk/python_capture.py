"""Raises and captures a real Python exception with the real sentry-sdk.

Usage: python python_capture.py <dsn> <times>
"""

import sys

import sentry_sdk


def checkout(cart_id):
    raise ValueError(f"card declined for cart {cart_id}")


def main():
    dsn, times = sys.argv[1], int(sys.argv[2])
    sentry_sdk.init(dsn=dsn, release="shop@1.2.3", environment="staging")
    sentry_sdk.set_tag("customer_tier", "gold")
    sentry_sdk.set_user({"id": "user-7", "email": "buyer@example.test"})
    for attempt in range(times):
        try:
            checkout(attempt)
        except ValueError as error:
            sentry_sdk.capture_exception(error)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main()
