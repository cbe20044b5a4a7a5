#!/usr/bin/env python3
"""helper.py - the parts of bench/run.sh that are easier in Python (standard library only).

  helper.py sample --base URL --token T --out DIR [--cursor-depth N] [--deep-page P] ...
      Reads the running server's own list API and writes one wrk path file per endpoint into
      DIR (list.txt, list_voice.txt, ..., detail.txt, timeline.txt). Conversation ids come from
      --sample-pages offset pages spread over the whole list; customers are the customers of
      those conversations. The deep cursor is reached by following next_cursor from page 1.
      Every path file is checked (its first paths must answer 200). Prints a JSON summary.

  helper.py report --runs FILE --meta FILE --sample FILE --out FILE
      Turns the per-run lines that run.sh collected into the table (stdout) and the results
      JSON (--out).
"""
import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

LIST = "/api/admin/communications"

# name -> (what it requests, for the table)
ENDPOINTS = [
    ("ceiling", "libmicrohttpd alone: GET / -> fixed body"),
    ("list", "GET /api/admin/communications"),
    ("list_voice", "GET ...?channel=voice"),
    ("list_completed", "GET ...?status=completed"),
    ("list_sms_completed", "GET ...?channel=sms&status=completed"),
    ("list_cursor", "GET ...?cursor=<deep cursor>"),
    ("list_page", "GET ...?page=<deep page>"),
    ("detail", "GET /api/admin/communications/{id}"),
    ("timeline", "GET /api/admin/customers/{id}/timeline"),
]


class Api:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def get(self, path):
        req = urllib.request.Request(self.base + path)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                body = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            body, status = e.read(), e.code
        return status, body, time.monotonic() - t0

    def json(self, path):
        status, body, secs = self.get(path)
        if status != 200:
            sys.exit("bench: GET %s answered %d: %s" % (path, status, body[:300].decode("utf-8", "replace")))
        return json.loads(body), secs


