"""30_api.py - the admin API: list filters and their validation, path ids, conversation detail
shapes over the demo data, customers CRUD, roles, the cross-channel timeline with cursors, and
scoring when a conversation is completed."""
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402

TS = harness.TS_RE
UUID = harness.UUID_RE
CHANNELS = {"voice", "sms", "email"}
STATUSES = {"active", "completed", "failed"}
SENTIMENTS = {"positive", "neutral", "negative", "mixed"}
OUTCOMES = {"appointment_scheduled", "appointment_rescheduled", "appointment_cancelled",
            "info_request", "complaint", "escalated", "abandoned", "unresolved"}
LIST_KEYS = {"id", "customer_id", "customer_name", "customer_phone", "channel", "status",
             "initiated_at", "last_activity_at", "completed_at", "satisfaction_score",
             "sentiment", "outcome", "subject", "ai_summary", "metadata", "message_count",
             "last_message_preview"}
DETAIL_KEYS = {"id", "customer", "channel", "status", "initiated_at", "last_activity_at",
               "completed_at", "satisfaction_score", "sentiment", "outcome", "subject",
               "ai_summary", "metadata", "score_explanation"}
MSG_KEYS = {"id", "direction", "content", "sent_at", "processed", "metadata"}
VOICE_KEYS = {"duration_seconds", "recording_url", "transcript_segments", "function_calls",
              "interruption_count", "audio_quality_score"}
SMS_KEYS = {"from_number", "to_number", "provider_message_id", "delivery_status", "error_code",
            "error_message", "segments", "media_urls", "delivered_at", "failed_at"}
EMAIL_KEYS = {"subject", "from_address", "to_address", "cc_addresses", "bcc_addresses",
              "in_reply_to", "references", "body_text", "body_html", "attachments",
              "provider_message_id", "delivery_status", "opened_at", "clicked_at"}
EVENT_KEYS = {"id", "event_type", "timestamp", "details", "message_id"}
CUSTOMER_KEYS = {"id", "name", "phone", "email", "is_new_client", "created_at",
                 "conversation_count", "last_contact_at"}
TIMELINE_KEYS = {"id", "channel", "status", "initiated_at", "completed_at", "last_activity_at",
                 "subject", "outcome", "sentiment", "satisfaction_score", "ai_summary",
                 "message_count"}


def qs(**kw):
    return "?" + urllib.parse.urlencode(kw) if kw else ""


def ts_ok(v, nullable=True):
    return (v is None and nullable) or (isinstance(v, str) and TS.match(v) is not None)


def list_item_problems(c):
    p = []
    if not LIST_KEYS <= set(c):
        p.append("missing keys %s" % sorted(LIST_KEYS - set(c)))
        return p
    if not UUID.match(c["id"] or ""):
        p.append("id %r" % c["id"])
    if c["channel"] not in CHANNELS or c["status"] not in STATUSES:
        p.append("channel/status %r/%r" % (c["channel"], c["status"]))
    if c["sentiment"] is not None and c["sentiment"] not in SENTIMENTS:
        p.append("sentiment %r" % c["sentiment"])
    if c["outcome"] is not None and c["outcome"] not in OUTCOMES:
        p.append("outcome %r" % c["outcome"])
    s = c["satisfaction_score"]
    if s is not None and not (isinstance(s, int) and 1 <= s <= 10):
        p.append("satisfaction_score %r" % s)
    for k in ("initiated_at", "last_activity_at"):
        if not ts_ok(c[k], nullable=False):
            p.append("%s %r" % (k, c[k]))
    if not ts_ok(c["completed_at"]):
        p.append("completed_at %r" % c["completed_at"])
    if (c["status"] == "active") != (c["completed_at"] is None):
        p.append("status %s with completed_at %r" % (c["status"], c["completed_at"]))
    if c["customer_id"] is None and (c["customer_name"] or c["customer_phone"]):
        p.append("customer fields without customer_id")
    if not isinstance(c["metadata"], dict):
        p.append("metadata %r" % c["metadata"])
    if not isinstance(c["message_count"], int):
        p.append("message_count %r" % c["message_count"])
    return p


