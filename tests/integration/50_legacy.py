"""50_legacy.py - `switchboard legacy-migrate` / `legacy-verify` against real legacy databases
(legacy.md; api.md section 12 "CLI output" and "Legacy scores").

  a. corrupt rows: a SQLite legacy file built here with crafted rows (bad JSON transcript,
     out-of-range and NULL scores, an unknown outcome, a dangling customer, invalid UTF-8, a
     session with 5,000 events, an invalid event type, a session without a start, near-duplicate
     customers, an unparseable phone): no crash, each session migrated with the documented
     mapping or reported by session id with a reason, exit status 1 on errors, an idempotent
     re-run; results read back through the API and with sqlite3.
  b. unusable sources (missing file, not SQLite, no legacy tables, closed PostgreSQL port, no
     --from): exit 2 with one clear message.
  c. kill -9 resilience: 20,000 generated sessions, five SIGKILLs at random moments, then a full
     run: every session exactly once, legacy-verify clean (needs ../shared/tools/gen-legacy-db;
     uses the release build for speed).
  d. a PostgreSQL source (a throwaway server from tests/pg/pgtmp.py): the same data from
     PostgreSQL and from SQLite migrate to the same count and the same verification checksum.
  e. --dry-run, --session-ids, --json, --limit.

Random choices (the kill moments) come from one seed, printed; set SB_IT_LEGACY_SEED to replay.
SB_IT_GEN_LEGACY_DB overrides the generator's path (a missing path exercises the fallbacks).
"""
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import harness

sys.path.insert(0, os.path.join(harness.REPO, "tests", "pg"))
import pgtmp  # noqa: E402

DATA = os.path.join(harness.REPO, "tests", "data")
GEN = os.environ.get("SB_IT_GEN_LEGACY_DB") or os.path.normpath(
    os.path.join(harness.REPO, "..", "shared", "tools", "gen-legacy-db"))
RELEASE = os.path.join(harness.REPO, "build", "switchboard")

SUMMARY_RE = re.compile(r"^total=(\d+) migrated=(\d+) skipped=(\d+) errors=(\d+) events=(\d+) "
                        r"seconds=([0-9.]+)$", re.M)
VERIFY_RE = re.compile(r"^verify: .*checksum ([0-9a-f]+)/([0-9a-f]+): (OK|MISMATCH)$", re.M)
LVERIFY_RE = re.compile(r"^legacy-verify: .*checksum ([0-9a-f]+)/([0-9a-f]+), (\d+) mismatches",
                        re.M)
LOG_LINE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")

COUNT_TABLES = ("customers", "appointments", "conversations", "communication_messages",
                "voice_call_details", "communication_events", "legacy_map")

# legacy column order (the DDL in tests/data)
CUSTOMER_COLS = ("id", "name", "phone", "email", "is_new_client", "created_at", "updated_at",
                 "has_allergies", "is_pregnant", "notes")
APPOINTMENT_COLS = ("id", "customer_id", "calendar_event_id", "appointment_datetime",
                    "service_type", "provider", "duration_minutes", "status", "booked_by",
                    "special_requests", "cancellation_reason", "created_at", "updated_at",
                    "cancelled_at")
SESSION_COLS = ("id", "customer_id", "session_id", "phone_number", "started_at", "ended_at",
                "duration_seconds", "transcript", "recording_url", "satisfaction_score",
                "sentiment", "outcome", "customer_interruptions", "ai_clarifications_needed",
                "function_calls_made", "escalated", "escalation_reason")
EVENT_COLS = ("id", "call_session_id", "event_type", "timestamp", "data")
TABLES = (("customers", CUSTOMER_COLS), ("appointments", APPOINTMENT_COLS),
          ("call_sessions", SESSION_COLS), ("call_events", EVENT_COLS))


# ---- running the CLI -------------------------------------------------------------------------

class Run:
    """One finished CLI run: rc, stdout, stderr, the parsed summary and verify lines."""

    def __init__(self, args, rc, out, err, secs):
        self.args, self.rc, self.out, self.err, self.secs = args, rc, out, err, secs
        m = SUMMARY_RE.search(out)
        self.summary = None if not m else {
            "total": int(m.group(1)), "migrated": int(m.group(2)), "skipped": int(m.group(3)),
            "errors": int(m.group(4)), "events": int(m.group(5)), "seconds": float(m.group(6))}
        v = VERIFY_RE.search(out)
        self.verify = None if not v else (v.group(1), v.group(2), v.group(3))
        lv = LVERIFY_RE.search(out)
        self.lverify = None if not lv else (lv.group(1), lv.group(2), int(lv.group(3)))

    def sanitizer(self):
        return harness.has_sanitizer_report(self.err.encode("utf-8", "replace"))

    def messages(self):
        """stderr without the timestamped log lines and progress lines."""
        return [ln for ln in self.err.splitlines()
                if ln.strip() and not LOG_LINE_RE.match(ln) and not ln.startswith("progress:")]

    def brief(self, n=600):
        return "exit %r; stdout %r; stderr tail %r" % (self.rc, self.out[-n:], self.err[-n:])


def sb(binary, args, cwd, timeout=300):
    env = harness.base_env()
    t0 = time.time()
    p = subprocess.run([binary] + list(args), env=env, cwd=cwd, capture_output=True,
                       timeout=timeout, start_new_session=True)
    return Run(args, p.returncode, p.stdout.decode("utf-8", "replace"),
               p.stderr.decode("utf-8", "replace"), time.time() - t0)


def migrate(binary, src_url, target, *extra, cwd=None, timeout=300):
    return sb(binary, ["legacy-migrate", "--from", src_url, "--db", target] + list(extra),
              cwd or os.path.dirname(target), timeout)


def verify(binary, src_url, target, cwd=None, timeout=300):
    return sb(binary, ["legacy-verify", "--from", src_url, "--db", target],
              cwd or os.path.dirname(target), timeout)


def counts(db):
    con = sqlite3.connect(db, timeout=30)
    try:
        return {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in COUNT_TABLES}
    finally:
        con.close()


def query(db, sql, args=(), text_bytes=False):
    con = sqlite3.connect(db, timeout=30)
    if text_bytes:
        con.text_factory = bytes
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def stderr_error_for(run, sid):
    """The stderr line reporting session `sid` as an error with a reason, or None."""
    for ln in run.err.splitlines():
        if "error" in ln.lower() and sid in ln:
            rest = ln.split(sid, 1)[1]
            if ":" in rest and len(rest.split(":", 1)[1].strip()) >= 5:
                return ln
    return None


def stable_copy(src, dst):
    """Copies a binary that a concurrent `make` may be rewriting: waits until it has not changed
    for a second, copies it, and checks the copy runs (`version`). Returns dst."""
    last = None
    for _attempt in range(30):
        try:
            st = os.stat(src)
        except OSError:
            time.sleep(1)
            continue
        if time.time() - st.st_mtime < 1.0:
            time.sleep(1)
            continue
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)
        try:
            p = subprocess.run([dst, "version"], capture_output=True, timeout=30,
                               env=harness.base_env())
            if p.returncode == 0 and os.stat(src).st_mtime == st.st_mtime:
                return dst
            last = "exit %d" % p.returncode
        except OSError as e:
            last = str(e)
        time.sleep(1)
    raise RuntimeError("could not take a working copy of %s (%s)" % (src, last))


def gen_available():
    return os.path.isfile(GEN) and os.access(GEN, os.X_OK)


