"""10_cli.py - the `switchboard` command line: exit codes, messages, migrate, tokens,
configuration errors, the generated configuration reference and the demo loader."""
import difflib
import hashlib
import os
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402


def run_bin(h, args, env=None, cwd=None, timeout=60):
    e = harness.base_env()
    e.update(env or {})
    return subprocess.run([h.binary] + list(args), env=e, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, start_new_session=True)


def lines(s):
    return [ln for ln in s.splitlines() if ln.strip()]


def counts(db):
    s = sqlite3.connect(db)
    try:
        return {t: s.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in ("customers", "conversations", "communication_messages",
                          "communication_events", "appointments")}
    finally:
        s.close()


def run(h):
    with h.section("version and help"):
        r = run_bin(h, ["version"])
        h.ok("version: exit 0 and prints the version", r.returncode == 0 and
             r.stdout.startswith("switchboard ") and any(c.isdigit() for c in r.stdout),
             "exit %d, stdout %r" % (r.returncode, r.stdout))
        r = run_bin(h, ["--version"])
        h.ok("--version: same as version", r.returncode == 0 and
             r.stdout.startswith("switchboard "), "exit %d, stdout %r" % (r.returncode, r.stdout))
        r = run_bin(h, ["help"])
        missing = [c for c in ("serve", "migrate", "token", "demo", "version", "help")
                   if c not in r.stdout]
        h.ok("help: exit 0 and lists every command on stdout", r.returncode == 0 and not missing,
             "exit %d, missing %s" % (r.returncode, missing))
        r = run_bin(h, ["--help"])
        h.ok("--help: exit 0", r.returncode == 0, "exit %d" % r.returncode)

    with h.section("unknown command"):
        r = run_bin(h, ["frobnicate"])
        h.eq("unknown command: exit 2", r.returncode, 2)
        h.ok("unknown command: stderr names it, stdout empty",
             "frobnicate" in r.stderr and r.stdout == "", "stderr %r stdout %r" %
             (r.stderr[:200], r.stdout[:200]))
        r = run_bin(h, [])
        h.eq("no command: exit 2 (usage)", r.returncode, 2)

    srv = h.server("cli", migrate=False)
    with h.section("migrate"):
        r = srv.cli("migrate", "status")
        h.ok("migrate status on a new db: exit 0 and says it needs migrating",
             r.returncode == 0 and "migrate" in r.stdout,
             "exit %d stdout %r stderr %r" % (r.returncode, r.stdout, r.stderr[-300:]))
        r1 = srv.cli("migrate")
        h.ok("migrate: exit 0 and says it migrated", r1.returncode == 0 and
             "migrated" in r1.stdout, "exit %d stdout %r stderr %r" %
             (r1.returncode, r1.stdout, r1.stderr[-300:]))
        r2 = srv.cli("migrate")
        h.ok("migrate twice: second run exits 0 and says already at version",
             r2.returncode == 0 and "already at version" in r2.stdout,
             "exit %d stdout %r" % (r2.returncode, r2.stdout))
        r = srv.cli("migrate", "status")
        h.ok("migrate status after migrate: exit 0 and up to date",
             r.returncode == 0 and "up to date" in r.stdout,
             "exit %d stdout %r" % (r.returncode, r.stdout))
        r = srv.cli("migrate", "sideways")
        h.eq("migrate with an unknown action: exit 2", r.returncode, 2)
        url_db = os.path.join(srv.dir, "url.db")
        r = run_bin(h, ["migrate", "--db", "sqlite:" + url_db], cwd=srv.dir)
        h.ok("--db sqlite:PATH migrates the file at PATH",
             r.returncode == 0 and os.path.exists(url_db) and
             not os.path.exists(os.path.join(srv.dir, "sqlite:" + url_db)),
             "exit %d, files %r" % (r.returncode, os.listdir(srv.dir)))
        env_db = os.path.join(srv.dir, "env.db")
        flag_db = os.path.join(srv.dir, "flag.db")
        r = run_bin(h, ["migrate", "--db", flag_db], env={"SWITCHBOARD_DB": env_db},
                    cwd=srv.dir)
        h.ok("a flag beats the environment (--db over SWITCHBOARD_DB)",
             r.returncode == 0 and os.path.exists(flag_db) and not os.path.exists(env_db),
             "exit %d, files %r" % (r.returncode, os.listdir(srv.dir)))
        r = run_bin(h, ["migrate", "--db", os.path.join(srv.dir, "no", "such", "dir.db")],
                    cwd=srv.dir)
        h.ok("migrate on an unopenable path: exit 1 with a message naming the database",
             r.returncode == 1 and "dir.db" in r.stderr, "exit %d stderr %r" %
             (r.returncode, r.stderr[-300:]))

    with h.section("token create"):
        r = srv.cli("token", "create", "--role", "staff", "--name", "ci-bot")
        out = r.stdout.splitlines()
        h.eq("token create: exit 0", r.returncode, 0)
        h.ok("token create: stdout is exactly one line, the token (starts with sb_)",
             len(out) == 1 and out[0].startswith("sb_") and len(out[0]) > 20 and
             " " not in out[0] and r.stdout.endswith("\n"), "stdout %r" % r.stdout)
        tok = out[0] if out else ""
        h.ok("token create: details on stderr (role and name), not the token",
             "staff" in r.stderr and "ci-bot" in r.stderr and (not tok or tok not in r.stderr),
             "stderr %r" % r.stderr)
        rows = srv.sql("SELECT name, role, token_hash FROM api_tokens WHERE name='ci-bot'")
        h.ok("token create: only the SHA-256 of the token is stored",
             len(rows) == 1 and rows[0][1] == "staff" and
             rows[0][2] == hashlib.sha256(tok.encode()).hexdigest() and tok not in str(rows),
             "rows %r" % rows)
        r2 = srv.cli("token", "create", "--role", "staff", "--name", "ci-bot")
        h.ok("token create twice: a different token each time",
             r2.returncode == 0 and r2.stdout.strip() != tok, "stdout %r" % r2.stdout)
        r = srv.cli("token", "create", "--role", "root", "--name", "x")
        h.ok("token create with a bad role: exit 2, nothing on stdout, message on stderr",
             r.returncode == 2 and r.stdout == "" and "role" in r.stderr,
             "exit %d stdout %r stderr %r" % (r.returncode, r.stdout, r.stderr))
        r = srv.cli("token", "create", "--name", "x")
        h.ok("token create without --role: exit 2 and nothing on stdout",
             r.returncode == 2 and r.stdout == "", "exit %d stdout %r" % (r.returncode, r.stdout))
        before = srv.sql("SELECT count(*) FROM api_tokens")[0][0]
        h.eq("token create refusals store no token", before, 2)

    with h.section("token works against the server"):
        tok_admin = srv.token("admin", "probe")
        srv.start()
        r = srv.get("/api/auth/me", token=tok_admin)
        h.ok("a created token authenticates (GET /api/auth/me -> 200, role admin)",
             r.status == 200 and (r.try_json() or {}).get("role") == "admin", repr(r))
        srv.stop()

    # ---- invalid configuration stops start-up with one clear message and exit 2 ----
    cfgdb = h.server("cfg")
    cases = [
        ("SWITCHBOARD_LISTEN=nonsense", {"SWITCHBOARD_LISTEN": "nonsense"}, [],
         "SWITCHBOARD_LISTEN"),
        ("SWITCHBOARD_LISTEN=nonsense:8080 (not an address)",
         {"SWITCHBOARD_LISTEN": "nonsense:8080"}, [], "SWITCHBOARD_LISTEN"),
        ("SWITCHBOARD_LISTEN=127.0.0.1:99999", {"SWITCHBOARD_LISTEN": "127.0.0.1:99999"}, [],
         "SWITCHBOARD_LISTEN"),
        ("SWITCHBOARD_IDLE_MINUTES=0", {"SWITCHBOARD_IDLE_MINUTES": "0"}, [],
         "SWITCHBOARD_IDLE_MINUTES"),
        ("SWITCHBOARD_IDLE_MINUTES=ten", {"SWITCHBOARD_IDLE_MINUTES": "ten"}, [],
         "SWITCHBOARD_IDLE_MINUTES"),
        ("SWITCHBOARD_LEGACY_WRITE=dual without SWITCHBOARD_LEGACY_DB",
         {"SWITCHBOARD_LEGACY_WRITE": "dual"}, [], "SWITCHBOARD_LEGACY_DB"),
        ("SWITCHBOARD_LEGACY_WRITE=sometimes", {"SWITCHBOARD_LEGACY_WRITE": "sometimes"}, [],
         "SWITCHBOARD_LEGACY_WRITE"),
        ("SWITCHBOARD_PUBLIC_URL=ftp://x", {"SWITCHBOARD_PUBLIC_URL": "ftp://x"}, [],
         "SWITCHBOARD_PUBLIC_URL"),
        ("SWITCHBOARD_ACCESS_LOG=maybe", {"SWITCHBOARD_ACCESS_LOG": "maybe"}, [],
         "SWITCHBOARD_ACCESS_LOG"),
        ("unknown serve flag --frobnicate", {}, ["--frobnicate"], "--frobnicate"),
        ("flag --idle-minutes 0", {}, ["--idle-minutes", "0"], "IDLE_MINUTES"),
        ("flag --listen=nonsense", {}, ["--listen=nonsense"], "LISTEN"),
    ]
    for label, env, args, needle in cases:
        with h.section("config " + label):
            port = harness.free_port()
            e = {"SWITCHBOARD_DB": cfgdb.db, "SWITCHBOARD_LISTEN": "127.0.0.1:%d" % port}
            e.update(env)
            t0 = time.time()
            try:
                r = run_bin(h, ["serve"] + args, env=e, cwd=cfgdb.dir, timeout=20)
            except subprocess.TimeoutExpired:
                h.fail("invalid config (%s): serve refuses to start" % label,
                       "serve was still running after 20 s")
                continue
            ls = lines(r.stderr)
            h.ok("invalid config (%s): exit 2 with one clear message naming the setting" % label,
                 r.returncode == 2 and len(ls) == 1 and needle in ls[0] and r.stdout == "",
                 "exit %d after %.1fs, stderr %r, stdout %r" %
                 (r.returncode, time.time() - t0, r.stderr[:400], r.stdout[:200]))

    with h.section("serve on an unmigrated db"):
        fresh = h.server("unmigrated", migrate=False)
        port = harness.free_port()
        try:
            r = run_bin(h, ["serve"], env={"SWITCHBOARD_DB": fresh.db,
                                           "SWITCHBOARD_LISTEN": "127.0.0.1:%d" % port},
                        cwd=fresh.dir, timeout=20)
            h.ok("serve on an unmigrated db refuses (non-zero exit) and says to run migrate",
                 r.returncode != 0 and "switchboard migrate" in r.stderr,
                 "exit %d stderr %r" % (r.returncode, r.stderr[-400:]))
            h.ok("serve on an unmigrated db exits with 1 (runtime failure, not a crash)",
                 r.returncode == 1, "exit %d" % r.returncode)
        except subprocess.TimeoutExpired:
            h.fail("serve on an unmigrated db refuses", "serve kept running for 20 s")

    with h.section("help config vs docs/config.md"):
        r = run_bin(h, ["help", "config"])
        h.ok("help config: exit 0 and prints a Markdown table", r.returncode == 0 and
             "| `--listen` | `SWITCHBOARD_LISTEN`" in r.stdout, "exit %d stdout %r" %
             (r.returncode, r.stdout[:300]))
        path = os.path.join(harness.REPO, "docs", "config.md")
        name = "help config output equals the committed docs/config.md"
        if not os.path.exists(path):
            h.fail(name, "docs/config.md does not exist: generate it with "
                         "`make docs` (build/switchboard help config > docs/config.md)")
        else:
            with open(path, encoding="utf-8") as f:
                doc = f.read()
            if doc == r.stdout:
                h.ok(name, True)
            else:
                diff = list(difflib.unified_diff(doc.splitlines(), r.stdout.splitlines(),
                                                 "docs/config.md", "switchboard help config",
                                                 lineterm="", n=0))
                h.fail(name, "docs/config.md is stale (regenerate with `make docs`); first "
                             "differences: " + " / ".join(diff[2:8]))

    with h.section("demo"):
        d = h.server("demo")
        r = d.cli("demo", "--conversations", "200")
        c1 = counts(d.db)
        h.ok("demo --conversations 200: exit 0 and 200 conversations stored",
             r.returncode == 0 and c1["conversations"] == 200,
             "exit %d counts %r stderr %r" % (r.returncode, c1, r.stderr[-300:]))
        h.ok("demo: customers, messages and events are stored too",
             c1["customers"] > 0 and c1["communication_messages"] >= 200 and
             c1["communication_events"] > 0, "counts %r" % c1)
        r = d.cli("demo", "--if-empty")
        c2 = counts(d.db)
        h.ok("demo --if-empty on a loaded db: exit 0 and adds nothing",
             r.returncode == 0 and c2 == c1, "exit %d before %r after %r" %
             (r.returncode, c1, c2))
        r = d.cli("demo", "--conversations", "0")
        h.eq("demo --conversations 0: exit 2 (usage)", r.returncode, 2)
        r = d.cli("demo", "--conversations", "abc")
        h.eq("demo --conversations abc: exit 2 (usage)", r.returncode, 2)
        h.eq("refused demo runs add nothing", counts(d.db), c1)

        e = h.server("demo-empty")
        r = e.cli("demo", "--if-empty", "--conversations", "30")
        h.ok("demo --if-empty on an empty db loads data",
             r.returncode == 0 and counts(e.db)["conversations"] == 30,
             "exit %d counts %r" % (r.returncode, counts(e.db)))

    with h.section("demo determinism"):
        a = h.server("seed-a")
        b = h.server("seed-b")
        ra = a.cli("demo", "--conversations", "150", "--seed", "7")
        rb = b.cli("demo", "--conversations", "150", "--seed", "7")
        ca, cb = counts(a.db), counts(b.db)
        h.ok("demo with the same seed into two fresh dbs: same numbers of customers, "
             "conversations, messages", ra.returncode == 0 and rb.returncode == 0 and
             all(ca[k] == cb[k] for k in ("customers", "conversations",
                                          "communication_messages")),
             "a %r b %r" % (ca, cb))
        q = "SELECT name, phone, email FROM customers ORDER BY id"
        h.ok("demo with the same seed: the same customers", a.sql(q) == b.sql(q),
             "customer lists differ")
        q = ("SELECT channel, direction, content FROM communication_messages "
             "ORDER BY sent_at, content")
        h.ok("demo with the same seed: the same message contents", a.sql(q) == b.sql(q),
             "message lists differ")
        c = h.server("seed-c")
        c.cli("demo", "--conversations", "150", "--seed", "8")
        q = "SELECT name, phone, email FROM customers ORDER BY id"
        h.ok("demo with another seed: different customers", c.sql(q) != a.sql(q),
             "seed 8 gave the same customers as seed 7")


harness.main(run)
