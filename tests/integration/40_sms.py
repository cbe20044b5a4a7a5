"""40_sms.py - the inbound Twilio SMS webhook: signatures, TwiML, deduplication under
concurrency, validation, size limits, opt-out keywords, durability across kill -9, and the idle
window that closes a thread and opens a new one."""
import os
import shutil
import sqlite3
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402

SPA = "+13105550100"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def qs(**kw):
    return "?" + urllib.parse.urlencode(kw)


def run(h):
    srv = h.server("sms")
    viewer = srv.token("viewer")
    srv.start()

    def count_sid(sid):
        return srv.sql("SELECT count(*) FROM sms_details WHERE provider_message_id = ?",
                       (sid,))[0][0]

    def customer_of(phone):
        r = srv.get("/api/admin/customers" + qs(search=phone), token=viewer)
        cs = [c for c in (r.try_json() or {}).get("customers", []) if c["phone"] == phone]
        return cs[0] if cs else None

    def convs_of(phone):
        c = customer_of(phone)
        if not c:
            return []
        r = srv.get("/api/admin/customers/%d/timeline" % c["id"], token=viewer)
        return (r.try_json() or {}).get("timeline", [])

    def detail(conv_id):
        r = srv.get("/api/admin/communications/" + conv_id, token=viewer)
        return r.try_json() or {}

    def nothing_stored(name, sid, phone):
        h.ok(name + ": nothing stored (no message, no customer)",
             count_sid(sid) == 0 and customer_of(phone) is None and
             srv.sql("SELECT count(*) FROM customers WHERE phone = ?", (phone,))[0][0] == 0,
             "sid rows %d, customer %r" % (count_sid(sid), customer_of(phone)))

    # ---- the happy path ----
    with h.section("signed inbound SMS"):
        sid, phone = harness.new_sid(), "+14155551234"
        r = srv.sms(harness.sms_params(sid, phone, "Hi! Do you have time for a facial on "
                                       "Friday?"))
        h.ok("signed inbound SMS: 200", r.status == 200, repr(r))
        h.ok("the answer is TwiML with Content-Type text/xml",
             (r.header("Content-Type") or "").startswith("text/xml") and
             r.text.startswith("<?xml") and "<Response" in r.text, "%r %r" %
             (r.header("Content-Type"), r.body[:200]))
        h.eq("stored exactly once", count_sid(sid), 1)
        cust = customer_of(phone)
        h.ok("an unknown number becomes customer 'Customer \u2022\u20221234'",
             cust is not None and cust["name"] == "Customer \u2022\u20221234", "%r" % cust)
        tl = convs_of(phone)
        h.ok("one active sms conversation", len(tl) == 1 and tl[0]["channel"] == "sms" and
             tl[0]["status"] == "active", "%r" % tl)
        d = detail(tl[0]["id"]) if tl else {}
        msgs = d.get("messages", [])
        m = msgs[0] if msgs else {}
        sms = m.get("sms") or {}
        h.ok("the message: inbound, its text, sms block with from/to/sid/received",
             len(msgs) == 1 and m.get("direction") == "inbound" and
             m.get("content") == "Hi! Do you have time for a facial on Friday?" and
             sms.get("from_number") == phone and sms.get("to_number") == SPA and
             sms.get("provider_message_id") == sid and sms.get("delivery_status") ==
             "received" and sms.get("segments") == 1 and sms.get("media_urls") == [] and
             "voice" not in m and "email" not in m, "%r" % m)
        sid2 = harness.new_sid()
        r = srv.sms(harness.sms_params(sid2, phone, "Around 3 pm would be great"))
        tl = convs_of(phone)
        h.ok("a second SMS within the idle window joins the same conversation",
             r.status == 200 and len(tl) == 1 and tl[0]["message_count"] == 2, "%r" % tl)
        r = srv.sms(harness.sms_params(sid2, phone, "Around 3 pm would be great"))
        h.ok("a sequential duplicate MessageSid: 200, same TwiML, nothing stored twice",
             r.status == 200 and r.text.strip() == TWIML.strip() or
             (r.status == 200 and "<Response" in r.text), repr(r))
        h.eq("duplicate stored once", count_sid(sid2), 1)

    with h.section("MMS and national-format From"):
        sid, phone = harness.new_sid(), "+14155551235"
        extra = [("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/"
                               "Media/ME1"), ("MediaContentType0", "image/jpeg"),
                 ("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/"
                               "Media/ME2"), ("MediaContentType1", "image/png")]
        pairs = [p for p in harness.sms_params(sid, phone, "") if p[0] != "NumMedia"]
        pairs += [("NumMedia", "2")] + extra
        r = srv.sms(pairs)
        tl = convs_of(phone)
        d = detail(tl[0]["id"]) if tl else {}
        mu = ((d.get("messages") or [{}])[0].get("sms") or {}).get("media_urls")
        h.ok("an MMS with an empty body is stored with its media URLs in order",
             r.status == 200 and mu == [extra[0][1], extra[2][1]], "%r %r" % (r, mu))
        sid = harness.new_sid()
        r = srv.sms(harness.sms_params(sid, "(415) 555-1236", "national format"))
        h.ok("a From in national format is stored as E.164",
             r.status == 200 and customer_of("+14155551236") is not None, repr(r))

    # ---- concurrency: the same delivery eight times at once ----
    with h.section("concurrent duplicates"):
        sid, phone = harness.new_sid(), "+14155552000"
        pairs = harness.sms_params(sid, phone, "Same message, delivered 8 times")
        barrier = threading.Barrier(8)
        results = [None] * 8

        def post(i):
            try:
                barrier.wait(10)
                results[i] = srv.sms(pairs, timeout=30)
            except Exception as e:  # noqa: BLE001
                results[i] = e

        ts = [threading.Thread(target=post, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        statuses = [getattr(x, "status", repr(x)) for x in results]
        bodies = {getattr(x, "body", None) for x in results}
        h.ok("8 identical concurrent posts: all 200", statuses == [200] * 8, "%r" % statuses)
        h.ok("8 identical concurrent posts: identical bodies", len(bodies) == 1,
             "%d distinct bodies: %r" % (len(bodies), list(bodies)[:3]))
        h.eq("8 identical concurrent posts: exactly one row in sms_details (sqlite3)",
             count_sid(sid), 1)
        tl = convs_of(phone)
        d = detail(tl[0]["id"]) if tl else {}
        h.ok("8 identical concurrent posts: one conversation with one message (API)",
             len(tl) == 1 and len(d.get("messages", [])) == 1 and tl[0]["message_count"] == 1,
             "timeline %r, messages %d" % (tl, len(d.get("messages", []))))
        h.eq("8 identical concurrent posts: one customer", srv.sql(
            "SELECT count(*) FROM customers WHERE phone = ?", (phone,))[0][0], 1)

        phone = "+14155552001"
        sids = [harness.new_sid() for _ in range(8)]
        barrier = threading.Barrier(8)
        results = [None] * 8

        def post_distinct(i):
            try:
                barrier.wait(10)
                results[i] = srv.sms(harness.sms_params(sids[i], phone, "part %d" % i),
                                     timeout=30)
            except Exception as e:  # noqa: BLE001
                results[i] = e

        ts = [threading.Thread(target=post_distinct, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        statuses = [getattr(x, "status", repr(x)) for x in results]
        tl = convs_of(phone)
        h.ok("8 different SMS at once from a new number: all 200, one customer, one "
             "conversation holding the 8 messages", statuses == [200] * 8 and len(tl) == 1 and
             tl[0]["message_count"] == 8 and srv.sql(
                 "SELECT count(*) FROM customers WHERE phone = ?", (phone,))[0][0] == 1,
             "statuses %r, timeline %r" % (statuses, tl))

    # ---- refusals ----
    with h.section("signatures"):
        sid, phone = harness.new_sid(), "+14155553000"
        pairs = harness.sms_params(sid, phone, "unsigned")
        r = srv.sms(pairs, sign=False)
        h.error_shape("unsigned SMS: 403", r, 403, code="forbidden")
        nothing_stored("unsigned SMS", sid, phone)
        r = srv.sms(pairs, token="not-the-token")
        h.ok("SMS signed with another token: 403", r.status == 403, repr(r))
        sig = harness.twilio_signature(harness.TWILIO_TOKEN, srv.url +
                                       "/api/webhooks/twilio/sms", pairs)
        tampered = [(n, "tampered" if n == "Body" else v) for n, v in pairs]
        r = srv.sms(tampered, signature=sig)
        h.ok("SMS whose Body was changed after signing: 403", r.status == 403, repr(r))
        r = srv.sms(pairs, sign_url="https://example.com/api/webhooks/twilio/sms")
        h.ok("SMS signed for another URL: 403", r.status == 403, repr(r))
        r = srv.sms(pairs, signature=sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB"))
        h.ok("SMS with a corrupted signature: 403", r.status == 403, repr(r))
        r = srv.sms(pairs, signature="")
        h.ok("SMS with an empty signature header: 403", r.status == 403, repr(r))
        nothing_stored("mis-signed SMS", sid, phone)
        r = srv.sms(pairs + [("FromCity", "extra")], signature=sig)
        h.ok("an extra parameter not covered by the signature: 403", r.status == 403, repr(r))
        r = srv.sms(pairs, path="/api/webhooks/twilio/sms?x=1",
                    sign_url=srv.url + "/api/webhooks/twilio/sms")
        h.ok("a query string not covered by the signature: 403", r.status == 403, repr(r))
        r = srv.sms(pairs, path="/api/webhooks/twilio/sms?x=1")
        h.ok("a query string covered by the signature: 200", r.status == 200, repr(r))
        pairs_port = harness.sms_params(harness.new_sid(), phone, "port-less signing")
        r = srv.sms(pairs_port, sign_url="http://127.0.0.1/api/webhooks/twilio/sms")
        h.ok("a signature over the URL without its port is accepted (SDK port variants)",
             r.status == 200, repr(r))

    with h.section("required fields and bodies"):
        phone = "+14155554000"
        sid = harness.new_sid()
        pairs = [p for p in harness.sms_params(sid, phone, "no from") if p[0] != "From"]
        r = srv.sms(pairs)
        h.error_shape("signed SMS without From: 422 naming From", r, 422, field="From",
                      code="invalid_argument")
        h.eq("SMS without From: nothing stored", count_sid(sid), 0)
        sid = harness.new_sid()
        pairs = [p for p in harness.sms_params(sid, phone, "no sid")
                 if p[0] not in ("MessageSid", "SmsMessageSid", "SmsSid")]
        r = srv.sms(pairs)
        h.error_shape("signed SMS without MessageSid: 422 naming MessageSid", r, 422,
                      field="MessageSid", code="invalid_argument")
        sid = harness.new_sid()
        r = srv.sms(harness.sms_params(sid, phone, b"bad \xff byte"))
        h.error_shape("signed SMS whose Body is invalid UTF-8 (%FF): 422 naming Body", r, 422,
                      field="Body", code="invalid_argument")
        nothing_stored("SMS with invalid UTF-8", sid, phone)
        sid = harness.new_sid()
        r = srv.sms(harness.sms_params(sid, "not-a-number", "hello"))
        h.error_shape("signed SMS with an unusable From: 422 naming From", r, 422,
                      field="From")
        h.eq("SMS with an unusable From: nothing stored", count_sid(sid), 0)

        unit = "  Caf\u00e9 \u20ac5 & <b>bold</b> + 100% = \U0001F600\nline two\ttab "
        text = (unit * (1600 // len(unit) + 1))[:1597] + "end"
        assert len(text) == 1600
        sid, phone = harness.new_sid(), "+14155554001"
        r = srv.sms(harness.sms_params(sid, phone, text))
        tl = convs_of(phone)
        d = detail(tl[0]["id"]) if tl else {}
        got = (d.get("messages") or [{}])[0].get("content")
        h.ok("a 1,600-character body (multi-byte, spaces, markup, newlines) is stored verbatim",
             r.status == 200 and got == text, "status %d, stored %d chars, equal=%r" %
             (r.status, len(got or ""), got == text))
        pv = tl[0].get("last_message_preview") if tl else None
        h.ok("its preview is a prefix cut on a character boundary, with an ellipsis",
             isinstance(pv, str) and pv.endswith("\u2026") and text.startswith(pv[:-1]) and
             0 < len(pv[:-1].encode()) <= 120, "preview %r" % pv)

        sid, phone = harness.new_sid(), "+14155554002"
        pairs = harness.sms_params(sid, phone, "x" * 70000)
        body = harness.form_encode(pairs)
        head = ("POST /api/webhooks/twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"
                "X-Twilio-Signature: %s\r\n\r\n" % (
                    len(body), harness.twilio_signature(harness.TWILIO_TOKEN, srv.url +
                                                        "/api/webhooks/twilio/sms", pairs)))
        resp, serr, rerr = harness.raw_request(srv.port, head.encode(),
                                               [body[i:i + 16384]
                                                for i in range(0, len(body), 16384)])
        h.ok("a signed SMS body over 64 KiB: 413 payload_too_large",
             resp is not None and resp.status == 413 and
             (resp.try_json() or {}).get("code") == "payload_too_large",
             "resp %r send %r read %r" % (resp, serr, rerr))
        nothing_stored("SMS over 64 KiB", sid, phone)
        sid, phone = harness.new_sid(), "+14155554003"
        base = len(harness.form_encode(harness.sms_params(sid, phone, "")))
        pairs = harness.sms_params(sid, phone, "y" * (65536 - base))
        body = harness.form_encode(pairs)
        r = srv.sms(pairs)
        h.ok("a form body of exactly 64 KiB (%d bytes) is accepted" % len(body),
             len(body) == 65536 and r.status == 200 and count_sid(sid) == 1, repr(r))

    # ---- opt-out keywords ----
    with h.section("opt-out keywords"):
        phone = "+14155555000"
        sent = []
        for text in ("STOP", "  start ", "Help", "Please stop texting me at night"):
            sid = harness.new_sid()
            r = srv.sms(harness.sms_params(sid, phone, text))
            sent.append((sid, text, r.status))
            if text == "STOP":
                row = srv.sql("SELECT opted_out, keyword FROM opt_outs WHERE phone = ?",
                              (phone,))
                h.ok("STOP: opt_outs row says opted out (sqlite3)",
                     len(row) == 1 and row[0][0] == 1 and row[0][1].strip().upper() == "STOP",
                     "rows %r" % row)
            if text == "  start ":
                row = srv.sql("SELECT opted_out FROM opt_outs WHERE phone = ?", (phone,))
                h.ok("START (padded, lower case): opt_outs row says opted in again",
                     row == [(0,)], "rows %r" % row)
        h.ok("keyword messages answered 200", all(s == 200 for _, _, s in sent), "%r" % sent)
        tl = convs_of(phone)
        d = detail(tl[0]["id"]) if tl else {}
        msgs = d.get("messages", [])
        evs = d.get("events", [])
        h.ok("keyword messages are stored like any other (4 messages, one conversation)",
             len(tl) == 1 and len(msgs) == 4, "timeline %d, messages %d" % (len(tl), len(msgs)))
        types = [e["event_type"] for e in evs]
        h.eq("events sms.opt_out, sms.opt_in, sms.help in order (none for a sentence)",
             types, ["sms.opt_out", "sms.opt_in", "sms.help"])
        by_content = {m["content"]: m["id"] for m in msgs}
        want = [by_content.get("STOP"), by_content.get("  start "), by_content.get("Help")]
        h.ok("each keyword event points at its message",
             [e.get("message_id") for e in evs] == want and None not in want,
             "events %r, messages %r" % ([e.get("message_id") for e in evs], want))
        row = srv.sql("SELECT opted_out FROM opt_outs WHERE phone = ?", (phone,))
        h.ok("HELP and a sentence do not change the ledger", row == [(0,)], "rows %r" % row)
        for kw in ("stopall", "UNSUBSCRIBE", "cancel", "End", "QUIT"):
            p = "+1415555%04d" % (5100 + len(kw))
            srv.sms(harness.sms_params(harness.new_sid(), p, kw))
        rows = srv.sql("SELECT phone, opted_out FROM opt_outs WHERE phone LIKE '+1415555510%' "
                       "OR phone LIKE '+1415555511%'")
        h.ok("STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT all opt out",
             len(rows) == 5 and all(o == 1 for _, o in rows), "rows %r" % rows)

    with h.section("no auth token configured"):
        off = h.server("sms-off", twilio=False)
        off.start()
        sid, phone = harness.new_sid(), "+14155556000"
        r = off.sms(harness.sms_params(sid, phone, "hello"))
        h.error_shape("SMS webhook without SWITCHBOARD_TWILIO_AUTH_TOKEN: 503 unavailable", r,
                      503, code="unavailable")
        h.eq("SMS webhook disabled: nothing stored", off.sql(
            "SELECT count(*) FROM sms_details")[0][0], 0)
        off.stop()

    with h.section("public URL behind a proxy"):
        px = h.server("sms-proxy")
        px.start(env={"SWITCHBOARD_PUBLIC_URL": "https://hooks.example.com/"})
        path = "/api/webhooks/twilio/sms"
        sid, phone = harness.new_sid(), "+14155556100"
        pairs = harness.sms_params(sid, phone, "via the proxy")
        r = px.sms(pairs, sign_url=px.url + path)
        h.ok("behind a proxy: a signature over the internal URL is refused (403)",
             r.status == 403, repr(r))
        r = px.sms(pairs, sign_url="https://hooks.example.com" + path)
        h.ok("behind a proxy: a signature over SWITCHBOARD_PUBLIC_URL (trailing slash "
             "ignored) + path is accepted", r.status == 200, repr(r))
        r = px.sms(harness.sms_params(harness.new_sid(), phone, "with port"),
                   sign_url="https://hooks.example.com:443" + path)
        h.ok("behind a proxy: a signature over the public URL with :443 is accepted",
             r.status == 200, repr(r))
        pairs = harness.sms_params(harness.new_sid(), phone, "charset param")
        r = harness.request(px.port, "POST", path, body=harness.form_encode(pairs), headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Twilio-Signature": harness.twilio_signature(
                harness.TWILIO_TOKEN, "https://hooks.example.com" + path, pairs)})
        h.ok("Content-Type application/x-www-form-urlencoded; charset=utf-8 is accepted",
             r.status == 200, repr(r))
        r = harness.request(px.port, "POST", path, body=harness.form_encode(pairs), headers={
            "Content-Type": "application/json",
            "X-Twilio-Signature": harness.twilio_signature(
                harness.TWILIO_TOKEN, "https://hooks.example.com" + path, pairs)})
        h.ok("the SMS webhook with Content-Type application/json: 415", r.status == 415,
             repr(r))
        px.stop()

    with h.section("known customer"):
        staff = srv.token("staff")
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": "Known Person", "phone": "(415) 555-0188"})
        kid = (r.try_json() or {}).get("id")
        r2 = srv.sms(harness.sms_params(harness.new_sid(), "+14155550188", "it's me"))
        c = customer_of("+14155550188")
        h.ok("an SMS from a known customer's number joins that customer (no new customer)",
             r.status == 201 and r2.status == 200 and c and c["id"] == kid and
             c["name"] == "Known Person" and c["conversation_count"] == 1,
             "created %r, sms %r, customer %r" % (r, r2, c))

    with h.section("checkpoints"):
        n = srv.sql("SELECT count(*) FROM sms_details")[0][0]
        alone = os.path.join(srv.dir, "database-file-alone.db")
        m = None
        for _ in range(30):  # the checkpointer runs twice a second
            time.sleep(0.2)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(alone + suffix):
                    os.unlink(alone + suffix)
            shutil.copyfile(srv.db, alone)  # the database file without its WAL
            con = sqlite3.connect(alone)
            try:
                m = con.execute("SELECT count(*) FROM sms_details").fetchone()[0]
            except sqlite3.Error:
                m = None  # copied mid-checkpoint: try again
            finally:
                con.close()
            if m == n:
                break
        h.eq("committed messages reach the database file itself, not only its WAL (the "
             "checkpointer copies them)", m, n)
    srv.stop("sms: SIGTERM after the tests: exit 0, no sanitizer report")

    # ---- durability: kill -9 right after the last 200 ----
    with h.section("durability"):
        dur = h.server("durable")
        dur.start()
        sids = [harness.new_sid() for _ in range(200)]
        phones = ["+1646555%04d" % (i % 40) for i in range(200)]
        results = {}
        lock = threading.Lock()

        def worker(k):
            for i in range(k, 200, 8):
                try:
                    r = dur.sms(harness.sms_params(sids[i], phones[i], "durable #%d" % i),
                                timeout=30)
                    st = r.status
                except Exception as e:  # noqa: BLE001
                    st = repr(e)
                with lock:
                    results[i] = st

        t0 = time.time()
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(90)
        dur.kill()  # SIGKILL right after the last 200 OK
        elapsed = time.time() - t0
        bad = {i: s for i, s in results.items() if s != 200}
        h.ok("200 unique SMS from 8 threads (40 numbers): all answered 200",
             len(results) == 200 and not bad, "%d answers, not 200: %r" %
             (len(results), list(bad.items())[:5]))
        dur.start()
        q = ",".join("?" * len(sids))
        rows = dur.sql("SELECT provider_message_id, count(*) FROM sms_details WHERE "
                       "provider_message_id IN (%s) GROUP BY 1" % q, sids)
        counts = dict(rows)
        missing = [s for s in sids if counts.get(s, 0) == 0]
        dup = [s for s in sids if counts.get(s, 0) > 1]
        h.ok("after kill -9 and restart every acknowledged SMS is stored exactly once",
             not missing and not dup, "%d missing, %d duplicated (posting took %.1fs)" %
             (len(missing), len(dup), elapsed))
        total = dur.sql("SELECT count(*) FROM communication_messages")[0][0]
        h.eq("exactly 200 messages stored", total, 200)
        statuses = []
        for i in range(200):
            statuses.append(dur.sms(harness.sms_params(sids[i], phones[i], "durable #%d" % i))
                            .status)
        h.ok("re-posting all 200 after the restart: all 200", statuses == [200] * 200,
             "not 200: %r" % [s for s in statuses if s != 200][:5])
        h.eq("re-posting stores nothing new", dur.sql(
            "SELECT count(*) FROM communication_messages")[0][0], 200)
        h.eq("40 customers, one per number", dur.sql("SELECT count(*) FROM customers")[0][0],
             40)
        dur.stop("durable: SIGTERM after restart: exit 0, no sanitizer report")

    # ---- two instances sharing one database ----
    with h.section("two instances"):
        a = h.server("inst-a")
        b = h.server("inst-b", db=a.db, migrate=False)
        a.start()
        b.start()
        sid, phone = harness.new_sid(), "+14155558000"
        pairs = harness.sms_params(sid, phone, "to both instances")
        barrier = threading.Barrier(8)
        results = [None] * 8

        def both(i):
            try:
                barrier.wait(10)
                results[i] = (a if i % 2 else b).sms(pairs, timeout=30)
            except Exception as e:  # noqa: BLE001
                results[i] = e

        ts = [threading.Thread(target=both, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        statuses = [getattr(x, "status", repr(x)) for x in results]
        n = a.sql("SELECT count(*) FROM sms_details WHERE provider_message_id = ?", (sid,))[0][0]
        h.ok("the same SMS to two instances sharing a db, 8 times at once: all 200, stored "
             "once", statuses == [200] * 8 and n == 1, "statuses %r, rows %d" % (statuses, n))
        sids = [harness.new_sid() for _ in range(120)]
        res = {}
        lock = threading.Lock()

        def spread(k):
            for i in range(k, 120, 8):
                try:
                    st = (a if i % 2 else b).sms(harness.sms_params(
                        sids[i], "+1646556%04d" % (i % 10), "spread #%d" % i), timeout=30).status
                except Exception as e:  # noqa: BLE001
                    st = repr(e)
                with lock:
                    res[i] = st

        ts = [threading.Thread(target=spread, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(90)
        bad = {i: s for i, s in res.items() if s != 200}
        n = a.sql("SELECT count(DISTINCT provider_message_id), count(*) FROM sms_details "
                  "WHERE provider_message_id IN (%s)" % ",".join("?" * 120), sids)[0]
        convs = a.sql("SELECT count(*) FROM conversations c JOIN customers cu ON "
                      "cu.id = c.customer_id WHERE cu.phone LIKE '+1646556%'")[0][0]
        h.ok("120 SMS spread over two instances from 8 threads: all 200 (no 503 under "
             "contention), each stored once, one conversation per number",
             not bad and len(res) == 120 and tuple(n) == (120, 120) and convs == 10,
             "not 200: %r; rows %r; conversations %d" % (list(bad.items())[:5], n, convs))
        a.stop("inst-a: SIGTERM: exit 0, no sanitizer report")
        b.stop("inst-b: SIGTERM: exit 0, no sanitizer report")

    # ---- the idle window ----
    with h.section("idle window"):
        idle = h.server("idle")
        iv = idle.token("viewer")
        idle.start(env={"SWITCHBOARD_IDLE_MINUTES": "1"})
        phone = "+14155557000"
        r1 = idle.sms(harness.sms_params(harness.new_sid(), phone,
                                         "Thank you so much, the facial was wonderful!"))
        rows = idle.sql("SELECT id, last_activity_at FROM conversations")
        h.ok("first SMS opens a conversation", r1.status == 200 and len(rows) == 1,
             "%r %r" % (r1, rows))
        old_id, last = rows[0]
        idle.sql("UPDATE conversations SET last_activity_at = last_activity_at - 2*60*1000000 "
                 "WHERE id = ?", (old_id,))
        r2 = idle.sms(harness.sms_params(harness.new_sid(), phone, "Can I book again?"))
        rows = idle.sql("SELECT id, status, satisfaction_score, completed_at, last_activity_at "
                        "FROM conversations ORDER BY initiated_at")
        h.ok("an SMS after the idle window (1 min) opens a new conversation",
             r2.status == 200 and len(rows) == 2 and rows[1][0] != old_id, "%r" % rows)
        r = idle.get("/api/admin/communications/" + old_id, token=iv)
        oc = (r.try_json() or {}).get("conversation", {})
        h.ok("the idle conversation is completed and scored (score, sentiment, outcome, "
             "summary)", oc.get("status") == "completed" and
             isinstance(oc.get("satisfaction_score"), int) and oc.get("sentiment") and
             oc.get("outcome") and oc.get("ai_summary") and
             isinstance(oc.get("score_explanation"), dict), "%r" % oc)
        h.ok("the idle conversation's completed_at is its last activity, before the new one "
             "starts", oc.get("completed_at") is not None and
             oc.get("completed_at") == oc.get("last_activity_at"),
             "completed_at %r last_activity_at %r" % (oc.get("completed_at"),
                                                     oc.get("last_activity_at")))
        if len(rows) == 2:
            r = idle.get("/api/admin/communications/" + rows[1][0], token=iv)
            nc = r.try_json() or {}
            h.ok("the new conversation is active with just the new message",
                 nc.get("conversation", {}).get("status") == "active" and
                 [m["content"] for m in nc.get("messages", [])] == ["Can I book again?"],
                 "%r" % nc.get("conversation"))
        idle.stop("idle: SIGTERM: exit 0, no sanitizer report")


harness.main(run)
