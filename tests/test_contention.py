"""Three processes on one database (issue 13, item 5): two "servers" (ingest, sweep, deliver) and a scan
loop write the same incidents at once. Every process finishes, none prints a traceback or "database is
locked", and the database holds one consistent incident per (account, check)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bot.store import Store

ROOT = Path(__file__).resolve().parents[1]
WORKER = textwrap.dedent("""
    import sys
    from bot.incidents import Incidents
    from bot.notify.recording import RecordingNotifier
    from bot.store import Store
    from tests.factories import finding, run_of
    from tests.test_incidents import make_owners

    db, role, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    notifier = RecordingNotifier() if role.startswith("serve") else None
    svc = Incidents(Store(db), make_owners(), notifier)
    checks = ["s3_bucket_versioning_enabled", "s3_bucket_policy_not_public", "iam_user_mfa_enabled"]
    for i in range(rounds):
        status = "FAIL" if (i // 3) % 2 == 0 else "PASS"
        svc.ingest(run_of(*(finding(f"bucket-{n}", status, check=c) for c in checks for n in range(4))))
        if notifier is not None:
            svc.sweep()
            svc.deliver()
    print(role, "done", len(svc.store.incidents()))
""")


def test_two_servers_and_a_scan_loop_share_one_database(tmp_path):
    db = tmp_path / "srm.db"
    Store(db).close()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), role, "25"], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for role in ("serve-a", "serve-b", "scan")]
    results = [(p.wait(timeout=240), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0 and "done" in out, err[-2000:]
        assert "Traceback" not in err and "database is locked" not in err
    store = Store(db)
    active = [i for i in store.incidents() if i.state.value != "resolved"]
    assert len({(i.account_id, i.check_id) for i in active}) == len(active)
