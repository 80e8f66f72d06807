"""Reports cron check-ins with the real sentry-sdk: the @monitor decorator around a
job that succeeds and one that fails, and capture_checkin by hand.

Usage: python python_crons.py <dsn>
"""

import sys
import time

import sentry_sdk
from sentry_sdk.crons import capture_checkin, monitor
from sentry_sdk.crons.consts import MonitorStatus

CONFIG = {
    "schedule": {"type": "interval", "value": 1, "unit": "hour"},
    "checkin_margin": 5,
    "max_runtime": 15,
    "timezone": "Europe/Vienna",
}


@monitor(monitor_slug="py-import", monitor_config=CONFIG)
def import_job():
    time.sleep(0.2)


@monitor(monitor_slug="py-import", monitor_config=CONFIG)
def failing_import_job():
    raise RuntimeError("upstream gone")


def main():
    sentry_sdk.init(dsn=sys.argv[1], environment="prod", release="jobs@1.0")
    import_job()
    try:
        failing_import_job()
    except RuntimeError:
        pass
    check_in_id = capture_checkin(
        monitor_slug="py-manual",
        status=MonitorStatus.IN_PROGRESS,
        monitor_config={"schedule": {"type": "crontab", "value": "0 4 * * *"}},
    )
    capture_checkin(
        monitor_slug="py-manual",
        check_in_id=check_in_id,
        status=MonitorStatus.OK,
        duration=2.5,
    )
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main()