def detail_problems(d, item=None):
    p = []
    conv = d.get("conversation")
    if not isinstance(conv, dict) or not DETAIL_KEYS <= set(conv):
        return ["conversation keys %s" % (sorted(set(conv or {})),)]
    ch = conv["channel"]
    cust = conv["customer"]
    if cust is not None and not {"id", "name", "phone", "email"} <= set(cust):
        p.append("customer %r" % cust)
    if conv["status"] == "completed" and not isinstance(conv["score_explanation"], dict):
        p.append("completed without a score_explanation object")
    msgs, evs = d.get("messages"), d.get("events")
    if not isinstance(msgs, list) or not isinstance(evs, list):
        return p + ["messages/events not lists"]
    if item is not None:
        if item["message_count"] != len(msgs):
            p.append("list message_count %d, detail has %d messages" %
                     (item["message_count"], len(msgs)))
        if (item["customer_id"] is None) != (cust is None):
            p.append("list customer_id %r vs detail customer %r" % (item["customer_id"], cust))
    others = CHANNELS - {ch}
    for m in msgs:
        if not MSG_KEYS <= set(m):
            p.append("message keys %s" % sorted(m))
            continue
        if m["direction"] not in ("inbound", "outbound") or not ts_ok(m["sent_at"], False):
            p.append("message direction/sent_at %r/%r" % (m["direction"], m["sent_at"]))
        extra = [k for k in others if k in m]
        if extra or ch not in m or not isinstance(m.get(ch), dict):
            p.append("%s message has blocks %s" % (ch, [k for k in CHANNELS if k in m]))
            continue
        want = {"voice": VOICE_KEYS, "sms": SMS_KEYS, "email": EMAIL_KEYS}[ch]
        if not want <= set(m[ch]):
            p.append("%s block missing %s" % (ch, sorted(want - set(m[ch]))))
        if ch == "voice":
            segs = m[ch].get("transcript_segments")
            if not isinstance(segs, list) or not segs or not all(
                    isinstance(s, dict) and {"speaker", "text", "timestamp"} <= set(s)
                    for s in segs):
                p.append("voice transcript_segments %r" % (segs,))
            fc = m[ch].get("function_calls")
            if not isinstance(fc, list) or not all(
                    isinstance(f, dict) and {"name", "args", "result"} <= set(f) for f in fc):
                p.append("voice function_calls %r" % (fc,))
    sent = [m.get("sent_at") for m in msgs]
    if sent != sorted(sent):
        p.append("messages not in time order")
    for e in evs:
        if not EVENT_KEYS <= set(e):
            p.append("event keys %s" % sorted(e))
    times = [e.get("timestamp") for e in evs]
    if times != sorted(times):
        p.append("events not in time order")
    return p