def cmd_sample(a):
    api = Api(a.base, a.token)
    first, _ = api.json(LIST + "?page_size=1")
    total = int(first["total"])
    if total == 0:
        sys.exit("bench: the database has no conversations")
    ps = a.page_size
    pages = (total + ps - 1) // ps
    n = max(1, min(a.sample_pages, pages))
    wanted = sorted({1 + (k * (pages - 1)) // max(1, n - 1) for k in range(n)})
    convs, customers = [], []
    seen_conv, seen_cust = set(), set()
    sample_secs = []
    for p in wanted:
        page, secs = api.json("%s?page=%d&page_size=%d" % (LIST, p, ps))
        sample_secs.append((p, round(secs * 1000, 2)))
        for c in page["conversations"]:
            if c["id"] not in seen_conv:
                seen_conv.add(c["id"])
                convs.append(c["id"])
            cid = c.get("customer_id")
            if cid is not None and cid not in seen_cust:
                seen_cust.add(cid)
                customers.append(cid)
    if not customers:
        sys.exit("bench: no sampled conversation has a customer")

    # The deep cursor: follow next_cursor from the first page until a.cursor_depth rows are behind.
    cursor, depth, walk_ms = None, 0, []
    path = "%s?page_size=%d" % (LIST, ps)
    while depth < a.cursor_depth:
        page, secs = api.json(path)
        walk_ms.append(secs * 1000)
        depth += len(page["conversations"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
        path = "%s?page_size=%d&cursor=%s" % (LIST, ps, urllib.parse.quote(cursor, safe=""))
    if not cursor:
        sys.exit("bench: the list ended after %d rows, before a cursor %d rows deep" % (depth, a.cursor_depth))

    default_pages = (total + 19) // 20  # the list's default page_size is 20
    deep_page = max(1, min(a.deep_page, default_pages))

    files = {
        "list": [LIST],
        "list_voice": [LIST + "?channel=voice"],
        "list_completed": [LIST + "?status=completed"],
        "list_sms_completed": [LIST + "?channel=sms&status=completed"],
        "list_cursor": [LIST + "?cursor=" + urllib.parse.quote(cursor, safe="")],
        "list_page": [LIST + "?page=%d" % deep_page],
        "detail": [LIST + "/" + urllib.parse.quote(i, safe="") for i in convs],
        "timeline": ["/api/admin/customers/%d/timeline" % c for c in customers],
    }
    checks = {}
    for name, paths in files.items():
        with open("%s/%s.txt" % (a.out, name), "w") as f:
            f.write("\n".join(paths) + "\n")
        step = max(1, len(paths) // 20)
        ms = []
        for p in paths[::step][:20]:
            status, body, secs = api.get(p)
            if status != 200:
                sys.exit("bench: %s: GET %s answered %d: %s"
                         % (name, p, status, body[:300].decode("utf-8", "replace")))
            ms.append(secs * 1000)
        checks[name] = {"paths": len(paths), "checked": len(ms), "body_bytes": len(body),
                        "single_request_ms": round(statistics.median(ms), 2)}
    out = {
        "total_conversations": total,
        "sample_pages": wanted,
        "sample_page_size": ps,
        "sample_page_ms": sample_secs,
        "conversation_ids": len(convs),
        "customer_ids": len(customers),
        "cursor_depth_rows": depth,
        "cursor": cursor,
        "cursor_walk_page_ms": {"first": round(walk_ms[0], 2), "last": round(walk_ms[-1], 2),
                                "median": round(statistics.median(walk_ms), 2), "pages": len(walk_ms)},
        "deep_page": deep_page,
        "endpoints": checks,
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


def kv_lines(path, tag):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] != tag:
                continue
            d = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                d[k] = v
            rows.append(d)
    return rows


def num(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def cmd_report(a):
    meta = {}
    with open(a.meta) as f:  # one key=value a line; values may hold spaces
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                meta[k] = num(v)
    with open(a.sample) as f:
        sample = json.load(f)
    runs = []
    for d in kv_lines(a.runs, "RUN"):
        r = {k: num(v) for k, v in d.items()}
        secs = r["duration_us"] / 1e6
        r["rps"] = r["requests"] / secs if secs else 0.0
        for k in ("mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"):
            r[k.replace("_us", "_ms")] = r[k] / 1000.0
        errs = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
        r["errors"] = errs
        r["non_2xx"] = r["err_status"]
        tck = r.get("clk_tck", 100) or 100
        r["server_cores"] = (r["cpu_ticks"] / tck) / secs if secs else 0.0
        r["server_cpu_us_per_req"] = (r["cpu_ticks"] / tck) * 1e6 / r["requests"] if r["requests"] else None
        mt = r.get("mach_total", 0)
        r["machine_busy"] = 1 - r["mach_idle"] / mt if mt else None
        runs.append(r)

    target_rps, target_p99 = a.target_rps, a.target_p99_ms
    rows = []
    by_name = {}
    for r in runs:
        by_name.setdefault(r["name"], []).append(r)
    ceiling = None
    if "ceiling" in by_name:
        ceiling = statistics.median(r["rps"] for r in by_name["ceiling"])
    for name, what in ENDPOINTS:
        rs = by_name.get(name)
        if not rs:
            continue
        rps = statistics.median(r["rps"] for r in rs)
        answered = [r for r in rs if r["max_us"] > 0]  # wrk keeps no latency for timed-out requests
        lat = lambda k: round(statistics.median(r[k] for r in answered), 3) if answered else None
        p50, p99 = lat("p50_ms"), lat("p99_ms")
        bad = sum(r["errors"] + r["non_2xx"] for r in rs) > 0.01 * sum(r["requests"] for r in rs)
        if name == "ceiling":
            met = None
        else:
            met = (rps >= target_rps and p99 is not None and p99 <= target_p99 and not bad)
        if name == "list_cursor":
            what = "GET ...?cursor=<%d rows deep>" % sample["cursor_depth_rows"]
        elif name == "list_page":
            what = "GET ...?page=%d" % sample["deep_page"]
        rows.append({
            "endpoint": name, "request": what, "rps": round(rps, 1),
            "p50_ms": p50, "p99_ms": p99, "p90_ms": lat("p90_ms"), "p999_ms": lat("p999_ms"),
            "max_ms": round(max(r["max_ms"] for r in answered), 3) if answered else None,
            "ratio_to_ceiling": round(rps / ceiling, 3) if ceiling else None,
            "target_met": met, "errors_over_1pct": bad,
            "single_request_ms": sample["endpoints"].get(name, {}).get("single_request_ms"),
            "server_cores": round(statistics.median(r["server_cores"] for r in rs), 2),
            "server_cpu_us_per_req": round(statistics.median(r["server_cpu_us_per_req"] for r in rs), 1)
            if rs[0]["server_cpu_us_per_req"] is not None and min(r["requests"] for r in rs) >= 100
            else None,
            "runs": rs,
        })

    # the table
    w = max(len(r["request"]) for r in rows) if rows else 10
    head = "%-19s %-*s %9s %8s %8s %6s %-6s %10s %8s" % (
        "endpoint", w, "request", "req/s", "p50 ms", "p99 ms", "ratio", "target", "cpu us/req", "1-req ms")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = "%.2f" % r["ratio_to_ceiling"] if r["ratio_to_ceiling"] is not None else "-"
        met = "-" if r["target_met"] is None else ("yes" if r["target_met"] else "no")
        if r["errors_over_1pct"]:
            met += " (errors)"
        cpu = "%.0f" % r["server_cpu_us_per_req"] if r["server_cpu_us_per_req"] is not None else "-"
        one = "%.2f" % r["single_request_ms"] if r["single_request_ms"] is not None else "-"
        ms = lambda v: "%.2f" % v if v is not None else "-"
        print("%-19s %-*s %9.0f %8s %8s %6s %-6s %10s %8s" % (
            r["endpoint"], w, r["request"], r["rps"], ms(r["p50_ms"]), ms(r["p99_ms"]), ratio, met, cpu, one))
    print("target: >= %d req/s and p99 <= %g ms at %s connections; ratio = req/s / ceiling req/s%s"
          % (target_rps, target_p99, meta.get("connections", "?"),
             "" if ceiling else " (no ceiling measured)"))
    print("cpu us/req = server CPU time / answered requests (- under 100 answered); "
          "1-req ms = one request alone, before the load (median of up to 20)")
    if meta.get("rounds", 1) > 1:
        print("figures are medians over %d rounds" % meta["rounds"])

    result = {
        "date": meta.get("date"),
        "machine": {k: meta.get(k) for k in ("nproc", "cpu_model", "mem_total_kb", "kernel")},
        "versions": {k: meta.get(k) for k in ("git_commit", "git_dirty_files", "sqlite", "libmicrohttpd", "wrk")},
        "config": {k: meta.get(k) for k in ("conversations", "duration", "connections", "wrk_threads",
                                             "server_threads", "ceiling_threads", "rounds", "warmup")},
        "dataset": {
            "db_bytes": meta.get("db_bytes"),
            "demo_build": {"seconds": meta.get("demo_seconds"), "rate_per_s": meta.get("demo_rate"),
                           "built_at": meta.get("demo_built_at"),
                           "built_this_run": bool(meta.get("demo_built_this_run", 0))},
            "load_sample": {"conversations": meta.get("load_sample_n"),
                            "seconds": meta.get("load_sample_seconds"),
                            "rate_per_s": meta.get("load_sample_rate")} if meta.get("load_sample_n") else None,
        },
        "targets": {"rps": target_rps, "p99_ms": target_p99},
        "ceiling_rps": ceiling,
        "ceiling_body_bytes": meta.get("ceiling_body_bytes"),
        "sample": sample,
        "rows": rows,
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--base", required=True)
    s.add_argument("--token", default="")
    s.add_argument("--out", required=True)
    s.add_argument("--cursor-depth", type=int, default=5000)
    s.add_argument("--deep-page", type=int, default=10000)
    s.add_argument("--sample-pages", type=int, default=12)
    s.add_argument("--page-size", type=int, default=100)
    r = sub.add_parser("report")
    r.add_argument("--runs", required=True)
    r.add_argument("--meta", required=True)
    r.add_argument("--sample", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--target-rps", type=float, default=20000)
    r.add_argument("--target-p99-ms", type=float, default=5.0)
    a = ap.parse_args()
    if a.cmd == "sample":
        cmd_sample(a)
    else:
        cmd_report(a)


if __name__ == "__main__":
    main()
