"""35_export.py - GET /api/admin/export/conversations.csv: the list's filters as a streamed CSV
with one row per matching conversation, RFC 4180 quoting, spreadsheet-formula guarding, roles
and validation."""
import csv
import io
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402

PATH = "/api/admin/export/conversations.csv"


def parse(r):
    return list(csv.reader(io.StringIO(r.body.decode("utf-8"))))


def run(h):
    srv = h.server("export")
    r = srv.cli("demo", "--conversations", "1300", "--seed", "3")
    h.ok("demo data loaded", r.returncode == 0, r.stderr[-300:])
    viewer = srv.token("viewer")
    srv.start()

    with h.section("every row, streamed"):
        r = srv.get(PATH, token=viewer)
        h.ok("200 text/csv with an attachment name", r.status == 200 and
             (r.header("Content-Type") or "").startswith("text/csv") and
             "conversations.csv" in (r.header("Content-Disposition") or ""), repr(r))
        h.ok("X-Request-Id on the streamed answer", bool(r.header("X-Request-Id")), repr(r))
        rows = parse(r)
        header = rows[0]
        h.ok("header names the list's fields", header[:2] == ["id", "customer_id"] and
             "last_message_preview" in header, header)
        total = srv.get("/api/admin/communications", token=viewer).json()["total"]
        ids = [row[0] for row in rows[1:]]
        h.eq("one row per conversation (more than one page of 500)", len(ids), total)
        h.eq("no row twice", len(set(ids)), len(ids))

    with h.section("filters as the list"):
        for q in ("channel=sms", "status=completed", "channel=voice&status=failed",
                  "sentiment=negative", "sort=initiated_at&order=asc"):
            rows = parse(srv.get(PATH + "?" + q, token=viewer))
            want = []
            page = 1
            while True:
                j = srv.get("/api/admin/communications?%s&page_size=100&page=%d" % (q, page),
                            token=viewer).json()
                want += [c["id"] for c in j["conversations"]]
                if page >= j["total_pages"] or not j["conversations"]:
                    break
                page += 1
            h.eq("export ?%s has the list's rows in the list's order" % q,
                 [row[0] for row in rows[1:]], want)

    with h.section("cells"):
        rows = parse(srv.get(PATH + "?channel=sms", token=viewer))
        idx = rows[0].index("customer_phone")
        phones = [row[idx] for row in rows[1:] if row[idx]]
        h.ok("E.164 phones stay plain numbers (no formula guard)",
             phones and all(p.startswith("+") for p in phones), phones[:3])
        idx = rows[0].index("last_message_preview")
        h.ok("cells with commas and quotes survive the round trip",
             any("," in row[idx] for row in rows[1:]), "no preview with a comma")

    with h.section("validation and roles"):
        r = srv.get(PATH + "?channel=fax", token=viewer)
        h.error_shape("unknown channel: 422 naming channel", r, 422, field="channel")
        r = srv.get(PATH)
        h.error_shape("no credentials: 401", r, 401)
    srv.stop()


harness.main(run)
