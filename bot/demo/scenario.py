"""`srm demo`: the whole product on embedded defaults, played as a scripted Slack conversation.

:func:`run` starts an AWS emulator (`moto_server`) seeded with a sample account's
mistakes, a Slack Web API emulator (:class:`~bot.demo.recorder.DemoSlack`) and the
real ``srm serve`` as a subprocess pointed at both (``AWS_ENDPOINT_URL``,
``SLACK_API_BASE_URL``), then plays the script through signed HTTP requests, the
way Slack delivers them: who-owns questions, ``/srm check all``, button clicks on the
incident, a fix in AWS, Re-check now, the digest. Each step waits on what the bot
sent to Slack, never on a fixed sleep. The conversation is printed as it happens
and written to ``transcript.html``; every child process is stopped on the way out.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import boto3
from rich.console import Console

from bot.demo import world
from bot.demo.aws import MotoServer, Seeded, fix_ssh, open_ssh, seed_account
from bot.demo.processes import ServeProcess, interrupt_on_sigterm, run_child, srm_command
from bot.demo.recorder import DemoSlack
from bot.demo.slack_emulator import Call
from bot.demo.transcript import TerminalView, Transcript, html_page
from bot.demo.workspace import Workspace
from bot.slack.ids import action_id

QUESTIONS = [  # (who asks, how, question): one provider, one customer, one shared answer
    (world.PRIYA, "command", "who owns physical security of the data centres?"),
    (world.DANA, "mention", "who patches the OS on our EC2 boxes?"),
    (world.SAM, "mention", "who owns backups for RDS?"),
]


@dataclass
class DemoResult:
    slack: DemoSlack
    transcript: Transcript
    seeded: Seeded
    incident_ts: str  # root message of the SSH incident
    html_path: Path | None
    pids: list[int] = field(default_factory=list)  # every child process the demo started
    elapsed: float = 0.0


@contextlib.contextmanager
def aws_environ(env: dict[str, str]) -> Iterator[None]:
    """boto3 in this process talks to the emulator (AWS_ENDPOINT_URL) while inside."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def in_thread(ts: str, *words: str) -> Callable[[Call], bool]:
    return lambda c: (c.method == "chat.postMessage" and c.get("thread_ts") == ts
                      and all(w in json.dumps(c.body) for w in words))


def updated(ts: str, *words: str) -> Callable[[Call], bool]:
    return lambda c: c.method == "chat.update" and c.get("ts") == ts and all(w in json.dumps(c.body) for w in words)


