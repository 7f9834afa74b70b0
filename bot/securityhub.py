"""Push findings to AWS Security Hub (opt-in): import what fails, resolve what passes again.

Security Hub's own rule shapes this: with the account's "default" product ARN, a finding
must be imported *by the account it is about* (``AwsAccountId`` = the caller). So the push
runs per account and per region, through a session for that account (the scanning role
with the separate write policy of ``srm iam-policy --with-securityhub`` attached).

Per (account, region):
1. read back our ACTIVE findings (``GetFindings``: our product ARN, record state ACTIVE);
2. ``BatchImportFindings`` every FAIL finding (ACTIVE, compliance FAILED), in batches of 100,
   under a stable Id (account/region/check/resource), so a second push updates, never duplicates;
   ``CreatedAt`` is kept from the finding already there;
3. every ACTIVE finding of ours that no longer fails in a scope this push covered cleanly (it
   passes, or its resource is gone) is imported again as ARCHIVED with compliance PASSED, then
   ``BatchUpdateFindings`` sets its workflow to RESOLVED (providers may not set Workflow on import).

Findings a call reports as failed (``FailedFindings`` / ``UnprocessedFindings``) are retried
(``max_attempts``, with backoff); what still fails is in the report, never dropped silently.
ERROR findings change nothing: a scope with an ERROR is not clean, so nothing in it is resolved.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

from bot.config import SrmConfig
from bot.exports.asff import DEFAULT_HOME_REGION, asff_finding, home_region_of, product_arn
from bot.exports.common import ExportInput, finding_uid, iso_z
from checks.accounts import home_region
from checks.base import Finding, Status
from checks.inventory.core import RETRY_CONFIG, FetchError, error_code_of
from checks.registry import load_all
from checks.runner import GLOBAL_REGION, Target

BATCH_SIZE = 100  # the most BatchImportFindings and BatchUpdateFindings take per call
GENERATOR_PREFIX = "srm-bot/"
ScopeKey = tuple[str, str, str]  # (account_id, region label, check_id)
ClientFor = Callable[[str, str], Any]  # (account_id, region) -> securityhub client


@dataclass
class PushFailure:
    account_id: str
    region: str
    finding_id: str
    code: str
    message: str


@dataclass
class PushReport:
    imported: int = 0  # FAIL findings imported (new or updated)
    resolved: int = 0  # findings archived and resolved
    retried: int = 0  # findings sent again after a partial failure
    failed: list[PushFailure] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)  # (account, region) pushed

    @property
    def ok(self) -> bool:
        return not self.failed

    def line(self) -> str:
        where = len({a for a, _ in self.regions})
        text = (f"Security Hub: {self.imported} imported, {self.resolved} resolved in {where} account(s), "
                f"{len(self.regions)} region(s)")
        if self.retried:
            text += f"; {self.retried} retried"
        if self.failed:
            text += f"; {len(self.failed)} FAILED (" + ", ".join(sorted({f.code for f in self.failed})) + ")"
        return text


def client_for_targets(targets: Iterable[Target]) -> ClientFor:
    """Security Hub clients through the scan targets' sessions (the account's own credentials)."""
    by_account = {t.account_id: t for t in targets}

    def client_for(account_id: str, region: str) -> Any:
        target = by_account.get(account_id)
        if target is None:
            raise FetchError("NoCredentials", f"account {account_id} is not a configured scan target")
        if target.client_factory is not None:  # an account we could not get into: refuses with the reason
            return target.client_factory("securityhub", region)
        return target.session.client("securityhub", region_name=region, config=RETRY_CONFIG)

    return client_for


def push_run(config: SrmConfig, findings: Iterable[Finding], covered: Iterable[ScopeKey], targets: Iterable[Target],
             *, generated_at: datetime | None = None) -> PushReport:
    """Push one scan's findings through the scan targets' own sessions: the one call behind
    ``srm securityhub push`` and ``securityhub.push_after_scan`` (a scan passes the targets it resolved)."""
    findings, covered = list(findings), list(covered)
    regions = config.aws.regions
    home = config.securityhub.home_region or home_region(regions[0] if isinstance(regions, list) and regions else None)
    accounts = {f.account_id for f in findings} | {a for a, _, _ in covered}
    reachable = [t for t in targets if t.account_id in accounts]
    inp = ExportInput(findings=findings, metas={cid: c.meta for cid, c in load_all().items()},
                      generated_at=generated_at or datetime.now(timezone.utc))
    pusher = SecurityHubPusher(client_for_targets(reachable), home_region=home,
                               partition=reachable[0].partition if reachable else "aws")
    return pusher.push(inp, covered=covered)


def _batches(items: list[Any], size: int = BATCH_SIZE) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def scope_of(f: Finding, covered: set[ScopeKey]) -> ScopeKey:
    """An account-wide check's scope has the region label ``global`` whatever region its findings name."""
    wide = (f.account_id, GLOBAL_REGION, f.check_id)
    return wide if wide in covered else (f.account_id, f.region, f.check_id)


