"""Logging for the long-running commands (`srm serve`, `srm schedule run`): text or JSON lines.

The AWS and HTTP libraries log every retry and connection at INFO/DEBUG; they are held
at WARNING so the bot's own lines stay readable (a throttled scan still shows as an
ERROR finding and in the scan summary).
"""
from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("botocore", "boto3", "urllib3", "s3transfer", "waitress.queue", "slack_sdk.http_retry")


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