# -- the script ----------------------------------------------------------------------
class Script:
    def __init__(self, ws: Workspace, slack: DemoSlack, view: Callable[[], None]):
        self.ws, self.slack, self.view = ws, slack, view
        self.digest_pid: int | None = None

    def show(self) -> None:
        """Print what the step produced, once the app has finished with it."""
        self.slack.settle()
        self.view()

    def step(self, title: str, note: str | None = None) -> None:
        self.slack.note("demo.step", title=title)
        if note:
            self.slack.note("demo.note", text=note)

    def who_owns(self) -> None:
        self.step("1 · Who owns what?  Three questions in #ask-security",
                  "People ask in Slack; the bot answers from the responsibility matrix and names the team.")
        for user, how, question in QUESTIONS:
            if how == "command":
                self.ws.command(user, world.ASK, f"{question}")
            else:
                mark = self.slack.mark()
                ts = self.ws.mention(user, world.ASK, question)
                self.slack.wait_until(lambda c, ts=ts: c.method == "chat.postMessage" and c.get("thread_ts") == ts,
                                      f"the answer to {question!r}", after=mark)
        self.show()

    def check_all(self) -> None:
        self.step("2 · /srm check all  -  first contact with the AWS account: a baseline, not a flood",
                  "What already fails is recorded as each team's backlog: ONE summary message per team, with a "
                  "menu to open threads. Only critical findings open a thread at once.")
        mark = self.slack.mark()
        path = self.ws.command(world.SAM, world.ASK, "check all")
        self.slack.wait_until(lambda c: c.method == "response_url" and c.get("_url") == path,
                              "the scan report", after=mark, timeout=90)
        self.slack.wait_until(lambda c: c.method == "chat.postMessage" and "Backlog for" in c.get("text", ""),
                              "a team's backlog summary", after=mark)
        self.show()

    def drift(self, seeded: Seeded, open_ssh: Callable[[], None]) -> Call:
        self.step("3 · New drift: SSH opened to the world, then /srm check ec2",
                  f"Someone adds 0.0.0.0/0 on port 22 to `{seeded.ssh_group_id}`. That is new since the baseline, "
                  "so it opens ONE incident: a root message in #srm-incidents and a thread that mentions the team.")
        open_ssh()
        mark = self.slack.mark()
        path = self.ws.command(world.SAM, world.ASK, "check ec2")
        self.slack.wait_until(lambda c: c.method == "response_url" and c.get("_url") == path,
                              "the scan report", after=mark, timeout=90)
        details = self.slack.wait_until(lambda c: c.method == "chat.postMessage" and c.get("thread_ts")
                                        and seeded.ssh_group_id in json.dumps(c.body), "the SSH incident", after=mark)
        return self.slack.wait_until(lambda c: c.method == "chat.postMessage" and c.ts == details.get("thread_ts"),
                                     "the SSH incident's root message", after=mark)

    def acknowledge(self, root: Call) -> None:
        self.step("4 · Acknowledge  -  only the owning team (or an admin) may",
                  "Dana (data) clicks Acknowledge on the platform team's incident, then Priya (platform) does.")
        mark = self.slack.mark()
        self.ws.click(world.DANA, root, action_id("acknowledge"))
        self.slack.wait_until(lambda c: c.method == "chat.postEphemeral" and c.get("user") == world.DANA,
                              "the refusal to Dana", after=mark)
        mark = self.slack.mark()
        self.ws.click(world.PRIYA, root, action_id("acknowledge"))
        self.slack.wait_until(in_thread(root.ts, "Acknowledged by"), "the acknowledgement reply", after=mark)
        self.slack.wait_until(updated(root.ts, "Acknowledged by"), "the root message update", after=mark)
        self.show()

    def fix_and_recheck(self, root: Call, fix: Callable[[], None], group_id: str) -> None:
        self.step("5 · Fix it in AWS, then Re-check now",
                  f"Priya removes the 0.0.0.0/0 rule on port 22 from `{group_id}` (in the AWS emulator) and "
                  "clicks Re-check now.")
        fix()
        mark = self.slack.mark()
        self.ws.click(world.PRIYA, root, action_id("recheck"))
        self.slack.wait_until(in_thread(root.ts, "Resolved"), "the re-check result", after=mark, timeout=60)
        self.slack.wait_until(updated(root.ts, "Resolved"), "the root message marked resolved", after=mark)
        self.show()

    def digest(self, env: dict[str, str]) -> None:
        self.step("6 · The posture digest in #security-posture",
                  "What the weekday 09:00 schedule posts; the demo runs it now with `srm digest --post`.")
        mark = self.slack.mark()
        done = run_child([*srm_command(), "digest", "--post"], env)
        self.digest_pid = done.pid  # type: ignore[attr-defined]
        if done.returncode != 0:
            raise RuntimeError(f"srm digest --post failed: {done.stderr.strip()[-500:]}")
        self.slack.wait_until(lambda c: c.method == "chat.postMessage" and c.get("channel") == world.POSTURE,
                              "the digest", after=mark)
        self.show()


