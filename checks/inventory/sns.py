"""SNS inventory: topics with their attributes and tags, once per (account, region).

One paginated ``list_topics``, then per topic ``get_topic_attributes`` and
``list_tags_for_resource``. A refused per-topic call is kept on the topic (``error``)
so only that topic reports ERROR; a topic deleted since the listing is dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from checks.base import tags_of
from checks.inventory.core import Inventory, error_code_of, paginate

TOPIC_GONE = "NotFound"


@dataclass
class Topic:
    name: str
    arn: str
    kms_key_id: str = ""  # KmsMasterKeyId; "" when the topic is not encrypted at rest
    error: tuple[str, str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def topics(inv: Inventory) -> list[Topic]:
    """Every SNS topic in this region with its KMS key and tags."""

    def fetch() -> list[Topic]:
        sns = inv.client("sns")
        out: list[Topic] = []
        for t in paginate(sns, "list_topics", "Topics"):
            arn = t["TopicArn"]
            topic = Topic(arn.rsplit(":", 1)[-1], arn)
            try:
                attrs = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {})
                topic.kms_key_id = attrs.get("KmsMasterKeyId") or ""
                topic.tags = tags_of(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
            except ClientError as exc:
                code, msg = error_code_of(exc)
                if code == TOPIC_GONE:
                    continue
                topic.error = (code, msg)
            out.append(topic)
        return out

    return inv.memo("sns.topics", fetch)
