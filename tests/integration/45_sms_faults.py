"""45_sms_faults.py - fault injection on the inbound SMS webhook: 2,000 signed webhooks, each
delivered twice and concurrently, SIGKILL of the server half-way through, restart on the same
database, replay of everything; then every MessageSid must be stored exactly once, nothing
acknowledged may be lost, and the threads must still add up.

Every phase runs the --binary (the sanitizer build), whose logs must stay free of sanitizer
reports; SB_IT_LOAD_BINARY=release runs the load phase on the release build next to it
(build/switchboard), SB_IT_LOAD_BINARY=<path> on another binary. SB_IT_SEED=<n> replays one
generated data set (the seed is printed on a `#` line).
"""
import http.client
import os
import random
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402

N_MSGS = 2000
N_SENDERS = 200
WORKERS = 32
SPA = "+13105550100"
PATH = "/api/webhooks/twilio/sms"

# Bodies: form-encoding specials, multi-byte text, emoji, whitespace, markup.
FRAGMENTS = [
    "Hi! Do you have time for a facial on Friday?", "50% off & free = +1?", "a+b=c&d=e;f",
    "100%25 literal percent-escape", "Caf\u00e9 \u2615 at 3?", "emoji \U0001F600\U0001F389"
    "\U0001F44D\U0001F3FD", "family \U0001F468\u200D\U0001F469\u200D\U0001F467", "line one\n"
    "line two", "  padded both sides  ", "<b>tags</b> \"double\" 'single' \\ backslash",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "#hash ?q=1&r=2 /path", "+++ === &&& %%%",
    "tab\tseparated\tvalues", "\u00bfM\u00e1s tarde? \u00a1S\u00ed!", "\u20ac5 \u00a3 \u00a5",
    "ok", "Thanks!!", "Can I move my appointment to 4:30pm?", "%00 is not a NUL here",
]
KEYWORDS = ["STOP", "START", "stop", " Start ", "UNSUBSCRIBE", "unstop", "HELP"]


def load_binary(h):
    """The binary of the load phase: the --binary itself (the sanitizer build costs well under a
    second more here), or SB_IT_LOAD_BINARY: `release` for build/switchboard next to the
    --binary's build directory (build/asan/switchboard -> build/switchboard), or a path."""
    want = os.environ.get("SB_IT_LOAD_BINARY", "")
    if not want:
        return h.binary
    if want != "release":
        return os.path.abspath(want)
    d = os.path.dirname(h.binary)
    if os.path.basename(d) == "asan":
        cand = os.path.join(os.path.dirname(d), "switchboard")
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return h.binary


class BinaryView:
    """The harness as seen by a Server that runs another binary (checks and cleanup shared)."""

    def __init__(self, h, binary):
        self._h = h
        self.binary = binary

    def __getattr__(self, name):
        return getattr(self._h, name)


def is_twiml(status, ctype, body):
    return status == 200 and (ctype or "").startswith("text/xml") and b"<Response" in body


def make_messages(rng):
    """N_MSGS distinct inbound SMS: (sid, from, body); every sender writes at least once."""
    senders = ["+1628555%04d" % i for i in range(N_SENDERS)]
    keyword_senders = set(rng.sample(senders, 12))
    froms = [senders[i % N_SENDERS] for i in range(N_MSGS)]
    rng.shuffle(froms)
    msgs, seen = [], set()
    n_kw = 0
    for i, frm in enumerate(froms):
        sid = harness.new_sid()
        while sid in seen:
            sid = harness.new_sid()
        seen.add(sid)
        if frm in keyword_senders and n_kw < 40 and rng.random() < 0.5:
            body = rng.choice(KEYWORDS)
            n_kw += 1
        elif i % 397 == 0:
            body = ""  # an empty body (as with an MMS) is a message too
        else:
            parts = rng.sample(FRAGMENTS, rng.randint(1, 4))
            body = " ".join(parts) + " #%d" % i
            if i % 101 == 0:
                body = (body + " ") * 8  # a long one, several segments
        msgs.append((sid, frm, body))
    return msgs


