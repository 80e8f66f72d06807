"""Raises and captures a real Python exception in an in-app function, for the web UI test.

Usage: python python_charge.py <dsn>
"""

import sys

import sentry_sdk


def charge_card(order):
    raise ValueError(f"card declined for order {order['id']}")


def main():
    sentry_sdk.init(dsn=sys.argv[1], release="shop@2.0.0", environment="production")
    sentry_sdk.set_tag("customer_tier", "gold")
    try:
        charge_card({"id": 42, "total": "19.99"})
    except ValueError as error:
        sentry_sdk.capture_exception(error)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main()