# -- orchestration -------------------------------------------------------------------
def child_env(moto: MotoServer, slack: DemoSlack, secret: str, out: Path, owners: Path, config: Path) -> dict[str, str]:
    """`srm`'s environment: the emulators, the demo's files, nothing inherited from a real setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_", "SRM_"))}
    env.update(moto.env(), AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true", SLACK_BOT_TOKEN="xoxb-demo", SLACK_SIGNING_SECRET=secret,
               SLACK_API_BASE_URL=slack.api_url, SRM_CONFIG=str(config), SRM_OWNERS=str(owners),
               SRM_DB=str(out / "demo.db"), SRM_TIMEZONE="UTC", PYTHONUNBUFFERED="1")
    return env


def fresh(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("demo.db*"):  # never srm.db: `--out var` must not touch the real database
        old.unlink()
    (out / "transcript.html").unlink(missing_ok=True)


def run(out: Path = Path("var/demo"), console: Console | None = None, *, full: bool = False, html: bool = True,
        quiet: bool = False) -> DemoResult:
    """Play the demo; every process it starts is stopped before this returns or raises."""
    console = console or Console()
    t0 = time.monotonic()
    fresh(out)
    owners, config = world.write_files(out)
    secret = secrets.token_hex(16)
    slack = DemoSlack()
    transcript = Transcript(world.DIRECTORY, compact_channel=world.INCIDENTS)
    view = TerminalView(console, transcript, full=full)
    seen = 0

    def show() -> None:
        nonlocal seen
        calls = slack.calls
        new = transcript.add(calls[seen:])
        seen = len(calls)
        if not quiet:
            view.show(new)
        else:
            for entry in new:
                if entry.kind == "step":
                    status(entry.text)

    def status(text: str) -> None:
        console.print(f"[dim]▸ {text}[/]", highlight=False)

    pids: list[int] = []
    with interrupt_on_sigterm(), contextlib.ExitStack() as stack:
        moto = stack.enter_context(MotoServer())
        pids.append(moto.proc.pid)
        stack.enter_context(slack)
        env = child_env(moto, slack, secret, out, owners, config)
        serve = stack.enter_context(ServeProcess(env, out / "serve.log"))  # starts while AWS is seeded
        pids.append(serve.proc.pid)
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=world.REGION)
        with aws_environ(moto.env()):
            seeded = seed_account(session)
        status(f"AWS emulator: moto_server on {moto.url}, account {world.ACCOUNT_NAME} ({world.ACCOUNT_ID}) seeded "
               "with a public unencrypted bucket, an unencrypted volume, a console user without MFA, a key "
               "without rotation (SSH to the world comes later: the drift)")
        status(f"Slack emulator: Web API on {slack.api_url}")
        serve.ready()
        status(f"srm serve: {serve.url} (SLACK_API_BASE_URL and AWS_ENDPOINT_URL point at the emulators; "
               f"log {out / 'serve.log'})")
        status(f"ready in {time.monotonic() - t0:.1f} s")
        script = Script(Workspace(serve.url, slack, secret), slack, show)
        script.who_owns()
        script.check_all()

        def drift() -> None:
            with aws_environ(moto.env()):
                open_ssh(session, seeded)

        root = script.drift(seeded, drift)
        transcript.focus.add(root.ts)
        script.show()
        script.acknowledge(root)

        def fix() -> None:
            with aws_environ(moto.env()):
                fix_ssh(session, seeded)

        script.fix_and_recheck(root, fix, seeded.ssh_group_id)
        script.digest(env)
        pids.append(script.digest_pid)
    elapsed = time.monotonic() - t0
    path = None
    if html:
        path = out / "transcript.html"
        path.write_text(html_page(transcript, title="srm-bot demo: a day in #srm-incidents",
                                  footer=f"Played against moto_server and a Slack emulator in {elapsed:.1f} s "
                                         f"by `srm demo`. Names come from the demo directory "
                                         "(bot/demo/world.py)."), encoding="utf-8")
    return DemoResult(slack=slack, transcript=transcript, seeded=seeded, incident_ts=root.ts, html_path=path,
                      pids=pids, elapsed=elapsed)