class SecurityHubPusher:
    def __init__(self, client_for: ClientFor, *, partition: str = "aws", home_region: str = DEFAULT_HOME_REGION,
                 max_attempts: int = 3, backoff_s: float = 1.0, sleep: Callable[[float], None] = time.sleep):
        self.client_for = client_for
        self.partition = partition
        self.home_region = home_region
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.sleep = sleep

    # -- public --------------------------------------------------------------------------
    def push(self, inp: ExportInput, covered: Iterable[ScopeKey] | None = None) -> PushReport:
        """Import the FAIL findings of ``inp`` and resolve ours that no longer fail.

        ``covered``: the scopes the findings come from (a run's ``covered``); without it, the scopes
        the findings themselves name. Only findings in covered scopes without an ERROR are resolved.
        """
        covered_set = set(covered) if covered is not None else {(f.account_id, f.region, f.check_id)
                                                                 for f in inp.findings}
        errored = {scope_of(f, covered_set) for f in inp.findings if f.status is Status.ERROR}
        clean = covered_set - errored
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in inp.findings:
            groups.setdefault((f.account_id, home_region_of(f, self.home_region)), []).append(f)
        for account_id, label, _ in clean:  # a clean scope with no finding left can still resolve old ones
            groups.setdefault((account_id, self.home_region if label == GLOBAL_REGION else label), [])
        report = PushReport()
        for (account_id, region), findings in sorted(groups.items()):
            self._push_region(inp, account_id, region, findings, clean, report)
        return report

    # -- one account and region ----------------------------------------------------------
    def _push_region(self, inp: ExportInput, account_id: str, region: str, findings: list[Finding],
                     clean: set[ScopeKey], report: PushReport) -> None:
        arn = product_arn(self.partition, region, account_id)
        try:
            client = self.client_for(account_id, region)
            existing = self._active_findings(client, arn)
        except (ClientError, BotoCoreError, FetchError) as exc:
            code, msg = error_code_of(exc)
            report.failed.append(PushFailure(account_id, region, "*", code, f"cannot read findings: {msg}"))
            return
        report.regions.append((account_id, region))
        failing = {finding_uid(f): f for f in findings if f.status is Status.FAIL}
        passing = {finding_uid(f): f for f in findings if f.status is Status.PASS}
        imports = [self._failing_doc(inp, f, existing.get(uid)) for uid, f in sorted(failing.items())]
        resolve = []
        for uid, doc in sorted(existing.items()):
            account, label, check = self._scope_of_doc(doc)
            if uid in failing or not ({(account, label, check), (account, GLOBAL_REGION, check)} & clean):
                continue
            if uid in passing:
                resolve.append(asff_finding(inp, passing[uid], partition=self.partition,
                                            home_region=self.home_region, created_at=doc.get("CreatedAt")))
            else:  # gone from a clean scope: the resource was deleted
                resolve.append(self._archived(doc, inp))
        report.imported += self._import(client, imports, account_id, region, report)
        archived_ids = self._import(client, resolve, account_id, region, report, return_ids=True)
        report.resolved += self._resolve_workflow(client, arn, archived_ids, account_id, region, report)

    def _failing_doc(self, inp: ExportInput, f: Finding, existing: dict[str, Any] | None) -> dict[str, Any]:
        doc = asff_finding(inp, f, partition=self.partition, home_region=self.home_region,
                           created_at=(existing or {}).get("CreatedAt"))
        if existing is not None:  # Workflow belongs to the people triaging it once the finding exists
            doc.pop("Workflow", None)
        return doc

    def _active_findings(self, client: Any, arn: str) -> dict[str, dict[str, Any]]:
        filters = {"ProductArn": [{"Value": arn, "Comparison": "EQUALS"}],
                   "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
        out: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
        while True:
            page = client.get_findings(**kwargs)
            for doc in page.get("Findings", []):
                # the filter does the work on AWS; checking again costs nothing and guards the rest
                if doc.get("ProductArn") == arn and doc.get("RecordState", "ACTIVE") == "ACTIVE" \
                        and str(doc.get("GeneratorId", "")).startswith(GENERATOR_PREFIX):
                    out[doc["Id"]] = doc
            if not page.get("NextToken"):
                return out
            kwargs["NextToken"] = page["NextToken"]

    @staticmethod
    def _scope_of_doc(doc: dict[str, Any]) -> ScopeKey:
        fields = doc.get("ProductFields") or {}
        account, region, check, _ = (doc["Id"].split("/", 3) + ["", "", ""])[:4]
        return (fields.get("srm/account_id", account), fields.get("srm/region", region),
                fields.get("srm/check_id", check))

    @staticmethod
    def _archived(doc: dict[str, Any], inp: ExportInput) -> dict[str, Any]:
        out = {k: v for k, v in doc.items() if k not in ("Workflow", "WorkflowState", "Note", "UserDefinedFields",
                                                         "VerificationState", "FirstObservedAt")}
        out.update(RecordState="ARCHIVED", UpdatedAt=iso_z(inp.generated_at),
                   Compliance={**doc.get("Compliance", {}), "Status": "PASSED"})
        out["Compliance"].pop("StatusReasons", None)
        return out

    # -- calls with retries --------------------------------------------------------------
    def _import(self, client: Any, docs: list[dict[str, Any]], account_id: str, region: str,
                report: PushReport, *, return_ids: bool = False) -> Any:
        done: list[str] = []
        for batch in _batches(docs):
            pending = {d["Id"]: d for d in batch}
            last: dict[str, tuple[str, str]] = {}
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    report.retried += len(pending)
                    self.sleep(self.backoff_s * 2 ** (attempt - 2))
                try:
                    resp = client.batch_import_findings(Findings=list(pending.values()))
                except (ClientError, BotoCoreError) as exc:
                    code, msg = error_code_of(exc)
                    last = {i: (code, msg) for i in pending}
                    continue
                failed = {f.get("Id", ""): (f.get("ErrorCode", "Error"), f.get("ErrorMessage", ""))
                          for f in resp.get("FailedFindings", [])}
                done += [i for i in pending if i not in failed]
                pending = {i: d for i, d in pending.items() if i in failed}
                last = failed
                if not pending:
                    break
            report.failed += [PushFailure(account_id, region, i, *last.get(i, ("Error", "")))
                              for i in pending]
        return done if return_ids else len(done)

    def _resolve_workflow(self, client: Any, arn: str, ids: list[str], account_id: str, region: str,
                          report: PushReport) -> int:
        resolved = 0
        for batch in _batches(ids):
            pending = list(batch)
            last: dict[str, tuple[str, str]] = {}
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    report.retried += len(pending)
                    self.sleep(self.backoff_s * 2 ** (attempt - 2))
                try:
                    resp = client.batch_update_findings(
                        FindingIdentifiers=[{"Id": i, "ProductArn": arn} for i in pending],
                        Workflow={"Status": "RESOLVED"},
                        Note={"Text": "Passes again in srm-bot's latest scan (or the resource is gone).",
                              "UpdatedBy": "srm-bot"})
                except (ClientError, BotoCoreError) as exc:
                    code, msg = error_code_of(exc)
                    last = {i: (code, msg) for i in pending}
                    continue
                failed = {u["FindingIdentifier"]["Id"]: (u.get("ErrorCode", "Error"), u.get("ErrorMessage", ""))
                          for u in resp.get("UnprocessedFindings", [])}
                resolved += len([i for i in pending if i not in failed])
                pending = [i for i in pending if i in failed]
                last = failed
                if not pending:
                    break
            report.failed += [PushFailure(account_id, region, i, *last.get(i, ("Error", ""))) for i in pending]
        return resolved