def gen(args, timeout=300):
    p = subprocess.run([GEN, "--quiet"] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("gen-legacy-db %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                                 p.stderr[-500:]))
    return p


# ---- legacy databases built here ---------------------------------------------------------------

def ts(day, sec, micro=0):
    """A legacy text timestamp: 2024-03-<day> plus sec seconds."""
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return "2024-03-%02d %02d:%02d:%02d.%06d" % (day, h, m, s, micro)


def write_sqlite(rows, path):
    """rows: {table: [tuple in column order]}; bytes values are stored as TEXT holding those
    exact bytes (CAST(? AS TEXT)), which is how invalid UTF-8 gets into a legacy file."""
    with open(os.path.join(DATA, "legacy_schema.sqlite.sql")) as f:
        ddl = f.read()
    con = sqlite3.connect(path)
    try:
        con.executescript(ddl)
        for table, cols in TABLES:
            for row in rows.get(table, ()):
                ph = ", ".join("CAST(? AS TEXT)" if isinstance(v, bytes) else "?" for v in row)
                con.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(cols), ph),
                            [int(v) if isinstance(v, bool) else v for v in row])
        con.commit()
    finally:
        con.close()


def pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, bytes):
        raise ValueError("PostgreSQL text cannot hold invalid UTF-8")
    return "'" + v.replace("'", "''") + "'"


def write_pg_sql(rows, path):
    """The same rows as a psql script (DDL from tests/data, INSERTs, one transaction)."""
    with open(os.path.join(DATA, "legacy_schema.pg.sql")) as f:
        ddl = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nBEGIN;\n")
        f.write(ddl)
        for table, cols in TABLES:
            batch = rows.get(table, [])
            for i in range(0, len(batch), 200):
                f.write("INSERT INTO %s (%s) VALUES\n" % (table, ", ".join(cols)))
                f.write(",\n".join("(" + ", ".join(pg_literal(v) for v in r) + ")"
                                   for r in batch[i:i + 200]))
                f.write(";\n")
        f.write("COMMIT;\n")


def customer(cid, name, phone, email=None, notes=None):
    return (cid, name, phone, email, True, "2024-01-0%d 09:00:00.000000" % (1 + cid % 9),
            "2024-02-01 09:00:00.000000", False, False, notes)


def session(sid_num, sid, cust=1, transcript="Customer: I'd like some information\nAva: Sure.",
            score=7.0, outcome="info_only", start_sec=None, no_start=False, dur=300,
            sentiment="positive", fcm=0, escalated=False, reason=None, phone="+13105550101"):
    """A call_sessions row; it starts at 10:00 + 10 minutes per id unless start_sec is given
    (seconds after midnight of 2024-03-01), and ends dur seconds later."""
    if start_sec is None:
        start_sec = 36000 + sid_num * 600
    started = None if no_start else ts(1, start_sec)
    ended = None if no_start or dur is None else ts(1, start_sec + dur)
    return (sid_num, cust, sid, phone, started, ended, dur, transcript,
            "https://recordings.example/%s.mp3" % sid, score, sentiment, outcome, 1, 0, fcm,
            escalated, reason)


JSON_TRANSCRIPT = json.dumps([
    {"speaker": "assistant", "text": "Hi, this is Ava.", "timestamp": "2024-03-01T11:00:01"},
    {"speaker": "customer", "text": "Quisiera una cita para el viernes, por favor",
     "timestamp": "2024-03-01T11:00:05"}], ensure_ascii=True)


def crafted_rows():
    """The corrupt-rows legacy database of check (a). CRAFTED_MUST lists the sessions whose
    mapping legacy.md defines (they must migrate), CRAFTED_MAY_FAIL those that may instead be
    reported as errors."""
    custs = [
        customer(1, "Ana García", "+13105550101", "ana@example.com"),
        customer(2, "Ana Garcia", "(310) 555-0101"),                    # same phone as 1
        customer(3, "Bob Stone", "+13105550103", "bob@example.com"),
        customer(4, "Bobby Stone", "+13105550104", "Bob@Example.COM"),  # same email as 3
        customer(5, "Anon Caller", "anonymous"),                        # unparseable phone
        customer(6, b"Jos\xe9 Bad\xff Name", "+13105550106"),           # invalid UTF-8 name
        customer(7, "Zoë 🌸 O'Brien", "+13105550107", "zoe@example.com", "line1\nline2\t\"q\""),
    ]
    S = [
        session(1, "sess_broken_json", transcript='[{"speaker": broken', score=15.0,
                outcome=None),
        session(2, "sess_score_neg", score=-2.5),
        session(3, "sess_score_04", score=0.4),
        session(4, "sess_score_null", score=None),
        session(5, "sess_sold", outcome="sold", sentiment="ecstatic"),
        session(6, "sess_dangling", cust=99999),
        session(7, "sess_bad_utf8", transcript=b"Customer: caf\xe9 ol\xc3 \xff\nAva: ok"),
        session(8, "sess_many_events", fcm=1250),
        session(9, "sess_bad_event_type"),
        session(10, "sess_no_start", no_start=True, dur=None),
        session(11, "sess_bad_name_customer", cust=6),
        session(12, "sess_dup_phone", cust=2),
        session(13, "sess_dup_email", cust=4),
        session(14, "sess_anon_phone", cust=5, phone="anonymous"),
        session(15, "sess_ok_booked", cust=7, score=8.5, outcome="booked",
                transcript="Ava: Hello!\nCustomer: I want to book a facial\nAva: Booked.", fcm=1),
        session(16, "sess_ok_json", cust=3, transcript=JSON_TRANSCRIPT, outcome=None, score=5.0,
                sentiment=None, start_sec=39600),
    ]
    events = []
    eid = 1
    types = ("session_started", "intent_detected", "function_called", "session_ended")
    for k in range(5000):
        t = types[k % 4]
        data = ({"function": "check_availability", "arguments": {"day": k % 7},
                 "result": {"ok": True}} if t == "function_called" else {"k": k})
        events.append((eid, 8, t, ts(1, 36000 + 8 * 600 + k % 290, k % 1000000),
                       json.dumps(data)))
        eid += 1
    events.append((eid, 9, "session_started", ts(1, 36000 + 9 * 600 + 1), "{}"))
    eid += 1
    events.append((eid, 9, "Bad Type!", ts(1, 36000 + 9 * 600 + 2), '{"x": 1}'))
    eid += 1
    events.append((eid, 2, "session_started", ts(1, 36000 + 2 * 600 + 1), None))
    eid += 1
    events.append((eid, 15, "function_called", ts(1, 36000 + 15 * 600 + 20),
                   json.dumps({"function": "book_appointment",
                               "arguments": {"service": "Facial"},
                               "result": {"success": True, "appointment_id": 1}})))
    eid += 1
    events.append((eid, 15, "appointment_booked", ts(1, 36000 + 15 * 600 + 21), "null"))
    appts = [(1, 7, "cal-0001", "2024-03-08 14:00:00.000000", "Facial", "Lisa", 60, "scheduled",
              "ai", None, None, ts(1, 45000), ts(1, 45000), None)]
    return {"customers": custs, "appointments": appts, "call_sessions": S, "call_events": events}


CRAFTED_MUST = ("sess_broken_json", "sess_score_neg", "sess_score_04", "sess_score_null",
                "sess_sold", "sess_dangling", "sess_many_events", "sess_bad_name_customer",
                "sess_dup_phone", "sess_dup_email", "sess_anon_phone", "sess_ok_booked",
                "sess_ok_json")