def run(h):
    srv = h.server("api")
    r = srv.cli("demo", "--conversations", "300")
    if r.returncode != 0:
        raise RuntimeError("demo failed: %s" % r.stderr[-500:])
    admin = srv.token("admin")
    staff = srv.token("staff")
    viewer = srv.token("viewer")
    srv.start()

    def get(path, tok=viewer):
        r = srv.get(path, token=tok)
        return r, r.try_json()

    # ---- the demo data through the list and detail endpoints ----
    items = []
    with h.section("list shape and paging"):
        r, j = get("/api/admin/communications")
        h.ok("list: 200 with total/page/page_size/total_pages/next_cursor/conversations",
             r.status == 200 and isinstance(j, dict) and
             {"total", "page", "page_size", "total_pages", "next_cursor", "conversations"} <=
             set(j), repr(r))
        h.ok("list defaults: page 1, page_size 20, 300 demo conversations, 15 pages",
             (j["total"], j["page"], j["page_size"], j["total_pages"],
              len(j["conversations"])) == (300, 1, 20, 15, 20),
             "%r" % ({k: j[k] for k in ("total", "page", "page_size", "total_pages")},))
        for page in (1, 2, 3):
            r, j = get("/api/admin/communications" + qs(page=page, page_size=100))
            items.extend(j["conversations"])
        ids = [c["id"] for c in items]
        h.ok("paging by page (3 x 100) returns the 300 conversations once each",
             len(ids) == 300 and len(set(ids)) == 300, "%d ids, %d distinct" %
             (len(ids), len(set(ids))))
        probs = {c.get("id"): list_item_problems(c) for c in items}
        probs = {k: v for k, v in probs.items() if v}
        h.ok("every list item has the contract's fields, enums and timestamp format",
             not probs, "%d bad, e.g. %r" % (len(probs), list(probs.items())[:2]))
        keys = [(c["last_activity_at"], c["id"]) for c in items]
        h.ok("default order: last_activity_at desc, id desc", keys == sorted(keys, reverse=True),
             "not sorted")
        r, j = get("/api/admin/communications" + qs(page=99))
        h.ok("a page past the end: 200, empty list, right total",
             r.status == 200 and j["conversations"] == [] and j["total"] == 300, repr(r))
        # cursor paging reproduces the offset paging
        seen, cursor, pages = [], None, 0
        while pages < 20:
            q = {"page_size": 50}
            if cursor:
                q["cursor"] = cursor
            r, j = get("/api/admin/communications" + qs(**q))
            if r.status != 200:
                break
            seen.extend(c["id"] for c in j["conversations"])
            cursor = j["next_cursor"]
            pages += 1
            if not cursor:
                break
        h.ok("cursor paging (next_cursor until null) walks the same 300 ids in the same order",
             seen == ids and cursor is None, "%d ids in %d pages, equal=%r" %
             (len(seen), pages, seen == ids))
        r, j = get("/api/admin/communications" + qs(page=15, page_size=20))
        h.ok("last page has next_cursor null", r.status == 200 and j["next_cursor"] is None,
             repr(r))

    with h.section("list filters"):
        by = {}
        for ch in ("voice", "sms", "email"):
            r, j = get("/api/admin/communications" + qs(channel=ch, page_size=100))
            by[ch] = j["total"]
            h.ok("channel=%s: only %s conversations, total matches the data" % (ch, ch),
                 r.status == 200 and all(c["channel"] == ch for c in j["conversations"]) and
                 j["total"] == sum(1 for c in items if c["channel"] == ch), repr(r)[:300])
        h.eq("channel totals add up to the whole", sum(by.values()), 300)
        for st in ("active", "completed", "failed"):
            r, j = get("/api/admin/communications" + qs(status=st, page_size=100))
            h.ok("status=%s: only %s, total matches" % (st, st),
                 r.status == 200 and all(c["status"] == st for c in j["conversations"]) and
                 j["total"] == sum(1 for c in items if c["status"] == st), repr(r)[:300])
        r, j = get("/api/admin/communications" + qs(channel="sms", status="completed",
                                                    page_size=100))
        h.ok("channel and status combine", r.status == 200 and j["total"] == sum(
            1 for c in items if c["channel"] == "sms" and c["status"] == "completed"),
            repr(r)[:300])
        cust = next(c["customer_id"] for c in items if c["customer_id"])
        r, j = get("/api/admin/communications" + qs(customer_id=cust, page_size=100))
        h.ok("customer_id filter", r.status == 200 and j["total"] ==
             sum(1 for c in items if c["customer_id"] == cust) and
             all(c["customer_id"] == cust for c in j["conversations"]), repr(r)[:300])
        for key, val in (("outcome", "appointment_scheduled"), ("sentiment", "negative")):
            r, j = get("/api/admin/communications" + qs(page_size=100, **{key: val}))
            h.ok("%s=%s filter" % (key, val), r.status == 200 and j["total"] ==
                 sum(1 for c in items if c[key] == val) and
                 all(c[key] == val for c in j["conversations"]), repr(r)[:300])
        inits = sorted(c["initiated_at"] for c in items)
        since, until = inits[100], inits[199]
        r, j = get("/api/admin/communications" + qs(since=since, until=until, page_size=100))
        want = sum(1 for c in items if since <= c["initiated_at"] <= until)
        h.ok("since/until bound initiated_at (inclusive)", r.status == 200 and
             j["total"] == want and all(since <= c["initiated_at"] <= until
                                        for c in j["conversations"]),
             "total %r want %d" % (j and j.get("total"), want))
        r, j = get("/api/admin/communications" + qs(sort="initiated_at", order="asc",
                                                    page_size=100))
        v = [c["initiated_at"] for c in j["conversations"]]
        h.ok("sort=initiated_at&order=asc ascends", r.status == 200 and v == sorted(v) and
             v[0] == inits[0], "first %r" % v[:3])
        r, j = get("/api/admin/communications" + qs(sort="-satisfaction_score", page_size=100))
        v = [c["satisfaction_score"] or 0 for c in j["conversations"]]
        h.ok("sort=-satisfaction_score descends", r.status == 200 and
             v == sorted(v, reverse=True) and v[0] == max(c["satisfaction_score"] or 0
                                                          for c in items), "%r" % v[:10])
        # cursor paging on another sort key
        seen, cursor = [], None
        for _ in range(10):
            q = {"sort": "satisfaction_score", "order": "asc", "page_size": 70}
            if cursor:
                q["cursor"] = cursor
            r, j = get("/api/admin/communications" + qs(**q))
            if r.status != 200:
                break
            seen.extend(c["id"] for c in j["conversations"])
            cursor = j["next_cursor"]
            if not cursor:
                break
        h.ok("cursor paging with sort=satisfaction_score asc sees each conversation once",
             len(seen) == 300 and len(set(seen)) == 300, "%d seen, %d distinct" %
             (len(seen), len(set(seen))))
        r, j = get("/api/admin/communications" + qs(q="HydraFacial", page_size=100))
        ok = r.status == 200 and j["total"] > 0
        bad = []
        for c in (j or {}).get("conversations", [])[:5]:
            _, d = get("/api/admin/communications/" + c["id"])
            text = " ".join([d["conversation"]["subject"] or ""] +
                            [m["content"] or "" for m in d["messages"]]).lower()
            if "hydrafacial" not in text and "hydrafacial" not in (c["customer_name"] or
                                                                  "").lower():
                bad.append(c["id"])
        h.ok("q=HydraFacial finds conversations that mention it", ok and not bad,
             "total %r, without the word: %r" % (j and j.get("total"), bad))
        r, j = get("/api/admin/communications" + qs(q="zzqxnotawordzz"))
        h.ok("q with no match: 200 and total 0", r.status == 200 and j["total"] == 0, repr(r))
        r, j = get("/api/admin/communications" + qs(q="a" * 200))
        h.ok("q of exactly 200 bytes is accepted", r.status == 200, repr(r))
        r0, j0 = get("/api/admin/communications")
        r, j = get("/api/admin/communications" + qs(frobnicate="yes", utm_source="x"))
        h.ok("unknown query params are ignored", r.status == 200 and j == j0, repr(r)[:200])
        r, j = get("/api/admin/communications?channel=&status=&page=&q=&sort=&cursor=")
        h.ok("empty values (?channel=&status=&...) are the same as absent",
             r.status == 200 and j == j0, repr(r)[:300])

    with h.section("list validation"):
        cases = [
            ({"page": "0"}, "page"), ({"page": "abc"}, "page"), ({"page": "-3"}, "page"),
            ({"page": "1.5"}, "page"), ({"page_size": "0"}, "page_size"),
            ({"page_size": "101"}, "page_size"), ({"channel": "fax"}, "channel"),
            ({"channel": "SMS"}, "channel"), ({"status": "x"}, "status"),
            ({"outcome": "x"}, "outcome"), ({"outcome": "booked_maybe"}, "outcome"),
            ({"sentiment": "x"}, "sentiment"), ({"sort": "x"}, "sort"),
            ({"sort": "-name"}, "sort"), ({"order": "sideways"}, "order"),
            ({"since": "garbage"}, "since"), ({"until": "2025-13-45T00:00:00Z"}, "until"),
            ({"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "until"),
            ({"customer_id": "-1"}, "customer_id"), ({"customer_id": "abc"}, "customer_id"),
            ({"cursor": "garbage"}, "cursor"), ({"cursor": "!!!"}, "cursor"),
            ({"q": "a" * 201}, "q"), ({"q": "\u00e9" * 101}, "q"),
        ]
        for params, field in cases:
            r = srv.get("/api/admin/communications" + qs(**params), token=viewer)
            label = "&".join("%s=%s" % (k, v if len(v) < 20 else "<%d bytes>" %
                                        len(v.encode())) for k, v in params.items())
            h.error_shape("list ?%s: 422 invalid_argument naming %s" % (label, field), r, 422,
                          field=field, code="invalid_argument")

    with h.section("path ids"):
        r = srv.get("/api/admin/communications/not-a-uuid", token=viewer)
        h.error_shape("conversation id not-a-uuid: 400 field id", r, 400, field="id",
                      code="invalid_argument")
        r = srv.get("/api/admin/communications/01a2160e-6d70-793d-a7b2-9b816fcd44f", token=viewer)
        h.error_shape("conversation id one digit short: 400 field id", r, 400, field="id")
        r = srv.get("/api/admin/communications/00000000-0000-7000-8000-000000000000",
                    token=viewer)
        h.error_shape("unknown conversation uuid: 404 not_found", r, 404, code="not_found")
        r = srv.req("PATCH", "/api/admin/communications/not-a-uuid", token=staff,
                    json_body={"status": "completed"})
        h.error_shape("PATCH conversation not-a-uuid: 400 field id", r, 400, field="id")
        r = srv.req("POST", "/api/admin/communications/not-a-uuid/score", token=staff)
        h.error_shape("POST score not-a-uuid: 400 field id", r, 400, field="id")
        for bad in ("abc", "0", "-1", "12abc", "1.5", "+5", "%205", "0x10"):
            r = srv.get("/api/admin/customers/" + bad, token=viewer)
            h.error_shape("customer id %s: 400 field id" % bad, r, 400, field="id",
                          code="invalid_argument")
        r = srv.get("/api/admin/customers/abc/timeline", token=viewer)
        h.error_shape("timeline of customer abc: 400 field id", r, 400, field="id")
        r = srv.get("/api/admin/customers/999999", token=viewer)
        h.error_shape("unknown customer: 404", r, 404, code="not_found")
        r = srv.get("/api/admin/customers/999999/timeline", token=viewer)
        h.error_shape("timeline of an unknown customer: 404", r, 404, code="not_found")

    with h.section("demo details"):
        bad = {}
        voice_msgs = 0
        for c in items:
            r, d = get("/api/admin/communications/" + c["id"])
            if r.status != 200 or not isinstance(d, dict):
                bad[c["id"]] = ["status %d" % r.status]
                continue
            p = detail_problems(d, c)
            if d["conversation"]["id"] != c["id"]:
                p.append("detail of another id")
            if p:
                bad[c["id"]] = p
            voice_msgs += sum(1 for m in d.get("messages", []) if "voice" in m)
        h.ok("every demo conversation detail: 200, contract shape, only its own channel block, "
             "messages/events in time order, message_count consistent",
             not bad, "%d bad, e.g. %r" % (len(bad), list(bad.items())[:3]))
        h.ok("voice messages exist and have transcript_segments lists", voice_msgs > 0,
             "no voice messages in the demo data")

    with h.section("demo customers and timeline"):
        r, j = get("/api/admin/customers" + qs(page_size=100))
        custs = j["customers"]
        h.ok("customers list: 200 with the contract fields",
             r.status == 200 and custs and all(CUSTOMER_KEYS <= set(c) for c in custs) and
             {"total", "page", "page_size", "total_pages"} <= set(j), repr(r)[:300])
        withphone = next(c for c in custs if c["phone"] and c["phone"].startswith("+1"))
        p = withphone["phone"]
        pretty = "(%s) %s-%s" % (p[2:5], p[5:8], p[8:])
        r, j = get("/api/admin/customers" + qs(search=pretty))
        h.ok("customer search by phone in another format (%s) finds %s" % (pretty, p),
             r.status == 200 and any(c["id"] == withphone["id"] for c in j["customers"]),
             repr(r)[:300])
        leaks = []
        for wild in ("%", "_", "a%b"):
            r, j = get("/api/admin/customers" + qs(search=wild))
            if r.status != 200 or j["total"] != 0:
                leaks.append("search=%s -> %s, total %s" % (wild, r.status, j and
                                                            j.get("total")))
        h.ok("customer search for a literal %, _ or a%b matches nobody (LIKE wildcards must "
             "not leak through)", not leaks, "; ".join(leaks) + " (of %d customers)" %
             len(custs))
        busiest = max(custs, key=lambda c: c["conversation_count"])
        r, j = get("/api/admin/customers/%d/timeline" % busiest["id"])
        ok = r.status == 200 and isinstance(j, dict) and \
            {"customer", "timeline", "appointments", "stats", "next_cursor"} <= set(j)
        h.ok("timeline: 200 with customer/timeline/appointments/stats/next_cursor", ok,
             repr(r)[:300])
        if ok:
            tl = j["timeline"]
            st = j["stats"]
            h.ok("timeline items have the contract fields and belong to the customer",
                 all(TIMELINE_KEYS <= set(t) for t in tl) and
                 len(tl) == busiest["conversation_count"], "%d items, conversation_count %d" %
                 (len(tl), busiest["conversation_count"]))
            keys = [(t["last_activity_at"], t["id"]) for t in tl]
            h.ok("timeline newest first", keys == sorted(keys, reverse=True), "not sorted")
            h.ok("timeline stats agree with the items",
                 st["total_conversations"] == len(tl) and
                 sum(st["by_channel"].values()) == len(tl) and
                 set(st["channels_used"]) == {t["channel"] for t in tl},
                 "stats %r" % st)

    # ---- customers CRUD ----
    with h.section("customers CRUD"):
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": "Ada Lovelace", "phone": "(415) 555-0142",
                               "email": "  Ada.Lovelace@Example.COM "})
        c = r.try_json() or {}
        h.ok("POST customer: 201 with the customer", r.status == 201 and
             CUSTOMER_KEYS <= set(c), repr(r))
        cid = c.get("id")
        h.eq("POST customer: Location header points at it", r.header("Location"),
             "/api/admin/customers/%s" % cid)
        h.ok("POST customer: phone stored in E.164, email trimmed and lower-cased",
             c.get("phone") == "+14155550142" and c.get("email") == "ada.lovelace@example.com",
             "%r" % c)
        h.ok("POST customer: new customer has no conversations yet",
             c.get("conversation_count") == 0 and c.get("last_contact_at") is None and
             ts_ok(c.get("created_at"), False), "%r" % c)
        r, g = get(r.header("Location") or "/api/admin/customers/0")
        h.ok("GET Location: 200, same customer with appointments and conversations",
             r.status == 200 and g.get("id") == cid and g.get("email") == c.get("email") and
             g.get("appointments") == [] and g.get("conversations") == [], repr(r))
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"name": "Ada King"})
        p = r.try_json() or {}
        h.ok("PATCH name: 200 with the whole updated customer",
             r.status == 200 and p.get("name") == "Ada King" and
             p.get("phone") == "+14155550142" and p.get("email") == "ada.lovelace@example.com"
             and CUSTOMER_KEYS <= set(p), repr(r))
        r, g = get("/api/admin/customers/%s" % cid)
        h.eq("PATCH is persisted", (g or {}).get("name"), "Ada King")
        r, j = get("/api/admin/customers" + qs(search="LOVELACE@example"))
        h.ok("customer search by email is case-insensitive",
             r.status == 200 and any(c["id"] == cid for c in j["customers"]), repr(r)[:300])
        r, j = get("/api/admin/customers" + qs(search="ada king"))
        h.ok("customer search by name is case-insensitive",
             r.status == 200 and any(c["id"] == cid for c in j["customers"]), repr(r)[:300])

        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"phone": "+1 415 555 0143"})
        c2 = r.try_json() or {}
        h.ok("POST with only a phone: 201, name defaults to Customer \u2022\u20220143",
             r.status == 201 and c2.get("name") == "Customer \u2022\u20220143", repr(r))
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"email": "Only.Mail@Example.org"})
        h.ok("POST with only an email: 201, name defaults to the local part",
             r.status == 201 and (r.try_json() or {}).get("name") == "only.mail", repr(r))
        c2id = c2.get("id")
        r = srv.req("PATCH", "/api/admin/customers/%s" % c2id, token=staff,
                    json_body={"email": "ADA.LOVELACE@example.com"})
        h.error_shape("PATCH email to another customer's: 409 conflict naming email", r, 409,
                      field="email", code="conflict")
        r = srv.req("PATCH", "/api/admin/customers/%s" % c2id, token=staff,
                    json_body={"phone": "415-555-0142"})
        h.error_shape("PATCH phone to another customer's (other format): 409 naming phone", r,
                      409, field="phone", code="conflict")
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": "Dup", "phone": "+14155550142"})
        h.error_shape("POST with a taken phone: 409 naming phone", r, 409, field="phone")
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": "Dup", "email": "ada.lovelace@EXAMPLE.com"})
        h.error_shape("POST with a taken email: 409 naming email", r, 409, field="email")
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"phone": None, "email": None})
        h.error_shape("PATCH removing both phone and email: 422", r, 422,
                      code="invalid_argument")
        r, g = get("/api/admin/customers/%s" % cid)
        h.ok("the refused PATCH changed nothing", g.get("phone") == "+14155550142" and
             g.get("email") == "ada.lovelace@example.com", "%r" % g)
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"phone": None})
        h.ok("PATCH removing only the phone: 200, phone null", r.status == 200 and
             (r.try_json() or {}).get("phone", "x") is None, repr(r))
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"email": ""})
        h.error_shape("PATCH then removing the email too (no contact left): 422", r, 422)
        long_name = "\u00e9" * 100 + "a"  # 201 bytes, 101 characters
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": long_name, "email": "long@example.com"})
        h.error_shape("POST name over 200 bytes: 422 naming name", r, 422, field="name")
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"name": long_name})
        h.error_shape("PATCH name over 200 bytes: 422 naming name", r, 422, field="name")
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"name": "\u00e9" * 100})
        h.ok("name of exactly 200 bytes is accepted", r.status == 200, repr(r))
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"name": ""})
        h.error_shape("PATCH empty name: 422 naming name", r, 422, field="name")
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"name": "   "})
        h.error_shape("PATCH whitespace-only name: 422 naming name (as empty; create treats "
                      "it as absent)", r, 422, field="name")
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": "  Padded Name  ", "email": "padded.name@example.com"})
        got = (r.try_json() or {}).get("name")
        h.ok("POST name with spaces around it is stored trimmed on both sides or verbatim "
             "(not half-trimmed)", r.status == 201 and got in ("Padded Name",
                                                               "  Padded Name  "),
             "status %d, stored name %r" % (r.status, got))
        srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                json_body={"phone": "+14155550142"})
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"phone": "(415) 555-0142", "email": "ADA.Lovelace@example.com"})
        p = r.try_json() or {}
        h.ok("PATCH a customer's phone/email to its own (other spelling): 200, not 409",
             r.status == 200 and p.get("phone") == "+14155550142" and
             p.get("email") == "ada.lovelace@example.com", repr(r))
        for body, field in (({}, None), ({"name": "No Contact"}, None),
                            ({"phone": "not a phone"}, "phone"), ({"email": "nope"}, "email"),
                            ({"email": "a@b@c.com"}, "email"), ({"name": 5, "phone":
                                                                "+14155550144"}, "name"),
                            ({"phone": 4155550144}, "phone")):
            r = srv.req("POST", "/api/admin/customers", token=staff, json_body=body)
            h.error_shape("POST %s: 422%s" % (body, " naming " + field if field else ""), r,
                          422, field=field if field else "__any__")
        r = srv.req("PATCH", "/api/admin/customers/999999", token=staff,
                    json_body={"name": "Ghost"})
        h.error_shape("PATCH unknown customer: 404", r, 404)
        r = srv.get("/api/admin/customers" + qs(page_size=101), token=viewer)
        h.error_shape("customers page_size=101: 422 naming page_size", r, 422,
                      field="page_size")

    # ---- roles ----
    with h.section("roles"):
        conv_id = items[0]["id"]
        before = srv.sql("SELECT count(*), max(updated_at) FROM customers")
        writes = [
            ("POST", "/api/admin/customers", {"name": "V", "email": "viewer-made@example.com"}),
            ("PATCH", "/api/admin/customers/%s" % cid, {"name": "Viewer Was Here"}),
            ("PATCH", "/api/admin/communications/%s" % conv_id, {"status": "failed"}),
            ("POST", "/api/admin/communications/%s/score" % conv_id, None),
        ]
        for method, path, body in writes:
            r = srv.req(method, path, token=viewer, json_body=body)
            h.error_shape("viewer %s %s: 403 forbidden" % (method, path.split("/")[3]), r, 403,
                          code="forbidden")
            r = srv.req(method, path, json_body=body)
            h.error_shape("no token %s %s: 401" % (method, path.split("/")[3]), r, 401,
                          code="unauthenticated")
        h.eq("refused writes changed no customer", srv.sql(
            "SELECT count(*), max(updated_at) FROM customers"), before)
        r, d = get("/api/admin/communications/" + conv_id)
        h.ok("refused writes changed no conversation",
             d["conversation"]["status"] == items[0]["status"], "%r" % d["conversation"]["status"])
        for path in ("/api/admin/communications", "/api/admin/customers",
                     "/api/admin/customers/%s" % cid, "/api/admin/customers/%s/timeline" % cid,
                     "/api/admin/communications/" + conv_id):
            r = srv.get(path, token=viewer)
            h.ok("viewer may read %s" % path.split("?")[0], r.status == 200, repr(r)[:200])
        r = srv.req("POST", "/api/admin/customers", token=staff,
                    json_body={"name": "Staff Made", "email": "staff-made@example.com"})
        h.ok("staff may create customers (201)", r.status == 201, repr(r))
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=staff,
                    json_body={"name": "Ada Staff"})
        h.ok("staff may patch customers (200)", r.status == 200, repr(r))
        r = srv.req("POST", "/api/admin/communications/%s/score" % conv_id, token=staff)
        h.ok("staff may re-score (200 with the detail)", r.status == 200 and
             (r.try_json() or {}).get("conversation", {}).get("id") == conv_id, repr(r)[:300])
        r = srv.req("PATCH", "/api/admin/customers/%s" % cid, token=admin,
                    json_body={"name": "Ada Admin"})
        h.ok("admin may patch customers (200)", r.status == 200, repr(r))

    # ---- SMS threads: timeline cursor walk and scoring ----
    phone = "+14155550177"
    convs = []
    with h.section("timeline over SMS conversations"):
        texts = ["Hi, can I book a HydraFacial for Friday? Thank you!",
                 "Thanks again, that was great. Can I also ask about Botox pricing?",
                 "Hello, one more question about parking"]
        for i, text in enumerate(texts):
            sid = harness.new_sid()
            r = srv.sms(harness.sms_params(sid, phone, text))
            if r.status != 200:
                raise AssertionError("SMS post %d: %r" % (i, r))
            r, j = get("/api/admin/communications" + qs(q="", channel="sms", page_size=5))
            newest = j["conversations"][0]
            convs.append(newest["id"])
            if i < 2:
                r = srv.req("PATCH", "/api/admin/communications/" + newest["id"], token=staff,
                            json_body={"status": "completed"})
                if r.status != 200:
                    raise AssertionError("PATCH completed: %r" % r)
        h.ok("an SMS after completing the conversation opens a new one (3 distinct)",
             len(set(convs)) == 3, "%r" % convs)
        r, j = get("/api/admin/customers" + qs(search=phone))
        cust = j["customers"][0] if j and j["customers"] else {}
        h.ok("the SMS sender became a customer named Customer \u2022\u20220177 with 3 "
             "conversations", cust.get("phone") == phone and
             cust.get("name") == "Customer \u2022\u20220177" and
             cust.get("conversation_count") == 3, "%r" % cust)
        cust_id = cust.get("id")
        walked, before, pages, stats = [], None, 0, None
        while pages < 6:
            q = {"limit": 1}
            if before:
                q["before"] = before
            r, j = get("/api/admin/customers/%s/timeline" % cust_id + qs(**q))
            if r.status != 200:
                walked.append("status %d" % r.status)
                break
            walked.extend(t["id"] for t in j["timeline"])
            stats = j["stats"]
            before = j["next_cursor"]
            pages += 1
            if not before:
                break
        h.ok("timeline limit=1 cursor walk: 3 pages, newest first, then next_cursor null",
             walked == list(reversed(convs)) and before is None and pages == 3,
             "walked %r (want %r), %d pages, last cursor %r" %
             (walked, list(reversed(convs)), pages, before))
        h.ok("timeline stats: 3 sms conversations, channels_used [sms]",
             stats and stats["total_conversations"] == 3 and
             stats["by_channel"] == {"voice": 0, "sms": 3, "email": 0} and
             stats["channels_used"] == ["sms"] and ts_ok(stats["first_contact_at"], False),
             "%r" % stats)
        r, j = get("/api/admin/customers/%s/timeline" % cust_id)
        h.ok("timeline default limit returns all 3, statuses completed, completed, active",
             r.status == 200 and [t["status"] for t in j["timeline"]] ==
             ["active", "completed", "completed"], repr(r)[:300])
        for q, field in (({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
                         ({"limit": "x"}, "limit"), ({"before": "garbage"}, "before")):
            r = srv.get("/api/admin/customers/%s/timeline" % cust_id + qs(**q), token=viewer)
            h.error_shape("timeline %s: 422 naming %s" % (q, field), r, 422, field=field)
        r, j = get("/api/admin/customers/%s/timeline" % cust_id + qs(limit=200))
        h.ok("timeline limit=200 is accepted", r.status == 200, repr(r)[:200])
        # ties: the three conversations with the same last_activity_at (set in the database;
        # the server must not cache) are still walked once each, by id descending
        srv.sql("UPDATE conversations SET last_activity_at = (SELECT max(last_activity_at) "
                "FROM conversations WHERE customer_id = ?) WHERE customer_id = ?",
                (cust_id, cust_id))
        walked, before = [], None
        for _ in range(6):
            q = {"limit": 1}
            if before:
                q["before"] = before
            r, j = get("/api/admin/customers/%s/timeline" % cust_id + qs(**q))
            if r.status != 200:
                break
            walked.extend(t["id"] for t in j["timeline"])
            before = j["next_cursor"]
            if not before:
                break
        h.ok("timeline cursor walk over equal last_activity_at: each once, ids descending",
             walked == sorted(convs, reverse=True), "walked %r" % walked)
        walked, cursor = [], None
        for _ in range(6):
            q = {"customer_id": cust_id, "page_size": 1}
            if cursor:
                q["cursor"] = cursor
            r, j = get("/api/admin/communications" + qs(**q))
            if r.status != 200:
                break
            walked.extend(c["id"] for c in j["conversations"])
            cursor = j["next_cursor"]
            if not cursor:
                break
        h.ok("list cursor walk over equal last_activity_at: each once, ids descending",
             walked == sorted(convs, reverse=True), "walked %r" % walked)

    with h.section("completing scores the conversation"):
        cid0 = convs[0] if convs else None
        r, d = get("/api/admin/communications/%s" % cid0)
        conv = d["conversation"]
        h.ok("PATCH status=completed scored it: score 1..10, sentiment, outcome, ai_summary, "
             "score_explanation object, completed_at",
             conv["status"] == "completed" and isinstance(conv["satisfaction_score"], int) and
             1 <= conv["satisfaction_score"] <= 10 and conv["sentiment"] in SENTIMENTS and
             conv["outcome"] in OUTCOMES and isinstance(conv["ai_summary"], str) and
             conv["ai_summary"] and isinstance(conv["score_explanation"], dict) and
             ts_ok(conv["completed_at"], False), "%r" % conv)
        fields = ("satisfaction_score", "sentiment", "outcome", "ai_summary",
                  "score_explanation", "subject")
        first = {k: conv[k] for k in fields}
        r = srv.req("POST", "/api/admin/communications/%s/score" % cid0, token=staff)
        again = {k: (r.try_json() or {}).get("conversation", {}).get(k) for k in fields}
        h.ok("re-scoring (POST /score) gives the same result", r.status == 200 and
             again == first, "first %r again %r" % (first, again))
        r = srv.req("PATCH", "/api/admin/communications/%s" % cid0, token=staff,
                    json_body={"status": "active"})
        re_ = (r.try_json() or {}).get("conversation", {})
        h.ok("reopening (status=active): 200, status active, completed_at null",
             r.status == 200 and re_.get("status") == "active" and
             re_.get("completed_at", "x") is None, "%r" % re_)
        r, d = get("/api/admin/communications/%s" % cid0)
        h.ok("reopened state is persisted", d["conversation"]["status"] == "active" and
             d["conversation"]["completed_at"] is None, "%r" % d["conversation"])
        r = srv.req("PATCH", "/api/admin/communications/%s" % cid0, token=staff,
                    json_body={"status": "completed"})
        third = {k: (r.try_json() or {}).get("conversation", {}).get(k) for k in fields}
        h.ok("completing again gives the same score (deterministic)", r.status == 200 and
             third == first, "first %r third %r" % (first, third))
        # the same messages from another customer score the same
        phone2 = "+14155550178"
        srv.sms(harness.sms_params(harness.new_sid(), phone2,
                                   "Hi, can I book a HydraFacial for Friday? Thank you!"))
        r, j = get("/api/admin/communications" + qs(channel="sms", page_size=1))
        other = j["conversations"][0]["id"]
        r = srv.req("PATCH", "/api/admin/communications/%s" % other, token=staff,
                    json_body={"status": "completed"})
        twin = {k: (r.try_json() or {}).get("conversation", {}).get(k) for k in fields}
        h.ok("another conversation with the same messages gets the same score, sentiment, "
             "outcome and explanation", r.status == 200 and twin == first,
             "first %r twin %r" % (first, twin))
        r = srv.req("PATCH", "/api/admin/communications/%s" % convs[2], token=staff,
                    json_body={"status": "completed", "outcome": "complaint"})
        c3 = (r.try_json() or {}).get("conversation", {})
        h.ok("PATCH completed with an explicit outcome keeps that outcome after scoring",
             r.status == 200 and c3.get("outcome") == "complaint" and
             isinstance(c3.get("satisfaction_score"), int), "%r" % c3)
        r = srv.req("PATCH", "/api/admin/communications/%s" % convs[2], token=staff,
                    json_body={"subject": "Parking question"})
        h.ok("PATCH subject only: 200, subject changed, status unchanged",
             r.status == 200 and (r.try_json() or {}).get("conversation", {}).get("subject") ==
             "Parking question" and r.json()["conversation"]["status"] == "completed",
             repr(r)[:300])
        for body, field in (({"status": "done"}, "status"), ({"status": 3}, "status"),
                            ({"outcome": "booked_maybe"}, "outcome"),
                            ({"subject": "x" * 501}, "subject")):
            r = srv.req("PATCH", "/api/admin/communications/%s" % convs[2], token=staff,
                        json_body=body)
            h.error_shape("PATCH conversation %s: 422 naming %s" % (
                str(body)[:40], field), r, 422, field=field)
        r = srv.req("PATCH", "/api/admin/communications/00000000-0000-7000-8000-000000000000",
                    token=staff, json_body={"status": "completed"})
        h.error_shape("PATCH unknown conversation: 404", r, 404)
        r = srv.req("POST", "/api/admin/communications/00000000-0000-7000-8000-000000000000/score",
                    token=staff)
        h.error_shape("score unknown conversation: 404", r, 404)

    srv.stop("api: SIGTERM after the tests: exit 0, no sanitizer report")


harness.main(run)
