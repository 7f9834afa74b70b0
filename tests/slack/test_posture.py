"""`/srm posture` end to end: a signed slash command over HTTP, answered in the acknowledgement."""
from __future__ import annotations

import json
import re

from tests.factories import finding, run_of
from tests.slack.conftest import ACCOUNT_ID

ROTATION = "kms_key_rotation_enabled"  # CIS 3.6
TLS_ONLY = "s3_bucket_tls_only_policy"  # CIS 2.1.1, FSBP S3.5


def test_posture_answers_with_the_score_and_the_failing_requirements(slack, services):
    services.incidents.ingest(run_of(finding("key-<1>", check=ROTATION, account=ACCOUNT_ID),
                                     finding("logs", "PASS", check=TLS_ONLY, account=ACCOUNT_ID)))
    r = slack.command("posture")
    assert r.status == 200
    said = json.dumps(r.json, ensure_ascii=False)
    # score = passing / covered automated requirements: the denominator grows with the registry
    assert re.match(r"CIS Amazon Web Services Foundations Benchmark v4\.0\.0: score \d+%, coverage \d+%$",
                    r.json["text"])
    assert re.search(r"\*Score \d+%\*: 1 of \d+ covered automated requirements pass", said)
    assert "`3.6` Customer-created symmetric KMS keys rotate: 1 failing" in said
    assert "*4 Monitoring*" in said and "key-<1>" not in said  # counts only: no resource is echoed
    fsbp = slack.command("posture fsbp").json
    assert fsbp["text"].startswith("AWS Foundational Security Best Practices v1.0.0: score ")
    assert "1 of " in json.dumps(fsbp) and "failing resource" not in json.dumps(fsbp)  # S3.5 passes
    unknown = slack.command("posture pci-<b>").json
    assert "unknown framework 'pci-&lt;b&gt;'" in unknown["text"]
