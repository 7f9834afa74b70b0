"""Doctor's remote checks: Slack (tokens, auth.test, scopes) and AWS (identity, every account's session)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from bot.doctor.results import INSTALL, MANIFEST_PATH, Result, fail, ok, warn

# -- Slack -------------------------------------------------------------------------------
TOKEN_KINDS = {"xoxp-": "a user token", "xapp-": "an app-level token", "xoxe": "a refresh token"}
AUTH_FIXES = {
    "invalid_auth": "the token is mistyped or from another app: copy OAuth & Permissions -> Bot User OAuth Token",
    "not_authed": "the token is empty: copy OAuth & Permissions -> Bot User OAuth Token",
    "token_revoked": "the app was uninstalled or the token revoked: reinstall the app and copy the new token",
    "account_inactive": "the app was uninstalled or the token revoked: reinstall the app and copy the new token",
    "token_expired": "token rotation is on: turn it off (manifest: token_rotation_enabled: false), reinstall",
}


def manifest_scopes(path: Path | str = MANIFEST_PATH) -> list[str] | None:
    """The bot scopes manifest.yml asks for; None when the file is missing or has none."""
    import yaml

    try:
        scopes = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["oauth_config"]["scopes"]["bot"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return None
    return [str(s) for s in scopes] if isinstance(scopes, list) else None


def check_slack(settings: Any, required: list[str] | None, *, manifest: str = "manifest.yml",
                timeout: int = 10) -> list[Result]:
    """The bot token (auth.test), its scopes against ``required`` (None: not compared), the secret or app token."""
    token = settings.slack_bot_token
    if not token:
        out = [fail("slack", "bot token", "SLACK_BOT_TOKEN is not set",
                    f"create and install the app from manifest.yml ({INSTALL}); set SLACK_BOT_TOKEN to its xoxb- "
                    "Bot User OAuth Token")]
    elif not token.startswith("xoxb-"):
        kind = next((f"is {v} ({k}...)" for k, v in TOKEN_KINDS.items() if token.startswith(k)),
                    "does not start with xoxb-")
        out = [fail("slack", "bot token", f"SLACK_BOT_TOKEN {kind}, not a bot token",
                    "use OAuth & Permissions -> Bot User OAuth Token (xoxb-...)")]
    else:
        out = _auth_test(settings, required, manifest, timeout)
    return out + _secret_and_mode(settings, timeout)


def _client(token: str, settings: Any, timeout: int) -> Any:
    from slack_sdk import WebClient

    base = (settings.slack_api_base_url or "https://slack.com/api/").rstrip("/") + "/"
    return WebClient(token=token, base_url=base, timeout=timeout)


def _auth_test(settings: Any, required: list[str] | None, manifest: str, timeout: int) -> list[Result]:
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = _client(settings.slack_bot_token, settings, timeout)
    try:
        resp = client.auth_test()
    except SlackApiError as exc:
        err = exc.response.get("error", "unknown")
        return [fail("slack", "bot token", f"Slack rejected SLACK_BOT_TOKEN (auth.test: {err})",
                     AUTH_FIXES.get(err, "check the token under OAuth & Permissions; reinstall the app"))]
    except (SlackClientError, OSError) as exc:
        return [fail("slack", "bot token", f"cannot reach the Slack Web API at {client.base_url}: {exc}",
                     "check the network / HTTPS_PROXY, and SLACK_API_BASE_URL (unset it for real Slack)")]
    out = [ok("slack", "bot token", f"@{resp.get('user')} (bot user {resp.get('user_id')}) in "
              f"{resp.get('team')} ({resp.get('team_id')}, {resp.get('url')})")]
    header = next((v for k, v in (resp.headers or {}).items() if k.lower() == "x-oauth-scopes"), None)
    if required is None:
        out.append(warn("slack", "scopes", f"{manifest}: not found or no oauth_config.scopes.bot; scopes not "
                        "compared", "pass --manifest PATH (the manifest the app was created from)"))
    elif header is None:
        out.append(warn("slack", "scopes", "Slack did not report the token's scopes (no X-OAuth-Scopes header)",
                        f"compare OAuth & Permissions -> Bot Token Scopes with {manifest}: {', '.join(required)}"))
    else:
        granted = {s.strip() for s in header.split(",") if s.strip()}
        missing, extra = [s for s in required if s not in granted], sorted(granted - set(required))
        if missing:
            out.append(fail("slack", "scopes", f"the token lacks bot scope(s): {', '.join(missing)}",
                            f"add them under oauth_config.scopes.bot in {manifest}, paste it into the app's "
                            "App Manifest page, then reinstall the app (Install App -> Reinstall to Workspace)"))
        elif extra:
            out.append(warn("slack", "scopes", f"scopes the bot does not use: {', '.join(extra)}",
                            "least privilege: remove them from the app (App Manifest) and reinstall"))
        else:
            out.append(ok("slack", "scopes", f"{', '.join(required)} (as {manifest} asks)"))
    return out


def _secret_and_mode(settings: Any, timeout: int) -> list[Result]:
    from slack_sdk.errors import SlackApiError, SlackClientError

    secret, app_token = settings.slack_signing_secret, settings.slack_app_token
    where = "Basic Information -> App Credentials -> Signing Secret"
    if secret is not None and secret != secret.strip().strip("'\""):
        first = fail("slack", "signing secret", "SLACK_SIGNING_SECRET has surrounding spaces or quotes: every "
                     "request would fail signature verification", f"set it to exactly the value of {where}")
    elif not secret:
        first = ok("slack", "signing secret", "not set: not needed in Socket Mode") if app_token else fail(
            "slack", "signing secret", "SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it)",
            f"set it from {where}, or run in Socket Mode with SLACK_APP_TOKEN")
    elif len(secret) != 32 or any(c not in "0123456789abcdef" for c in secret):
        first = warn("slack", "signing secret", "does not look like a signing secret (32 hex characters)",
                     f"use {where}, not the Client Secret or the Verification Token")
    else:
        first = ok("slack", "signing secret", "set (32 hex characters)")
    if not app_token:
        return [first, ok("slack", "mode", "HTTP: Slack posts to https://<your host>/slack/events")]
    if not app_token.startswith("xapp-"):
        return [first, fail("slack", "app token", "SLACK_APP_TOKEN is not an app-level token (xapp-)",
                            "Basic Information -> App-Level Tokens -> one with connections:write; or unset it "
                            "for HTTP mode")]
    try:
        _client(app_token, settings, timeout).apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        return [first, fail("slack", "app token", f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')})",
                            "turn Socket Mode on for the app and generate an app-level token with connections:write")]
    except (SlackClientError, OSError) as exc:
        return [first, fail("slack", "app token", f"cannot reach Slack: {exc}", "check the network / HTTPS_PROXY")]
    return [first, ok("slack", "app token", "Socket Mode: SLACK_APP_TOKEN can open a connection")]


# -- AWS ---------------------------------------------------------------------------------
ROLE_FIX = ("the caller needs sts:AssumeRole on that role ARN, and the role's trust policy must trust the caller "
            "(with the ExternalId, if set); README.md, 'AWS set-up'")
CREDS_FIX = ("give srm credentials: an instance profile / ECS task role / IRSA, or AWS_PROFILE, or "
             "AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY")
PROFILE_FIX = "define that profile in the AWS config file (AWS_CONFIG_FILE, ~/.aws/config) or fix `profile:`"
POLICY_FIX = "attach the policy `srm iam-policy` prints to the role it reads with (README.md, 'AWS set-up')"


def check_aws(aws_cfg: Any, *, session_factory: Callable[..., Any] | None = None) -> list[Result]:
    """The caller identity, then each scan target: the session the scanner would use, and one read."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from checks.accounts import TargetError, home_region, resolve_targets
    from checks.inventory.core import FetchError, error_code_of

    factory = session_factory or boto3.Session
    quick = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=10)
    regions = aws_cfg.regions if isinstance(aws_cfg.regions, list) else None
    home = home_region(regions[0] if regions else None)
    configured = bool(aws_cfg.accounts) or aws_cfg.organizations.enabled
    try:
        ident = factory(region_name=home).client("sts", region_name=home, config=quick).get_caller_identity()
        out = [ok("aws", "identity", f"{ident['Arn']} (account {ident['Account']}, home region {home})")]
    except (ClientError, BotoCoreError) as exc:
        code, msg = error_code_of(exc)
        needed = not configured or any(not a.profile for a in aws_cfg.accounts) or (
            aws_cfg.organizations.enabled and not aws_cfg.organizations.profile)
        out = [(fail if needed else warn)("aws", "identity", f"default credential chain: {code}: {msg}", CREDS_FIX)]
        if not configured:
            return out  # the one target would be these same credentials
    try:
        targets = resolve_targets(aws_cfg, session_factory=factory)
    except TargetError as exc:
        fix = ("the identity needs organizations:ListAccounts in the management or delegated-admin account "
               "(organizations.profile)" if aws_cfg.organizations.enabled else CREDS_FIX)
        return out + [fail("aws", "accounts", str(exc), fix)]

    def probe(t: Any) -> Result:
        name, region = f"account {t.name}", t.regions[0]
        how = (lambda svc: t.client_factory(svc, region)) if t.client_factory else (
            lambda svc: t.open_session().client(svc, region_name=region, config=quick))
        try:
            arn = how("sts").get_caller_identity()
        except (ClientError, BotoCoreError, FetchError) as exc:  # FetchError: a target we could not get into
            code, msg = error_code_of(exc)
            fix = ROLE_FIX if "cannot assume" in msg else PROFILE_FIX if "profile" in msg else CREDS_FIX
            return fail("aws", name, f"{code}: {msg}", fix)
        if arn["Account"] != t.account_id:
            return fail("aws", name, f"the credentials reach account {arn['Account']}, srm.yml says {t.account_id}",
                        "fix account_id or the profile / role of this account in srm.yml")
        try:
            how("ec2").describe_regions(RegionNames=[region])
        except (ClientError, BotoCoreError) as exc:
            code, msg = error_code_of(exc)
            return fail("aws", name, f"in as {arn['Arn']}, but ec2:DescribeRegions in {region}: {code}: {msg}",
                        POLICY_FIX if code in ("AccessDenied", "UnauthorizedOperation") else
                        "check the region is enabled for the account (or remove it from srm.yml)")
        where = ", ".join(t.regions) if len(t.regions) <= 4 else f"{len(t.regions)} regions"
        return ok("aws", name, f"{t.account_id} as {arn['Arn']}; {where}")

    workers = max(1, min(aws_cfg.max_workers, len(targets)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return out + list(pool.map(probe, targets))