CRAFTED_MAY_FAIL = ("sess_bad_utf8", "sess_bad_event_type", "sess_no_start")


def clean_rows(n=60, seed=5):
    """A valid legacy dataset (PostgreSQL can hold it: valid UTF-8, no dangling keys) with the
    values a source backend may render differently: timestamps with and without microseconds,
    integral and fractional floats, out-of-range scores, NULLs, JSON and plain transcripts,
    JSON null and SQL NULL event data, booleans. Session ids are sess_clean_0001...."""
    rng = random.Random(seed)
    ncust = max(4, n // 4)
    custs = []
    for i in range(1, ncust + 1):
        phone = ("+1310555%04d" % i) if i % 3 else "(310) 555-%04d" % i
        email = None if i % 4 == 0 else ("user%d@%s" % (i, "Example.com" if i % 5 == 0
                                                       else "example.com"))
        name = ["Ana García", "Björk O'Neil", "李小龙", "Zoë 🌸", "  Padded  "][i % 5] + " %d" % i
        custs.append(customer(i, name, phone, email, None if i % 2 else "allergic to\tlatex"))
    appts = []
    for i in range(1, ncust // 2 + 1):
        appts.append((i, i, "cal-%04d" % i, "2024-04-%02d 10:00:00" % (1 + i % 28) + ".000000",
                      "Botox", "Dr. Smith", 30, ["scheduled", "completed", "cancelled"][i % 3],
                      "ai", None, "changed plans" if i % 3 == 2 else None, ts(2, i),
                      ts(2, i), ts(3, i) if i % 3 == 2 else None))
    scores = [None, 0.0, 0.5, 4.5, 5.0, 7.25, 10.0, 15.0, -2.5, 9.999]
    sentiments = ["positive", "neutral", "negative", "mixed", None, "ecstatic"]
    outcomes = ["booked", "rescheduled", "cancelled", "info_only", "escalated", "abandoned",
                "browsing", "sold", None]
    transcripts = ["Ava: Hi!\nCustomer: Quiero reservar un masaje 💆‍♀️\nAva: ¡Claro!",
                   "Customer: What are your hours?\r\nAssistant: 9 to 5.\r\n",
                   JSON_TRANSCRIPT, "", None, "   ", "Caller: hello?\n[inaudible]\nAVA: Hi",
                   "Customer: " + "long words " * 40]
    sessions, events = [], []
    eid = 1
    for i in range(1, n + 1):
        start_sec = 30000 + i * 900
        micro = 0 if i % 4 == 0 else rng.randrange(1, 1000000)
        started = ts(5 + i % 20, start_sec, micro)
        finished = i % 11 != 0
        dur = rng.randrange(20, 600) if finished and i % 7 else None
        ended = ts(5 + i % 20, start_sec + (dur or 45), 0 if i % 3 == 0 else micro) \
            if finished else None
        cust = None if i % 6 == 0 else 1 + i % ncust
        escalated = i % 9 == 4
        sessions.append((i, cust, "sess_clean_%04d" % i, "+1310555%04d" % (1 + i % ncust),
                         started, ended, dur, transcripts[i % len(transcripts)],
                         None if i % 5 == 0 else "https://rec.example/%d.mp3" % i,
                         scores[i % len(scores)], sentiments[i % len(sentiments)],
                         outcomes[i % len(outcomes)], i % 3, i % 2,
                         (i % 3) if finished else None, escalated,
                         "asked for a human" if escalated else None))
        nev = 300 if i == 3 else i % 4
        for k in range(nev):
            t = ["session_started", "intent_detected", "function_called", "session_ended"][k % 4]
            data = [json.dumps({"session_id": "sess_clean_%04d" % i}), None, "null",
                    json.dumps({"function": "book", "arguments": {"k": k},
                                "result": {"ok": True, "note": "ünïcode"}})][
                (k + i) % 4] if t != "function_called" else json.dumps(
                    {"function": "book", "arguments": {"k": k}, "result": None})
            events.append((eid, i, t, ts(5 + i % 20, start_sec + k, 0 if k % 2 else micro),
                           data))
            eid += 1
    return {"customers": custs, "appointments": appts, "call_sessions": sessions,
            "call_events": events}


# ---- the checks ----------------------------------------------------------------------------------

def check_crafted(h, work):
    d = os.path.join(work, "crafted")
    os.makedirs(d)
    src = os.path.join(d, "legacy.db")
    target = os.path.join(d, "target.db")
    write_sqlite(crafted_rows(), src)
    url = "sqlite:" + src
    r = migrate(h.binary, url, target)
    print("crafted: legacy-migrate %s" % r.brief(300), flush=True)
    h.ok("crafted: legacy-migrate finishes without a crash or sanitizer report",
         r.rc in (0, 1) and not r.sanitizer(), r.brief())
    s = r.summary
    if not h.ok("crafted: prints the summary line total=N migrated=N skipped=N errors=N "
                "events=N seconds=S", s is not None, r.brief()):
        return
    h.ok("crafted: summary counts every session once (total 16 = migrated + errors)",
         s["total"] == 16 and s["migrated"] + s["errors"] == 16 and s["skipped"] == 0,
         "summary %r" % s)
    h.ok("crafted: errors > 0 gives exit status 1, no errors exit 0",
         (s["errors"] > 0 and r.rc == 1) or (s["errors"] == 0 and r.rc == 0),
         "errors %d, exit %d" % (s["errors"], r.rc))
    prog = re.findall(r"^progress: .*\berrors (\d+)\b", r.err, re.M)
    h.ok("crafted: the last progress line's error count agrees with the summary",
         not prog or int(prog[-1]) == s["errors"],
         "last progress line says errors %s, summary errors=%d" % (
             prog[-1] if prog else None, s["errors"]))
    h.ok("crafted: the stdout verify line says OK for the sessions migrated",
         r.verify is not None and r.verify[2] == "OK" and r.verify[0] == r.verify[1],
         "verify %r; %s" % (r.verify, r.out[-400:]))

    mapped = {sid: conv for sid, conv in query(
        target, "SELECT legacy_session_id, conversation_id FROM legacy_map")}
    unaccounted = []
    for sid in CRAFTED_MUST + CRAFTED_MAY_FAIL:
        if sid not in mapped and not stderr_error_for(r, sid):
            unaccounted.append(sid)
    h.ok("crafted: every session is either migrated or named on stderr as an error with a "
         "reason", not unaccounted, "neither migrated nor reported: %s; stderr %r" % (
             unaccounted, r.err[-800:]))
    missing = [sid for sid in CRAFTED_MUST if sid not in mapped]
    h.ok("crafted: every session whose mapping legacy.md defines is migrated", not missing,
         "not migrated: %s; stderr: %s" % (missing, " | ".join(
             stderr_error_for(r, m) or "" for m in missing)))
    n_errors_named = sum(1 for sid in CRAFTED_MAY_FAIL
                         if sid not in mapped and stderr_error_for(r, sid))
    h.eq("crafted: the error count equals the sessions reported as errors", s["errors"],
         n_errors_named)
    h.eq("crafted: the summary's migrated count equals the target's legacy_map rows",
         s["migrated"], len(mapped))

    def conv(sid, cols):
        rows = query(target, "SELECT %s FROM conversations c JOIN legacy_map l ON "
                             "l.conversation_id = c.id WHERE l.legacy_session_id = ?" % cols,
                     (sid,))
        return rows[0] if rows else None

    scores = {sid: (conv(sid, "c.satisfaction_score") or (None,))[0]
              for sid in ("sess_broken_json", "sess_score_neg", "sess_score_04",
                          "sess_score_null", "sess_ok_booked", "sess_ok_json")}
    h.eq("crafted: scores map into 1..10 (15.0->10, -2.5->1, 0.4->1, 8.5->9, 5.0->5) and "
         "NULL stays NULL (sqlite3)", scores,
         {"sess_broken_json": 10, "sess_score_neg": 1, "sess_score_04": 1,
          "sess_score_null": None, "sess_ok_booked": 9, "sess_ok_json": 5})
    row = conv("sess_sold", "c.outcome, c.sentiment, c.metadata")
    md = json.loads(row[2]) if row and row[2] else {}
    h.ok("crafted: unknown outcome 'sold' -> 'unresolved', legacy_outcome 'sold' kept in "
         "metadata; unknown sentiment -> NULL", row is not None and row[0] == "unresolved" and
         md.get("legacy_outcome") == "sold" and row[1] is None, "row %r" % (row,))
    row = conv("sess_dangling", "c.customer_id, c.metadata")
    md = json.loads(row[1]) if row and row[1] else {}
    h.ok("crafted: dangling customer_id 99999 -> customer_id NULL, legacy_customer_id in "
         "metadata", row is not None and row[0] is None and
         str(md.get("legacy_customer_id")) == "99999", "row %r" % (row,))
    ev = query(target, "SELECT count(*), count(DISTINCT ev.event_type), "
                       "sum(ev.message_id IS NULL) FROM communication_events ev JOIN "
                       "legacy_map l ON l.conversation_id = ev.conversation_id "
                       "WHERE l.legacy_session_id = 'sess_many_events'")[0]
    h.ok("crafted: all 5,000 events of one session are migrated, linked to its message",
         ev[0] == 5000 and ev[1] == 4 and ev[2] == 0, "count, types, unlinked = %r" % (ev,))
    row = conv("sess_broken_json", "(SELECT m.content FROM communication_messages m WHERE "
                                   "m.conversation_id = c.id), c.outcome, c.subject")
    h.ok("crafted: an unparseable JSON transcript is kept as text in the message",
         row is not None and row[0] is not None and '[{"speaker": broken' in row[0],
         "row %r" % (row,))

    src_customers = 7
    tc = counts(target)
    h.eq("crafted: near-duplicate customers are all migrated (customer count equals the "
         "source's)", tc["customers"], src_customers)
    nd = [ln for ln in r.err.splitlines() if "duplicate" in ln.lower()]
    phone_dup = any(re.search(r"\b2\b", ln) and re.search(r"\b1\b", ln) for ln in nd)
    email_dup = any(re.search(r"\b4\b", ln) and re.search(r"\b3\b", ln) for ln in nd)
    h.ok("crafted: near-duplicates (phone in two formats, email in two cases) are reported on "
         "stderr naming both customers", phone_dup and email_dup, "lines: %r" % nd)
    dup_md, problems = {}, []
    for cid, md_text in query(target, "SELECT id, metadata FROM customers WHERE id IN (2, 4)"):
        try:
            pairs = json.loads(md_text or "null", object_pairs_hook=lambda kv: kv)
        except ValueError as e:
            problems.append("customer %d: metadata is not JSON (%s)" % (cid, e))
            continue
        keys = [k for k, _ in pairs] if isinstance(pairs, list) else []
        if len(keys) != len(set(keys)):
            problems.append("customer %d: duplicate keys in %s" % (cid, md_text))
        dup_md[cid] = dict(pairs) if isinstance(pairs, list) else {}
    h.ok("crafted: a near-duplicate's metadata names the other customer and keeps the legacy "
         "value, as valid JSON without repeated keys",
         not problems and str(dup_md.get(2, {}).get("near_duplicate_of")) == "1" and
         dup_md.get(2, {}).get("legacy_phone") == "(310) 555-0101" and
         str(dup_md.get(4, {}).get("near_duplicate_of")) == "3" and
         dup_md.get(4, {}).get("legacy_email") == "Bob@Example.COM",
         "; ".join(problems) or "metadata %r" % dup_md)
    c5 = query(target, "SELECT phone, metadata FROM customers WHERE id = 5")
    h.ok("crafted: a customer with phone 'anonymous' is migrated, without a phone, the text "
         "kept", bool(c5) and c5[0][0] is None and "anonymous" in (c5[0][1] or ""),
         "row %r" % (c5,))
    invalid = []
    for table, col in (("customers", "name"), ("conversations", "subject"),
                       ("communication_messages", "content"),
                       ("voice_call_details", "transcript_segments")):
        for (v,) in query(target, "SELECT %s FROM %s" % (col, table), text_bytes=True):
            if v is not None:
                try:
                    v.decode("utf-8")
                except UnicodeDecodeError:
                    invalid.append("%s.%s %r" % (table, col, v[:60]))
    if invalid:
        print("note: the target stores invalid UTF-8 as it came (a PostgreSQL target would "
              "refuse it): %s" % "; ".join(invalid), flush=True)

    before = counts(target)
    # ---- the API view of the same rows
    srv = harness.Server(h, name="legacy-api", db=target)
    srv.start()
    try:
        tok = srv.token("admin")
        lst = srv.get("/api/admin/communications?channel=voice&page_size=100", token=tok)
        j = lst.try_json() or {}
        convs = {}
        for c in j.get("conversations", []):
            m = c.get("metadata") or {}
            convs[m.get("legacy_session_id")] = c
        h.ok("crafted api: GET /communications?channel=voice lists every migrated session",
             lst.status == 200 and j.get("total") == len(mapped) and set(convs) == set(mapped),
             "status %d total %r, want %d; ids %r" % (lst.status, j.get("total"), len(mapped),
                                                      sorted(k for k in convs if k)))
        got = {sid: convs.get(sid, {}).get("satisfaction_score")
               for sid in ("sess_broken_json", "sess_score_neg", "sess_score_04",
                           "sess_score_null")}
        h.eq("crafted api: scores shown 10, 1, 1 and null (never a made-up default)", got,
             {"sess_broken_json": 10, "sess_score_neg": 1, "sess_score_04": 1,
              "sess_score_null": None})
        c = convs.get("sess_sold", {})
        h.ok("crafted api: 'sold' shows as outcome unresolved with metadata.legacy_outcome",
             c.get("outcome") == "unresolved" and
             (c.get("metadata") or {}).get("legacy_outcome") == "sold", "conv %r" % c)
        c = convs.get("sess_dangling", {})
        h.ok("crafted api: the dangling-customer call shows customer null and "
             "metadata.legacy_customer_id 99999",
             c and c.get("customer_id") is None and c.get("customer_name") is None and
             str((c.get("metadata") or {}).get("legacy_customer_id")) == "99999",
             "conv %r" % c)
        c = convs.get("sess_dup_phone", {})
        h.ok("crafted api: the near-duplicate's call stays linked to its own customer (2)",
             c.get("customer_id") == 2, "conv %r" % c)
        c = convs.get("sess_bad_name_customer", {})
        h.ok("crafted api: a customer name with invalid UTF-8 is shown as valid text",
             isinstance(c.get("customer_name"), str) and "Jos" in c["customer_name"] and
             "Name" in c["customer_name"], "conv %r" % c)

        def detail(sid):
            cid = (convs.get(sid) or {}).get("id")
            if not cid:
                return None, None
            resp = srv.get("/api/admin/communications/" + cid, token=tok, timeout=60)
            try:
                return resp, json.loads(resp.body.decode("utf-8"))  # strict UTF-8
            except (UnicodeDecodeError, ValueError):
                return resp, None

        resp, dj = detail("sess_many_events")
        evs = (dj or {}).get("events") or []
        msgs = (dj or {}).get("messages") or []
        msg_id = msgs[0].get("id") if msgs else None
        fcs = ((msgs[0].get("voice") or {}).get("function_calls") or []) if msgs else []
        h.ok("crafted api: the detail of the 5,000-event call has all 5,000 events, in time "
             "order, linked to its message",
             resp is not None and resp.status == 200 and len(evs) == 5000 and
             all(e.get("message_id") == msg_id for e in evs) and
             [e.get("timestamp") for e in evs] == sorted(e.get("timestamp") for e in evs),
             "status %r, %d events" % (resp and resp.status, len(evs)))
        h.ok("crafted api: function_calls rebuilt from the 1,250 function_called events",
             len(fcs) == 1250 and all(f.get("name") == "check_availability" for f in fcs),
             "%d function_calls, first %r" % (len(fcs), fcs[:1]))
        resp, dj = detail("sess_ok_booked")
        conv_ = (dj or {}).get("conversation") or {}
        msgs = (dj or {}).get("messages") or []
        voice = (msgs[0].get("voice") or {}) if msgs else {}
        segs = voice.get("transcript_segments") or []
        h.ok("crafted api: a booked call: subject 'Appointment booking', outcome "
             "appointment_scheduled, customer, segments and function_calls",
             conv_.get("subject") == "Appointment booking" and
             conv_.get("outcome") == "appointment_scheduled" and
             (conv_.get("customer") or {}).get("id") == 7 and
             [s_.get("speaker") for s_ in segs] == ["assistant", "customer", "assistant"] and
             [f.get("name") for f in voice.get("function_calls") or []] ==
             ["book_appointment"] and msgs[0].get("content", "").startswith("Assistant: Hello!")
             and voice.get("duration_seconds") == 300,
             "detail %r" % (json.dumps(dj)[:900] if dj else resp))
        resp, dj = detail("sess_ok_json")
        conv_ = (dj or {}).get("conversation") or {}
        msgs = (dj or {}).get("messages") or []
        segs = ((msgs[0].get("voice") or {}).get("transcript_segments") or []) if msgs else []
        h.ok("crafted api: a JSON transcript becomes segments with seconds from the call start "
             "and the first customer words as subject",
             [s_.get("speaker") for s_ in segs] == ["assistant", "customer"] and
             [s_.get("timestamp") for s_ in segs] == [1, 5] and
             conv_.get("subject") == "Quisiera una cita para el viernes, por favor" and
             conv_.get("outcome") == "info_request",
             "detail %r" % (json.dumps(dj)[:900] if dj else resp))
        resp, dj = detail("sess_broken_json")
        msgs = (dj or {}).get("messages") or []
        segs = ((msgs[0].get("voice") or {}).get("transcript_segments") or []) if msgs else []
        h.ok("crafted api: the broken JSON transcript is one 'unknown' segment holding the text",
             len(segs) == 1 and segs[0].get("speaker") == "unknown" and
             segs[0].get("text") == '[{"speaker": broken',
             "segments %r" % segs)
        if "sess_bad_utf8" in mapped:
            resp, dj = detail("sess_bad_utf8")
            content = ((dj or {}).get("messages") or [{}])[0].get("content") or ""
            h.ok("crafted api: the call with invalid UTF-8 in its transcript is served as valid "
                 "UTF-8 JSON keeping the readable text",
                 resp is not None and resp.status == 200 and dj is not None and
                 "caf" in content and "ol" in content,
                 "status %r body %r" % (resp and resp.status, resp and resp.body[:300]))
        cl = srv.get("/api/admin/customers?page_size=100", token=tok)
        cj = cl.try_json() or {}
        h.ok("crafted api: GET /customers lists all 7 legacy customers",
             cl.status == 200 and cj.get("total") == 7, "status %d body %r" % (
                 cl.status, cl.body[:300]))
    finally:
        srv.stop("crafted api: the server stops cleanly")

    # ---- legacy-verify names what could not be migrated
    v = verify(h.binary, url, target)
    failed_sids = [sid for sid in CRAFTED_MAY_FAIL if sid not in mapped]
    named = all(any(sid in ln for ln in v.out.splitlines() if ln.startswith("mismatch:"))
                for sid in failed_sids)
    h.ok("crafted: legacy-verify exits 1 and prints a mismatch line naming each unmigrated "
         "session" if failed_sids else "crafted: legacy-verify exits 0 (all migrated)",
         (v.rc == 1 and named) if failed_sids else v.rc == 0, v.brief())
    h.ok("crafted: legacy-verify has no sanitizer report", not v.sanitizer(), v.err[-800:])

    # ---- re-run: idempotent
    r2 = migrate(h.binary, url, target)
    s2 = r2.summary or {}
    h.ok("crafted re-run: everything migrated before is reported skipped, nothing migrated",
         s2.get("migrated") == 0 and s2.get("skipped") == len(mapped) and
         s2.get("errors") == s["errors"] and r2.rc == r.rc, r2.brief())
    h.eq("crafted re-run: adds no row anywhere", counts(target), before)
    m = re.search(r"customers: (\d+) migrated, (\d+) already present", r2.err)
    h.ok("crafted re-run: the 7 customers (near-duplicates included) are reported already "
         "present", m is not None and m.group(1) == "0" and m.group(2) == "7",
         "stderr %r" % r2.err[-600:])
    h.ok("crafted re-run: no near-duplicate is reported again",
         "near-duplicate:" not in r2.err, r2.err[-600:])

    # ---- a dry run on a fresh target previews the same report as the real run
    dry_target = os.path.join(d, "dry.db")
    r3 = migrate(h.binary, url, dry_target, "--dry-run")
    s3 = r3.summary or {}
    h.ok("crafted --dry-run: predicts the real run's migrated and error counts",
         s3.get("migrated") == s["migrated"] and s3.get("errors") == s["errors"], r3.brief())
    h.ok("crafted --dry-run: reports the near-duplicates a real run would report",
         len([ln for ln in r3.err.splitlines() if "near-duplicate" in ln]) ==
         len([ln for ln in r.err.splitlines() if "near-duplicate" in ln]),
         "dry run stderr %r" % r3.err[-700:])


def check_bad_sources(h, work):
    d = os.path.join(work, "badsrc")
    os.makedirs(d)
    target = os.path.join(d, "target.db")
    # a target that already exists (migrated), so the only problem is the source
    r = sb(h.binary, ["migrate", "--db", target], d)
    if not h.ok("bad source: setup (switchboard migrate)", r.rc == 0, r.brief()):
        return
    notdb = os.path.join(d, "notes.txt")
    with open(notdb, "w") as f:
        f.write("this is not a database\n" * 50)
    other = os.path.join(d, "other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()
    closed_port = harness.free_port()
    cases = [
        ("a missing SQLite file", "sqlite:" + os.path.join(d, "nope", "legacy.db"), "nope"),
        ("a missing file given as a bare path", os.path.join(d, "missing.db"), "missing.db"),
        ("a file that is not SQLite", "sqlite:" + notdb, "notes.txt"),
        ("a SQLite file without the legacy tables", "sqlite:" + other, "legacy"),
        ("a PostgreSQL URL on a closed port",
         "postgres://postgres@127.0.0.1:%d/legacy" % closed_port, "connect"),
    ]
    for what, url, needle in cases:
        for cmd in ("legacy-migrate", "legacy-verify"):
            r = sb(h.binary, [cmd, "--from", url, "--db", target], d, timeout=60)
            msgs = r.messages()
            head = [ln for ln in msgs if not ln.startswith(("\t", " "))]
            h.ok("%s --from %s: exit 2, one message naming the problem, nothing on stdout" %
                 (cmd, what), r.rc == 2 and len(head) == 1 and needle.lower() in
                 head[0].lower() and not SUMMARY_RE.search(r.out) and not r.sanitizer(),
                 r.brief())
    before = counts(target)
    h.ok("bad sources: the target is untouched", all(v == 0 for v in before.values()),
         "counts %r" % before)
    for cmd in ("legacy-migrate", "legacy-verify"):
        r = sb(h.binary, [cmd, "--db", target], d)
        h.ok("%s without --from: exit 2 with a usage message" % cmd,
             r.rc == 2 and "--from" in r.err and not r.out.strip(), r.brief())
    for args in (["--batch", "0"], ["--limit", "0"], ["--limit", "x"], ["--frobnicate"]):
        r = sb(h.binary, ["legacy-migrate", "--from", "sqlite:" + other, "--db", target] + args,
               d)
        h.ok("legacy-migrate %s: exit 2 (usage)" % " ".join(args), r.rc == 2, r.brief())
    # a mistyped --from must not leave a new database behind
    fresh = os.path.join(d, "fresh")
    os.makedirs(fresh)
    r = sb(h.binary, ["legacy-migrate", "--from", "sqlite:" + os.path.join(d, "typo.db"),
                      "--db", os.path.join(fresh, "new.db")], fresh)
    h.ok("legacy-migrate with a missing source creates no target database",
         r.rc == 2 and not os.path.exists(os.path.join(fresh, "new.db")),
         "exit %d; files left: %s; stderr %r" % (r.rc, os.listdir(fresh), r.err[-300:]))


def check_kill9(h, work, seed):
    name = "kill -9"
    if not gen_available():
        h.skip(name, "%s does not exist (the shared test-data tools are absent)" % GEN)
        return
    d = os.path.join(work, "kill")
    os.makedirs(d)
    # a private copy: a concurrent `make` may replace build/switchboard while we run
    binary = stable_copy(RELEASE if os.path.exists(RELEASE) else h.binary,
                         os.path.join(d, "switchboard"))
    if os.path.exists(RELEASE):
        print("kill: using a copy of %s (the release build) for speed" % RELEASE, flush=True)
    if not os.path.exists(RELEASE):
        print("note: %s missing; the kill test uses %s" % (RELEASE, h.binary), flush=True)
    src = os.path.join(d, "legacy.db")
    target = os.path.join(d, "target.db")
    n = 20000
    t0 = time.time()
    gen(["--sessions", str(n), "--seed", "20", "--out", src])
    con = sqlite3.connect(src)
    src_counts = {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                  for t in ("customers", "appointments", "call_sessions", "call_events")}
    con.close()
    print("kill: generated %d sessions in %.1fs" % (n, time.time() - t0), flush=True)
    rng = random.Random(seed)
    url = "sqlite:" + src
    # one uninterrupted run into a scratch target says how long a whole run takes here, so the
    # kills land inside runs (customers, sessions, or the index rebuild at the end)
    scratch = os.path.join(d, "scratch.db")
    full = migrate(binary, url, scratch, "--batch", "200", cwd=d, timeout=600).secs
    fresh = os.path.join(d, "fresh.db")
    sb(binary, ["migrate", "--db", fresh], d)
    schema_order = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY rowid"
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    fresh_order = [r[0] for r in query(fresh, schema_order)]
    print("kill: an uninterrupted run takes %.2fs" % full, flush=True)
    proc = None
    problems = []
    kills = 0
    try:
        for i in range(5):
            done = 0
            if os.path.exists(target):
                try:
                    done = query(target, "SELECT count(*) FROM legacy_map")[0][0]
                except sqlite3.Error:
                    done = 0
            expected = max(0.2, 0.85 * full * (n - done) / n)
            delay = rng.uniform(0.05, expected)
            with open(os.path.join(d, "run%d.err" % i), "wb") as err, \
                    open(os.path.join(d, "run%d.out" % i), "wb") as out:
                proc = subprocess.Popen([binary, "legacy-migrate", "--from", url, "--db", target,
                                         "--batch", "200"], env=harness.base_env(), cwd=d,
                                        stdout=out, stderr=err, start_new_session=True)
                try:
                    rc = proc.wait(delay)
                    finished = True
                except subprocess.TimeoutExpired:
                    rc = None
                    finished = False
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(30)
                    kills += 1
            proc = None
            try:
                c = counts(target)
            except sqlite3.Error as e:
                problems.append("run %d: target unreadable after the kill: %s" % (i, e))
                continue
            print("kill: run %d %s after %.2fs: %d sessions in legacy_map" % (
                i, "finished" if finished else "SIGKILLed", delay, c["legacy_map"]), flush=True)
            if not (c["conversations"] == c["legacy_map"] == c["communication_messages"] ==
                    c["voice_call_details"]):
                problems.append("run %d: conversations %d, legacy_map %d, messages %d, details "
                                "%d" % (i, c["conversations"], c["legacy_map"],
                                        c["communication_messages"], c["voice_call_details"]))
            if finished and (rc != 0 or c["legacy_map"] != n):
                with open(os.path.join(d, "run%d.err" % i), "rb") as f:
                    errs = f.read()[-300:]
                problems.append("run %d ended by itself (exit %r) before finishing: %r" % (
                    i, rc, errs))
        h.ok("kill -9: after each SIGKILL the target holds whole sessions only (conversations = "
             "legacy_map = messages = voice details)", not problems, "; ".join(problems))
        h.ok("kill -9: at least three runs were killed mid-way", kills >= 3, "kills %d" % kills)
        r = migrate(binary, url, target, "--batch", "200", cwd=d, timeout=600)
        s = r.summary or {}
        print("kill: final run %.1fs: %s" % (r.secs, r.out.strip().replace("\n", " | ")),
              flush=True)
        h.ok("kill -9: the final run exits 0 with no errors", r.rc == 0 and
             s.get("errors") == 0, r.brief())
        h.ok("kill -9: the final summary has migrated + skipped = 20000",
             s.get("migrated", -1) + s.get("skipped", -1) == n and s.get("total") == n,
             "summary %r" % s)
        h.ok("kill -9: the final run's verify line says OK", r.verify is not None and
             r.verify[2] == "OK", r.out[-400:])
        row = query(target, "SELECT count(*), count(DISTINCT legacy_id), "
                            "count(DISTINCT conversation_id), count(DISTINCT legacy_session_id) "
                            "FROM legacy_map")[0]
        h.eq("kill -9: exactly one legacy_map row per legacy session", row, (n, n, n, n))
        voice = query(target, "SELECT count(*) FROM conversations WHERE channel = 'voice'")[0][0]
        h.eq("kill -9: exactly 20,000 voice conversations", voice, n)
        dup = query(target, "SELECT count(*) FROM (SELECT json_extract(metadata, "
                            "'$.legacy_call_session_id') k FROM conversations GROUP BY k "
                            "HAVING count(*) > 1)")[0][0]
        orphans = query(target, "SELECT count(*) FROM conversations c WHERE NOT EXISTS "
                                "(SELECT 1 FROM legacy_map l WHERE l.conversation_id = c.id)")[0][0]
        h.ok("kill -9: no duplicate conversations and none outside the map",
             dup == 0 and orphans == 0, "duplicated legacy ids %d, unmapped %d" % (dup, orphans))
        c = counts(target)
        h.eq("kill -9: customers, appointments and events all arrived exactly once",
             (c["customers"], c["appointments"], c["communication_events"]),
             (src_counts["customers"], src_counts["appointments"], src_counts["call_events"]))
        aside = query(target, "SELECT count(*) FROM bulk_deferred")[0][0]
        order = [r[0] for r in query(target, schema_order)]
        # the same indexes and triggers as a fresh database, those of each table in the same
        # order (SQLite's planner breaks ties between equally good indexes by that order)
        def by_table(db, names):
            tables = dict(query(db, "SELECT name, tbl_name FROM sqlite_master"))
            out = {}
            for nm in names:
                out.setdefault(tables[nm], []).append(nm)
            return out
        h.eq("kill -9: the target's schema is whole again (nothing set aside; the triggers and "
             "indexes of a fresh database, the indexes in its order per table)",
             (aside, query(target, triggers), by_table(target, order)),
             (0, query(fresh, triggers), by_table(fresh, fresh_order)))
        v = verify(binary, url, target, cwd=d)
        h.ok("kill -9: legacy-verify exits 0 with 0 mismatches",
             v.rc == 0 and v.lverify is not None and v.lverify[2] == 0, v.brief())
    finally:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)


def check_postgres(h, work):
    name = "postgres source"
    reason = pgtmp.unavailable_reason()
    if reason:
        h.skip(name, reason)
        return
    d = os.path.join(work, "pg")
    os.makedirs(d)
    pg = None
    try:
        try:
            pg = pgtmp.PgTmp(dbname="legacy").start()
        except pgtmp.Skip as e:
            h.skip(name, str(e))
            return
        print("pg: throwaway server at %s" % pg.url, flush=True)

        def compare(label, pg_url, sqlite_path, n):
            t_pg = os.path.join(d, label + "-from-pg.db")
            t_sq = os.path.join(d, label + "-from-sqlite.db")
            r1 = migrate(h.binary, pg_url, t_pg)
            s1 = r1.summary or {}
            h.ok("pg %s: legacy-migrate from postgres:// exits 0, %d migrated, verify OK" % (
                label, n), r1.rc == 0 and s1.get("migrated") == n and s1.get("errors") == 0
                and r1.verify is not None and r1.verify[2] == "OK" and not r1.sanitizer(),
                r1.brief())
            v1 = verify(h.binary, pg_url, t_pg)
            h.ok("pg %s: legacy-verify --from postgres:// exits 0 with 0 mismatches" % label,
                 v1.rc == 0 and v1.lverify is not None and v1.lverify[2] == 0, v1.brief())
            r2 = migrate(h.binary, "sqlite:" + sqlite_path, t_sq)
            h.ok("pg %s: the same data from SQLite migrates with exit 0" % label, r2.rc == 0,
                 r2.brief())
            n1 = query(t_pg, "SELECT count(*) FROM conversations")[0][0]
            n2 = query(t_sq, "SELECT count(*) FROM conversations")[0][0]
            h.ok("pg %s: PostgreSQL and SQLite sources give the same conversation count (%d)" %
                 (label, n), n1 == n2 == n, "from pg %d, from sqlite %d" % (n1, n2))
            h.ok("pg %s: PostgreSQL and SQLite sources give the same verification checksum" %
                 label, r1.verify is not None and r2.verify is not None and
                 r1.verify[:2] == r2.verify[:2],
                 "pg %r sqlite %r" % (r1.verify, r2.verify))
            v2 = verify(h.binary, pg_url, t_sq)
            h.ok("pg %s: the SQLite-migrated target verifies clean against the PostgreSQL "
                 "source" % label, v2.rc == 0 and v2.lverify is not None and
                 v2.lverify[2] == 0, v2.brief())
            if v2.rc != 0:
                print("pg %s: cross-verify mismatches:\n%s" % (
                    label, "\n".join(v2.out.splitlines()[:15])), flush=True)
            r3 = migrate(h.binary, pg_url, t_pg)
            s3 = r3.summary or {}
            h.ok("pg %s: a second run from postgres:// skips everything" % label,
                 r3.rc == 0 and s3.get("migrated") == 0 and s3.get("skipped") == n, r3.brief())
            some = [row[0] for row in query(sqlite_path, "SELECT session_id FROM call_sessions "
                                                         "ORDER BY id DESC LIMIT 3")]
            t_ids = os.path.join(d, label + "-ids.db")
            r4 = migrate(h.binary, pg_url, t_ids, "--session-ids", ",".join(some))
            got = sorted(row[0] for row in query(t_ids, "SELECT legacy_session_id FROM "
                                                        "legacy_map"))
            h.ok("pg %s: --session-ids from postgres:// migrates exactly those sessions" % label,
                 r4.rc == 0 and got == sorted(some), "map %r, want %r; %s" % (
                     got, sorted(some), r4.brief(300)))

        # our own rows: values a backend may render differently (timestamps without
        # microseconds, integral floats, JSON null, booleans)
        rows = clean_rows(60)
        sql_path = os.path.join(d, "clean.sql")
        db_path = os.path.join(d, "clean.db")
        write_pg_sql(rows, sql_path)
        write_sqlite(rows, db_path)
        clean_url = pg.create_database("clean")
        pg.psql_file(sql_path, dbname="clean")
        compare("crafted-clean", clean_url, db_path, 60)

        empty_url = pg.create_database("not_legacy")
        pg.psql("CREATE TABLE customers (id int)", dbname="not_legacy")
        for what, url, needle in (("a PostgreSQL database without the legacy tables", empty_url,
                                   "legacy"),
                                  ("a PostgreSQL database that does not exist",
                                   pg.url_for("no_such_db"), "no_such_db")):
            r = migrate(h.binary, url, os.path.join(d, "bad.db"))
            head = [ln for ln in r.messages() if not ln.startswith(("\t", " "))]
            h.ok("legacy-migrate --from %s: exit 2 with one message" % what,
                 r.rc == 2 and len(head) == 1 and needle in head[0], r.brief())

        if not gen_available():
            h.skip("pg generated 2000", "%s does not exist (the shared test-data tools are "
                   "absent); only the crafted rows ran through PostgreSQL" % GEN)
            return
        gsql = os.path.join(d, "legacy.sql")
        gdb = os.path.join(d, "legacy.db")
        gen(["--sessions", "2000", "--seed", "3", "--sql", "--out", gsql])
        gen(["--sessions", "2000", "--seed", "3", "--out", gdb])
        pg.psql_file(gsql)
        compare("generated-2000", pg.url, gdb, 2000)
    except pgtmp.PgError as e:
        h.fail(name, "the throwaway PostgreSQL failed: %s" % e)
    finally:
        if pg is not None:
            pg.stop()


def check_flags(h, work):
    d = os.path.join(work, "flags")
    os.makedirs(d)
    src = os.path.join(d, "legacy.db")
    n = 60
    write_sqlite(clean_rows(n, seed=9), src)
    url = "sqlite:" + src

    # --dry-run
    t = os.path.join(d, "dry.db")
    r = migrate(h.binary, url, t, "--dry-run")
    s = r.summary or {}
    c = counts(t) if os.path.exists(t) else None
    h.ok("--dry-run: exit 0 and the summary says what would be migrated (%d)" % n,
         r.rc == 0 and s.get("migrated") == n and s.get("errors") == 0, r.brief())
    h.ok("--dry-run: writes no rows (conversations, customers, appointments, events, map = 0)",
         c is not None and all(v == 0 for v in c.values()), "counts %r" % c)

    # --session-ids
    t = os.path.join(d, "ids.db")
    want = {"sess_clean_0007", "sess_clean_0042"}
    r = migrate(h.binary, url, t, "--session-ids", "sess_clean_0042,sess_clean_0007")
    got = {row[0] for row in query(t, "SELECT legacy_session_id FROM legacy_map")}
    nconv = query(t, "SELECT count(*) FROM conversations")[0][0]
    s = r.summary or {}
    h.ok("--session-ids a,b: migrates exactly those two sessions",
         r.rc == 0 and got == want and nconv == 2 and s.get("migrated") == 2 and
         s.get("total") == 2, "exit %d, map %r, conversations %d, summary %r" % (
             r.rc, sorted(got), nconv, s))
    # a later pick around sessions already there: the verification counts only this run's
    t2 = os.path.join(d, "ids2.db")
    migrate(h.binary, url, t2, "--session-ids", "sess_clean_0042,sess_clean_0007")
    r = migrate(h.binary, url, t2, "--session-ids", "sess_clean_0003,sess_clean_0050")
    s = r.summary or {}
    h.ok("--session-ids around sessions already migrated: those two, verification OK",
         r.rc == 0 and s.get("migrated") == 2 and "OK" in r.out + r.err and
         "MISMATCH" not in r.out + r.err,
         "exit %d, summary %r, output %r" % (r.rc, s, (r.out + r.err)[-400:]))
    r = migrate(h.binary, url, t, "--session-ids", "sess_clean_0007,no_such_session")
    s = r.summary or {}
    h.ok("--session-ids with an id the source does not have: says so, naming it",
         "no_such_session" in r.err, "exit %d, summary %r, stderr %r" % (r.rc, s, r.err[-400:]))

    # --json (on the same target: 2 sessions already there)
    r = migrate(h.binary, url, t, "--json")
    objs = []
    for ln in r.out.splitlines():
        try:
            o = json.loads(ln)
        except ValueError:
            continue
        if isinstance(o, dict):
            objs.append(o)
    keys = ("total", "migrated", "skipped", "errors", "events", "seconds")
    o = objs[0] if objs else {}
    h.ok("--json: prints one JSON object with total/migrated/skipped/errors/events/seconds",
         len(objs) == 1 and all(isinstance(o.get(k), (int, float)) and
                                not isinstance(o.get(k), bool) for k in keys) and
         not SUMMARY_RE.search(r.out), "stdout %r" % r.out[-600:])
    src_events = query(src, "SELECT count(*) FROM call_events WHERE call_session_id NOT IN "
                            "(7, 42)")[0][0]
    h.ok("--json: the numbers are right (total %d, migrated %d, skipped 2, errors 0, events %d)"
         % (n, n - 2, src_events), r.rc == 0 and o.get("total") == n and
         o.get("migrated") == n - 2 and o.get("skipped") == 2 and o.get("errors") == 0 and
         o.get("events") == src_events, "object %r" % o)

    # --limit
    t = os.path.join(d, "limit.db")
    r1 = migrate(h.binary, url, t, "--limit", "5", "--batch", "2")
    n1 = query(t, "SELECT count(*) FROM legacy_map")[0][0]
    r2 = migrate(h.binary, url, t, "--limit", "5")
    n2 = query(t, "SELECT count(*) FROM legacy_map")[0][0]
    ids = [row[0] for row in query(t, "SELECT legacy_id FROM legacy_map ORDER BY legacy_id")]
    h.ok("--limit 5: each run migrates at most 5 sessions, in id order, continuing where the "
         "last stopped", r1.rc == 0 and r2.rc == 0 and (r1.summary or {}).get("migrated") == 5
         and (r2.summary or {}).get("migrated") == 5 and n1 == 5 and n2 == 10 and
         ids == list(range(1, 11)), "runs %r / %r; map %r" % (r1.summary, r2.summary, ids))
    r3 = migrate(h.binary, url, t)
    v = verify(h.binary, url, t)
    h.ok("--limit: a run without --limit finishes the rest and legacy-verify exits 0",
         r3.rc == 0 and (r3.summary or {}).get("migrated") == n - 10 and v.rc == 0,
         "%s // %s" % (r3.brief(300), v.brief(300)))

    # legacy-verify notices a changed score and a lost conversation, naming the sessions
    con = sqlite3.connect(t)
    try:
        con.execute("UPDATE conversations SET satisfaction_score = CASE WHEN "
                    "satisfaction_score = 3 THEN 4 ELSE 3 END WHERE id = (SELECT "
                    "conversation_id FROM legacy_map WHERE legacy_session_id = "
                    "'sess_clean_0005')")
        (cid,) = con.execute("SELECT conversation_id FROM legacy_map WHERE legacy_session_id "
                             "= 'sess_clean_0009'").fetchone()
        for sql in ("DELETE FROM communication_events WHERE conversation_id = ?",
                    "DELETE FROM voice_call_details WHERE message_id IN (SELECT id FROM "
                    "communication_messages WHERE conversation_id = ?)",
                    "DELETE FROM communication_messages WHERE conversation_id = ?",
                    "DELETE FROM legacy_map WHERE conversation_id = ?",
                    "DELETE FROM conversations WHERE id = ?"):
            con.execute(sql, (cid,))
        con.commit()
    finally:
        con.close()
    v = verify(h.binary, url, t)
    mm = [ln for ln in v.out.splitlines() if ln.startswith("mismatch:")]
    h.ok("legacy-verify: a changed score and a deleted conversation -> exit 1 with mismatch "
         "lines naming both sessions", v.rc == 1 and
         any("sess_clean_0005" in ln and "score" in ln for ln in mm) and
         any("sess_clean_0009" in ln for ln in mm), v.brief(800))
    r4 = migrate(h.binary, url, t)
    h.ok("legacy-migrate re-migrates the deleted session (migrated 1)",
         (r4.summary or {}).get("migrated") == 1 and
         query(t, "SELECT count(*) FROM legacy_map")[0][0] == n, r4.brief())


def run(h):
    seed = int(os.environ.get("SB_IT_LEGACY_SEED") or int(time.time()) % 1000000)
    print("seed %d (SB_IT_LEGACY_SEED=%d replays the kill moments)" % (seed, seed), flush=True)
    work = tempfile.mkdtemp(prefix="sb-it-legacy-")
    try:
        # private copies of the binaries: a `make` running meanwhile (another shell, another
        # session) must not swap them, and a schema, in the middle of the file
        h.binary = stable_copy(h.binary, os.path.join(work, "switchboard-under-test"))
        for title, fn in (("corrupt rows", lambda: check_crafted(h, work)),
                          ("bad sources", lambda: check_bad_sources(h, work)),
                          ("flags", lambda: check_flags(h, work)),
                          ("postgres source", lambda: check_postgres(h, work)),
                          ("kill -9", lambda: check_kill9(h, work, seed))):
            t0 = time.time()
            with h.section(title):
                fn()
            print("(%s: %.1fs)" % (title, time.time() - t0), flush=True)
    finally:
        if os.environ.get("SB_IT_KEEP"):
            print("kept %s" % work, flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.main(run, time_limit=300)