def signed_requests(msgs, port):
    """(body bytes, headers) per message, signed for http://127.0.0.1:<port>."""
    url = "http://127.0.0.1:%d%s" % (port, PATH)
    out = []
    for sid, frm, body in msgs:
        pairs = harness.sms_params(sid, frm, body)
        out.append((harness.form_encode(pairs), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": harness.twilio_signature(harness.TWILIO_TOKEN, url, pairs)}))
    return out


def delivery_order(rng, n, adjacent_share):
    """Each index twice, shuffled; a share of the pairs back to back, so both copies are taken
    by two workers at the same moment."""
    units = []
    for i in range(n):
        if rng.random() < adjacent_share:
            units.append([i, i])
        else:
            units.append([i])
            units.append([i])
    rng.shuffle(units)
    return [i for u in units for i in u]


def deliver(port, reqs, order, kill_after=None, kill=None):
    """Posts reqs[order[k]] from WORKERS threads. With kill_after, the worker whose answer is
    number kill_after calls kill(False) (send SIGKILL) under the results lock, then kill(True)
    (wait for the process), and no new request is started after it.
    Returns (results, info): results[k] is ("twiml",), ("http", status, body) or ("error", repr)
    or None when not sent."""
    results = [None] * len(order)
    lock = threading.Lock()
    st = {"next": 0, "answered": 0, "killed": False, "in_flight": 0, "in_flight_at_kill": 0,
          "kill_at": None}

    def one(k):
        body, hdrs = reqs[order[k]]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("POST", PATH, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            if is_twiml(r.status, r.getheader("Content-Type"), data):
                return ("twiml",)
            return ("http", r.status, data[:200])
        except Exception as e:  # noqa: BLE001 - connection errors around the kill
            return ("error", "%s: %s" % (type(e).__name__, e))
        finally:
            conn.close()

    def worker():
        while True:
            with lock:
                if st["killed"] or st["next"] >= len(order):
                    return
                k = st["next"]
                st["next"] += 1
                st["in_flight"] += 1
            res = one(k)
            do_kill = False
            with lock:
                results[k] = res
                st["in_flight"] -= 1
                if res[0] != "error":
                    st["answered"] += 1
                if (kill_after is not None and not st["killed"] and
                        st["answered"] >= kill_after):
                    st["killed"] = True
                    st["in_flight_at_kill"] = st["in_flight"]
                    st["kill_at"] = time.time()
                    kill(False)  # SIGKILL now: answers after this point cannot come
                    do_kill = True
            if do_kill:
                kill(True)  # reap it

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    return results, st


def run(h):
    seed = int(os.environ.get("SB_IT_SEED") or random.SystemRandom().randrange(1, 10**9))
    rng = random.Random(seed)
    rel = load_binary(h)
    print("# seed %d; load phase binary %s; restart binary %s" % (seed, rel, h.binary),
          flush=True)
    msgs = make_messages(rng)
    sids = [m[0] for m in msgs]
    sid_index = {s: i for i, s in enumerate(sids)}
    by_sender = {}
    for sid, frm, _ in msgs:
        by_sender.setdefault(frm, set()).add(sid)

    load = harness.Server(BinaryView(h, rel), name="sms-load")
    admin = load.token("admin")
    replay = h.server("sms-replay", db=load.db, migrate=False)

    def sid_counts():
        return dict(load.sql("SELECT provider_message_id, count(*) FROM sms_details "
                             "GROUP BY provider_message_id"))

    def empty_conversations():
        return load.sql("SELECT c.id FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM "
                        "communication_messages m WHERE m.conversation_id = c.id)")

    def count_mismatches():
        return load.sql("SELECT c.id, c.message_count, (SELECT count(*) FROM "
                        "communication_messages m WHERE m.conversation_id = c.id) AS n "
                        "FROM conversations c WHERE c.message_count <> n")

    # ---- phase 1: every webhook twice, concurrently; SIGKILL half-way ----
    acked = set()
    with h.section("phase 1: load and SIGKILL"):
        load.start()
        reqs = signed_requests(msgs, load.port)
        order = delivery_order(rng, N_MSGS, 0.25)
        t0 = time.time()

        def sigkill(reap):
            if reap:
                load.kill()  # SIGKILL to the process group again, and wait
            else:
                os.killpg(load.proc.pid, signal.SIGKILL)

        res1, st1 = deliver(load.port, reqs, order, kill_after=len(order) // 2, kill=sigkill)
        t1 = time.time()
        h.ok("phase 1: the server was SIGKILLed after half of the %d requests were answered"
             % len(order), st1["killed"] and not load.running(),
             "killed %r, running %r, answered %d" % (st1["killed"], load.running(),
                                                    st1["answered"]))
        other = [(order[k], r) for k, r in enumerate(res1) if r and r[0] == "http"]
        errors = [r for r in res1 if r and r[0] == "error"]
        for k, r in enumerate(res1):
            if r and r[0] == "twiml":
                acked.add(sids[order[k]])
        print("# phase 1: %.1fs, %d answered (%d TwiML, %d acknowledged sids), %d in flight at "
              "the kill, %d connection errors, %d not sent" % (
                  t1 - t0, st1["answered"], sum(1 for r in res1 if r and r[0] == "twiml"),
                  len(acked), st1["in_flight_at_kill"], len(errors),
                  sum(1 for r in res1 if r is None)), flush=True)
        h.ok("phase 1: every answer before the kill is a 200 TwiML (connection errors only "
             "from the kill)", not other, "%d other answers, e.g. %r" % (len(other), other[:3]))
        h.ok("phase 1: no sanitizer report in the load server's log",
             load.sanitizer_report() is None, load.sanitizer_report())

    # ---- restart on the same database: durability, checked before any replay ----
    with h.section("restart after SIGKILL"):
        t2 = time.time()
        replay.start()
        print("# restart: ready after %.1fs" % (time.time() - t2), flush=True)
        counts = sid_counts()
        lost = [s for s in acked if counts.get(s, 0) == 0]
        h.ok("after SIGKILL and restart, every MessageSid acknowledged with a 200 is stored "
             "(%d acknowledged)" % len(acked), acked and not lost,
             "%d of %d acknowledged sids lost, e.g. %r" % (len(lost), len(acked), lost[:3]))
        dup = {s: n for s, n in counts.items() if n != 1}
        foreign = [s for s in counts if s not in sid_index]
        h.ok("after the restart, no MessageSid is stored twice and nothing unknown is stored",
             not dup and not foreign, "doubled %r, unknown %r" % (list(dup.items())[:3],
                                                                  foreign[:3]))
        empty = empty_conversations()
        mism = count_mismatches()
        h.ok("after the restart, no conversation is left without messages and every "
             "message_count matches (no half-written webhook)", not empty and not mism,
             "empty %r, message_count mismatches %r" % (empty[:3], mism[:3]))
        print("# restart: %d of %d sids stored before the replay" % (len(counts), N_MSGS),
              flush=True)

    # ---- phase 2: replay everything, each twice ----
    with h.section("phase 2: replay"):
        reqs = signed_requests(msgs, replay.port)
        order = delivery_order(rng, N_MSGS, 0.25)
        t3 = time.time()
        res2, _ = deliver(replay.port, reqs, order)
        t4 = time.time()
        bad = [(sids[order[k]], r) for k, r in enumerate(res2) if not r or r[0] != "twiml"]
        print("# phase 2: %d requests in %.1fs" % (len(order), t4 - t3), flush=True)
        h.ok("phase 2: the replay of all %d webhooks (each twice, concurrently) is answered "
             "200 TwiML every time" % N_MSGS, not bad, "%d not 200 TwiML, e.g. %r" % (
                 len(bad), bad[:3]))

    # ---- the database ----
    with h.section("database after the replay"):
        total, distinct = load.sql("SELECT count(*), count(DISTINCT provider_message_id) "
                                   "FROM sms_details")[0]
        h.eq("sqlite3: exactly 2,000 rows in sms_details, 2,000 distinct MessageSids",
             (total, distinct), (N_MSGS, N_MSGS))
        stored = set(sid_counts())
        h.ok("sqlite3: the stored MessageSids are exactly the generated ones (nothing lost, "
             "nothing extra)", stored == set(sids), "%d missing, %d extra" % (
                 len(set(sids) - stored), len(stored - set(sids))))
        h.eq("sqlite3: 2,000 messages in communication_messages", load.sql(
            "SELECT count(*) FROM communication_messages")[0][0], N_MSGS)
        rows = load.sql("SELECT d.provider_message_id, d.from_number, d.to_number, m.content, "
                        "m.direction, m.channel, cu.phone FROM sms_details d "
                        "JOIN communication_messages m ON m.id = d.message_id "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "LEFT JOIN customers cu ON cu.id = c.customer_id")
        wrong = []
        for sid, frm, to, content, direction, channel, cphone in rows:
            i = sid_index.get(sid)
            if i is None:
                continue
            want_from, want_body = msgs[i][1], msgs[i][2]
            if (frm, to, content, direction, channel, cphone) != (
                    want_from, SPA, want_body, "inbound", "sms", want_from):
                wrong.append((sid, frm, cphone, content[:40] if content else content))
        h.ok("sqlite3: every message has its own From, To and body verbatim, and sits in a "
             "conversation of its sender's customer", len(rows) == N_MSGS and not wrong,
             "%d rows, %d wrong, e.g. %r" % (len(rows), len(wrong), wrong[:3]))
        empty = empty_conversations()
        mism = count_mismatches()
        h.ok("sqlite3: no conversation has zero messages, every message_count is right",
             not empty and not mism, "empty %r, mismatches %r" % (empty[:3], mism[:3]))
        h.eq("sqlite3: the message_count of the sms conversations adds up to 2,000", load.sql(
            "SELECT coalesce(sum(message_count), 0) FROM conversations WHERE channel = 'sms'")
            [0][0], N_MSGS)
        custs = load.sql("SELECT phone, count(*) FROM customers GROUP BY phone")
        h.ok("sqlite3: one customer per sender (%d)" % N_SENDERS,
             sorted(p for p, _ in custs) == sorted(by_sender) and all(n == 1 for _, n in custs),
             "%d customers for %d senders" % (len(custs), len(by_sender)))
        threads = load.sql("SELECT cu.phone, count(*) FROM conversations c JOIN customers cu "
                           "ON cu.id = c.customer_id WHERE c.channel = 'sms' GROUP BY cu.phone")
        many = [(p, n) for p, n in threads if n != 1]
        h.ok("sqlite3: one sms thread per sender (all within the idle window)",
             len(threads) == N_SENDERS and not many, "%d senders with a thread, %d with more "
             "than one, e.g. %r" % (len(threads), len(many), many[:3]))
        kept = dict(load.sql("SELECT status, n FROM conversation_counts WHERE channel = 'sms'"))
        real = dict(load.sql("SELECT status, count(*) FROM conversations WHERE channel = 'sms' "
                             "GROUP BY status"))
        h.ok("sqlite3: the kept conversation counts match the conversations",
             all(kept.get(s, 0) == real.get(s, 0) for s in set(kept) | set(real)),
             "kept %r, real %r" % (kept, real))

        want_ev = {"sms.opt_out": 0, "sms.opt_in": 0, "sms.help": 0}
        kw_msgs = {}
        for sid, frm, body in msgs:
            k = body.strip().upper()
            t = ("sms.opt_out" if k in ("STOP", "UNSUBSCRIBE") else
                 "sms.opt_in" if k in ("START", "UNSTOP") else
                 "sms.help" if k == "HELP" else None)
            if t:
                want_ev[t] += 1
                kw_msgs[sid] = t
        evs = load.sql("SELECT e.event_type, d.provider_message_id FROM communication_events e "
                       "JOIN sms_details d ON d.message_id = e.message_id WHERE e.event_type "
                       "LIKE 'sms.%'")
        got_ev = {"sms.opt_out": 0, "sms.opt_in": 0, "sms.help": 0}
        misplaced = []
        for t, sid in evs:
            got_ev[t] = got_ev.get(t, 0) + 1
            if kw_msgs.get(sid) != t:
                misplaced.append((t, sid))
        h.ok("sqlite3: one keyword event per STOP/START/HELP message, none doubled (%d "
             "keyword messages)" % len(kw_msgs), got_ev == want_ev and not misplaced and
             len({s for _, s in evs}) == len(evs), "events %r, want %r, misplaced %r" % (
                 got_ev, want_ev, misplaced[:3]))
        ledger = {p: (o, mid) for p, o, mid in load.sql(
            "SELECT phone, opted_out, message_id FROM opt_outs")}
        latest = load.sql(
            "SELECT d.from_number, m.id, upper(trim(m.content)) FROM communication_messages m "
            "JOIN sms_details d ON d.message_id = m.id WHERE upper(trim(m.content)) IN "
            "('STOP','START','UNSUBSCRIBE','UNSTOP') ORDER BY m.sent_at")
        want_ledger = {}
        for p, mid, kw in latest:
            want_ledger[p] = (1 if kw in ("STOP", "UNSUBSCRIBE") else 0, mid)
        h.ok("sqlite3: the opt-out ledger holds each number's latest STOP/START",
             ledger == want_ledger, "ledger %r, want %r" % (
                 sorted(ledger.items())[:3], sorted(want_ledger.items())[:3]))

    # ---- the API ----
    with h.section("API after the replay"):
        convs, page, total = [], 1, None
        while True:
            r = replay.get("/api/admin/communications?channel=sms&page_size=100&page=%d" % page,
                           token=admin, timeout=30)
            j = r.try_json() or {}
            if r.status != 200:
                raise AssertionError("list page %d: %r" % (page, r))
            total = j.get("total")
            convs += j.get("conversations", [])
            if page >= j.get("total_pages", 0):
                break
            page += 1
        db_convs = load.sql("SELECT count(*) FROM conversations WHERE channel = 'sms'")[0][0]
        h.ok("API: the sms conversation list has every conversation (total = listed = "
             "sqlite3)", total == len(convs) == db_convs and
             len({c["id"] for c in convs}) == len(convs), "total %r, listed %d (%d distinct), "
             "sqlite3 %d" % (total, len(convs), len({c["id"] for c in convs}), db_convs))
        zero = [c["id"] for c in convs if c.get("message_count", 0) < 1]
        h.ok("API: no conversation with zero messages; message_count sums to 2,000",
             not zero and sum(c.get("message_count", 0) for c in convs) == N_MSGS,
             "zero %r, sum %d" % (zero[:3], sum(c.get("message_count", 0) for c in convs)))

        details = {}
        dlock = threading.Lock()
        todo = list(convs)

        def fetch():
            while True:
                with dlock:
                    if not todo:
                        return
                    c = todo.pop()
                try:
                    d = replay.get("/api/admin/communications/" + c["id"], token=admin,
                                   timeout=30)
                    val = d.try_json() if d.status == 200 else d
                except Exception as e:  # noqa: BLE001
                    val = e
                with dlock:
                    details[c["id"]] = val

        ts = [threading.Thread(target=fetch, daemon=True) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        failed = {k: v for k, v in details.items() if not isinstance(v, dict)}
        seen, wrong = {}, []
        for c in convs:
            d = details.get(c["id"])
            if not isinstance(d, dict):
                continue
            ms = d.get("messages", [])
            if len(ms) != c.get("message_count"):
                wrong.append((c["id"], "message_count %r, %d messages" % (
                    c.get("message_count"), len(ms))))
            for m in ms:
                s = (m.get("sms") or {}).get("provider_message_id")
                seen[s] = seen.get(s, 0) + 1
                i = sid_index.get(s)
                if i is None or (m.get("sms") or {}).get("from_number") != msgs[i][1] or \
                        c.get("customer_phone") != msgs[i][1] or m.get("content") != msgs[i][2]:
                    wrong.append((c["id"], s))
        h.ok("API: every conversation detail answers (%d)" % len(convs),
             len(details) == len(convs) and not failed, "%d of %d, failures %r" % (
                 len(details), len(convs), list(failed.items())[:2]))
        twice = [s for s, n in seen.items() if n != 1]
        h.ok("API: the details hold every MessageSid exactly once",
             set(seen) == set(sids) and not twice, "%d seen, %d missing, %d more than once" %
             (len(seen), len(set(sids) - set(seen)), len(twice)))
        h.ok("API: each message is in a conversation of its sender, with its body verbatim",
             not wrong, "%d wrong, e.g. %r" % (len(wrong), wrong[:3]))
        phones = {}
        for c in convs:
            phones.setdefault(c.get("customer_phone"), []).append(c)
        per_sender = [(p, sum(c["message_count"] for c in phones.get(p, [])), len(s))
                      for p, s in by_sender.items()]
        off = [x for x in per_sender if x[1] != x[2]]
        h.ok("API: per sender, the message_counts of its conversations add up to what it sent",
             not off and set(phones) == set(by_sender), "off %r" % off[:3])

    replay.stop("replay server: SIGTERM after the replay: exit 0, no sanitizer report")


harness.main(run)
