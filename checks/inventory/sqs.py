"""SQS inventory: queues with their encryption attributes and tags, once per (account, region).

One paginated ``list_queues``, then per queue ``get_queue_attributes`` (only the
encryption attributes and the ARN) and ``list_queue_tags``. A refused per-queue call
is kept on the queue (``error``); a queue deleted since the listing is dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from checks.inventory.core import Inventory, error_code_of, paginate

QUEUE_GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
ATTRIBUTES = ["QueueArn", "KmsMasterKeyId", "SqsManagedSseEnabled"]


@dataclass
class Queue:
    name: str
    url: str
    arn: str = ""
    kms_key_id: str = ""  # SSE-KMS key; "" when none
    sqs_managed_sse: bool = False  # SSE-SQS
    error: tuple[str, str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def queues(inv: Inventory) -> list[Queue]:
    """Every SQS queue in this region with how it is encrypted at rest, and its tags."""

    def fetch() -> list[Queue]:
        sqs = inv.client("sqs")
        out: list[Queue] = []
        for url in paginate(sqs, "list_queues", "QueueUrls"):
            q = Queue(url.rsplit("/", 1)[-1], url)
            try:
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES).get("Attributes", {})
                q.arn = attrs.get("QueueArn", "")
                q.kms_key_id = attrs.get("KmsMasterKeyId") or ""
                q.sqs_managed_sse = str(attrs.get("SqsManagedSseEnabled", "false")).lower() == "true"
                q.tags = dict(sqs.list_queue_tags(QueueUrl=url).get("Tags") or {})
            except ClientError as exc:
                code, msg = error_code_of(exc)
                if code in QUEUE_GONE:
                    continue
                q.error = (code, msg)
            out.append(q)
        return out

    return inv.memo("sqs.queues", fetch)
