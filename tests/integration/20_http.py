"""20_http.py - the HTTP layer as a client sees it: request ids, error shapes, 404/405/401,
body limits (Content-Length and chunked), content types, metrics, many idle connections,
timeouts and graceful shutdown."""
import json
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402

MiB = 1024 * 1024


def json_body_of_size(n):
    """A valid JSON customer object padded with spaces to exactly n bytes."""
    core = json.dumps({"name": "Padded Person", "email": "padded-%d@example.com" % n})
    assert n >= len(core) + 2
    return (core[:-1] + " " * (n - len(core)) + "}").encode()


def metric_value(text, name, **labels):
    total = None
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all('%s="%s"' % (k, v) in line for k, v in labels.items()):
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def post_head(path, length=None, token=None, ctype="application/json", chunked=False,
              extra=""):
    h = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n" % (path, ctype)
    if token:
        h += "Authorization: Bearer %s\r\n" % token
    if chunked:
        h += "Transfer-Encoding: chunked\r\n"
    else:
        h += "Content-Length: %d\r\n" % length
    return (h + extra + "\r\n").encode()


def run(h):
    srv = h.server("http")
    admin = srv.token("admin")
    viewer = srv.token("viewer")
    srv.start()
    ids = []

    def track(r):
        ids.append(r.header("X-Request-Id"))
        return r

    with h.section("request ids"):
        rs = [track(srv.get("/health")), track(srv.get("/health/ready")),
              track(srv.get("/metrics")), track(srv.get("/nope")),
              track(srv.req("DELETE", "/health")), track(srv.get("/api/admin/nothing")),
              track(srv.get("/api/admin/communications", token=viewer)),
              track(srv.req("POST", "/api/admin/customers", body=b"{", token=admin,
                            headers={"Content-Type": "application/json"}))]
        for _ in range(12):
            track(srv.get("/health"))
        missing = [r.status for r in rs if not r.header("X-Request-Id")]
        h.ok("X-Request-Id on every response (2xx, 4xx, metrics, errors)",
             not missing and all(ids), "missing on statuses %r" % missing)
        h.ok("X-Request-Id values are unique", len(set(ids)) == len(ids),
             "%d ids, %d distinct" % (len(ids), len(set(ids))))
        r = srv.get("/health")
        h.ok("GET /health -> 200 {\"status\":\"ok\"}", r.status == 200 and
             r.try_json() == {"status": "ok"}, repr(r))
        r = srv.get("/health/ready")
        h.ok("GET /health/ready -> 200 ready/connected", r.status == 200 and
             r.try_json() == {"status": "ready", "database": "connected"}, repr(r))

    with h.section("404 and 405"):
        r = srv.get("/no/such/path")
        h.error_shape("unknown path: 404 JSON {detail, code, field}", r, 404, field=None,
                      code="not_found")
        r = srv.get("/api/webhooks/unknown")
        h.error_shape("unknown webhook path: 404 JSON", r, 404, field=None, code="not_found")
        r = srv.req("DELETE", "/health")
        h.ok("wrong method: 405", r.status == 405, repr(r))
        allow = r.header("Allow") or ""
        h.ok("405 carries an Allow header listing GET", "GET" in allow and
             "DELETE" not in allow, "Allow %r" % allow)
        h.error_shape("405 body is the JSON error shape", r, 405, field=None)
        r = srv.req("PUT", "/api/webhooks/twilio/sms", body=b"x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        h.ok("PUT on the SMS webhook: 405 with Allow: POST",
             r.status == 405 and "POST" in (r.header("Allow") or ""), repr(r))

    with h.section("401 on unknown admin paths"):
        r = srv.get("/api/admin/does-not-exist")
        h.error_shape("/api/admin/<unknown> without credentials: 401 unauthenticated", r, 401,
                      code="unauthenticated")
        h.ok("401 carries WWW-Authenticate: Bearer",
             (r.header("WWW-Authenticate") or "").startswith("Bearer"),
             "WWW-Authenticate %r" % r.header("WWW-Authenticate"))
        r = srv.req("DELETE", "/api/admin/communications")
        h.ok("wrong method on an admin path without credentials: 401, not 405",
             r.status == 401, repr(r))
        r = srv.get("/api/admin/does-not-exist", token="sb_not_a_real_token")
        h.ok("/api/admin/<unknown> with a wrong token: 401", r.status == 401, repr(r))
        r = srv.get("/api/admin/does-not-exist", token=viewer)
        h.error_shape("/api/admin/<unknown> with a valid token: 404", r, 404, code="not_found")
        r = srv.get("/api/admin/communications", headers={"Authorization": "Basic eDp5"})
        h.ok("Basic credentials on an admin route: 401 with WWW-Authenticate: Bearer",
             r.status == 401 and (r.header("WWW-Authenticate") or "").startswith("Bearer"),
             repr(r))

    with h.section("body limits"):
        before = srv.sql("SELECT count(*) FROM customers")[0][0]
        big = json_body_of_size(MiB + 1)
        resp, serr, rerr = raw_post(srv, "/api/admin/customers", big, admin)
        h.ok("JSON body over 1 MiB (Content-Length): 413 payload_too_large",
             resp is not None and resp.status == 413 and
             (resp.try_json() or {}).get("code") == "payload_too_large",
             "resp %r send error %r read error %r" % (resp, serr, rerr))
        if resp is not None:
            h.ok("413 answer has a request id and the JSON error shape",
                 bool(resp.header("X-Request-Id")) and
                 set((resp.try_json() or {}).keys()) >= {"detail", "code", "field"}, repr(resp))
        exact = json_body_of_size(MiB)
        resp, serr, rerr = raw_post(srv, "/api/admin/customers", exact, admin)
        h.ok("JSON body of exactly 1 MiB is accepted (201)",
             resp is not None and resp.status == 201, "resp %r send %r read %r" %
             (resp, serr, rerr))
        chunks = [b"%x\r\n%s\r\n" % (len(c), c) for c in split(big, 64 * 1024)] + [b"0\r\n\r\n"]
        resp, serr, rerr = harness.raw_request(
            srv.port, post_head("/api/admin/customers", token=admin, chunked=True), chunks)
        h.ok("chunked JSON body over 1 MiB: 413 payload_too_large",
             resp is not None and resp.status == 413 and
             (resp.try_json() or {}).get("code") == "payload_too_large",
             "resp %r send error %r read error %r" % (resp, serr, rerr))
        small = json.dumps({"name": "Chunky", "email": "chunky@example.com"}).encode()
        chunks = [b"%x\r\n%s\r\n" % (len(c), c) for c in split(small, 10)] + [b"0\r\n\r\n"]
        resp, serr, rerr = harness.raw_request(
            srv.port, post_head("/api/admin/customers", token=admin, chunked=True), chunks)
        h.ok("small chunked JSON body is accepted (201)",
             resp is not None and resp.status == 201, "resp %r send %r read %r" %
             (resp, serr, rerr))
        after = srv.sql("SELECT count(*) FROM customers")[0][0]
        h.eq("only the two accepted bodies created customers", after - before, 2)
        r = srv.get("/health")
        h.ok("server still healthy after oversized bodies", r.status == 200, repr(r))

    with h.section("content types and malformed JSON"):
        r = srv.req("POST", "/api/admin/customers", body=b'{"name":"x","email":"t@example.com"}',
                    headers={"Content-Type": "text/plain"}, token=admin)
        h.error_shape("text/plain to a JSON endpoint: 415 unsupported_media_type", r, 415,
                      code="unsupported_media_type")
        r = srv.req("POST", "/api/admin/customers", body=b'{"name":"x","email":"t@example.com"}',
                    token=admin)
        h.ok("JSON endpoint without Content-Type: 415", r.status == 415, repr(r))
        r = srv.req("POST", "/api/admin/customers", body=b'{"name": "x", ',
                    headers={"Content-Type": "application/json"}, token=admin)
        h.error_shape("malformed JSON: 400 invalid_argument", r, 400, code="invalid_argument")
        r = srv.req("POST", "/api/admin/customers", body=b'[1,2]',
                    headers={"Content-Type": "application/json"}, token=admin)
        h.error_shape("JSON that is not an object: 400 invalid_argument", r, 400,
                      code="invalid_argument")
        r = srv.req("POST", "/api/admin/customers",
                    body=b'{"name":"a","name":"b","email":"dup@example.com"}',
                    headers={"Content-Type": "application/json; charset=utf-8"}, token=admin)
        h.ok("JSON with a duplicated key: 400 (application/json; charset=utf-8 accepted)",
             r.status == 400, repr(r))
        r = srv.req("POST", "/api/admin/customers", body=b'{"name":"\xff","email":"u@example.com"}',
                    headers={"Content-Type": "application/json"}, token=admin)
        h.ok("JSON with invalid UTF-8: 400", r.status == 400, repr(r))

    with h.section("metrics"):
        m1 = srv.get("/metrics")
        h.ok("/metrics: 200 text/plain", m1.status == 200 and
             (m1.header("Content-Type") or "").startswith("text/plain"), repr(m1))
        v1 = metric_value(m1.text, "switchboard_http_requests_total", route="/health",
                          status="200") or 0
        for _ in range(3):
            srv.get("/health")
        # requests are counted when the server finishes with them, which may be a moment
        # after the client has its answer: allow a short settling time
        deadline = time.time() + 2.0
        while True:
            m2 = srv.get("/metrics")
            v2 = metric_value(m2.text, "switchboard_http_requests_total", route="/health",
                              status="200") or 0
            if v2 - v1 >= 3 or time.time() > deadline:
                break
            time.sleep(0.05)
        h.ok("/metrics counts requests by route and status (3 x /health -> +3 or more)",
             v2 - v1 >= 3, "before %r after %r" % (v1, v2))
        n404 = metric_value(m2.text, "switchboard_http_requests_total", status="404")
        h.ok("/metrics counts 404s too", (n404 or 0) >= 2, "404 count %r" % n404)
        h.ok("/metrics has a latency histogram (buckets, +Inf, _sum, _count)",
             re.search(r'switchboard_http_request_duration_seconds_bucket\{[^}]*route="/health"'
                       r'[^}]*le="\+Inf"\} \d+', m2.text) is not None and
             "switchboard_http_request_duration_seconds_sum" in m2.text and
             "switchboard_http_request_duration_seconds_count" in m2.text and
             "# TYPE switchboard_http_request_duration_seconds histogram" in m2.text,
             m2.text[:500])
        cnt = metric_value(m2.text, "switchboard_http_request_duration_seconds_count",
                           route="/health")
        inf = metric_value(m2.text, "switchboard_http_request_duration_seconds_bucket",
                           route="/health", le="+Inf")
        h.ok("histogram +Inf bucket equals _count", cnt is not None and cnt == inf,
             "count %r +Inf %r" % (cnt, inf))
        h.ok("/metrics has switchboard_db_errors_total",
             re.search(r"^switchboard_db_errors_total \d+$", m2.text, re.M) is not None,
             m2.text[-300:])

    with h.section("idle connections"):
        idle = []
        try:
            for _ in range(200):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                r = harness.read_http_response(s, timeout=10)
                if r.status != 200:
                    raise AssertionError("idle connection setup got %r" % r)
                idle.append(s)
            silent = [socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                      for _ in range(50)]
            idle.extend(silent)
            h.ok("200 keep-alive connections opened and left idle (plus 50 silent ones)",
                 len(idle) == 250, "%d" % len(idle))
            worst = 0.0
            bad = []
            for i in range(30):
                t0 = time.time()
                path = "/health" if i % 2 == 0 else "/api/admin/communications?page_size=5"
                r = srv.get(path, token=viewer, timeout=5)
                dt = time.time() - t0
                worst = max(worst, dt)
                if r.status != 200 or dt >= 1.0:
                    bad.append((path, r.status, round(dt, 3)))
            h.ok("with 250 idle connections, 30 normal requests each answer within 1 s",
                 not bad, "slow or failed: %r (worst %.3fs)" % (bad[:5], worst))
            reuse_bad = []
            for s in idle[:5]:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                r = harness.read_http_response(s, timeout=5)
                if r.status != 200:
                    reuse_bad.append(r.status)
            h.ok("idle keep-alive connections can still be reused", not reuse_bad,
                 repr(reuse_bad))
        finally:
            for s in idle:
                try:
                    s.close()
                except OSError:
                    pass

    srv.stop("http: SIGTERM after the tests: exit 0, no sanitizer report")

    # ---- timeouts (short values so the test is quick) ----
    with h.section("read timeout"):
        t = h.server("timeouts")
        t.start(env={"SWITCHBOARD_READ_TIMEOUT": "1", "SWITCHBOARD_IDLE_TIMEOUT": "5"})
        tok = t.token("admin")
        s = socket.create_connection(("127.0.0.1", t.port), timeout=10)
        s.sendall(post_head("/api/admin/customers", length=100, token=tok) + b'{"na')
        t0 = time.time()
        closed = wait_closed(s, 8)
        dt = time.time() - t0
        h.ok("a body that stalls is cut off after the read timeout (1 s), not the idle one",
             closed and dt < 3.5, "closed=%r after %.1fs" % (closed, dt))
        s = socket.create_connection(("127.0.0.1", t.port), timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.time()
        closed = wait_closed(s, 8)
        dt = time.time() - t0
        h.ok("request headers that stall are cut off after the read timeout (1 s), "
             "not the idle timeout (5 s)", closed and dt < 3.5,
             "closed=%r after %.1fs (SWITCHBOARD_READ_TIMEOUT=1, SWITCHBOARD_IDLE_TIMEOUT=5)"
             % (closed, dt))
        s = socket.create_connection(("127.0.0.1", t.port), timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        harness.read_http_response(s, timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.time()
        closed = wait_closed(s, 8)
        dt = time.time() - t0
        h.ok("on a keep-alive connection, the next request's stalled headers are cut off "
             "after the read timeout (1 s), not the idle timeout (5 s)", closed and dt < 3.5,
             "closed=%r after %.1fs (SWITCHBOARD_READ_TIMEOUT=1, SWITCHBOARD_IDLE_TIMEOUT=5)"
             % (closed, dt))
        s = socket.create_connection(("127.0.0.1", t.port), timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        harness.read_http_response(s, timeout=5)
        t0 = time.time()
        closed = wait_closed(s, 10)
        dt = time.time() - t0
        h.ok("an idle keep-alive connection is closed after the idle timeout (5 s)",
             closed and 3.0 < dt < 8.5, "closed=%r after %.1fs" % (closed, dt))
        t.stop()

    # ---- graceful shutdown ----
    with h.section("graceful shutdown"):
        g = h.server("shutdown")
        tok = g.token("admin")
        g.start(env={"SWITCHBOARD_GRACE_SECONDS": "6"})
        port = g.port
        body = json_body_of_size(400 * 1024)
        parts = split(body, len(body) // 15 + 1)
        state = {}

        def after_part(i):
            if i == 4 and "sigterm_at" not in state:
                state["sigterm_at"] = time.time()
                g.proc.send_signal(signal.SIGTERM)
                deadline = time.time() + 1.5  # the server takes the signal within this
                while time.time() < deadline:
                    time.sleep(0.2)
                    try:
                        c = socket.create_connection(("127.0.0.1", port), timeout=2)
                        try:
                            c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                            state["new_conn"] = harness.read_http_response(c, timeout=2).status
                        except (OSError, ValueError) as e:
                            state["new_conn"] = "reset: %s" % e
                            break
                        finally:
                            c.close()
                    except OSError as e:
                        state["new_conn"] = "refused: %s" % e
                        break

        t0 = time.time()
        resp, serr, rerr = harness.raw_request(
            port, post_head("/api/admin/customers", length=len(body), token=tok), parts,
            pause=0.1, timeout=15, after_part=after_part)
        t_resp = time.time()
        h.ok("SIGTERM was sent while the body was still arriving",
             "sigterm_at" in state and t_resp - state["sigterm_at"] > 0.5,
             "state %r, body took %.1fs" % (state, t_resp - t0))
        h.ok("the request in flight during SIGTERM completes with a proper HTTP answer (201)",
             resp is not None and resp.status == 201 and
             (resp.try_json() or {}).get("email", "").startswith("padded-"),
             "resp %r send error %r read error %r" % (resp, serr, rerr))
        nc = state.get("new_conn")
        h.ok("after SIGTERM new connections are refused", isinstance(nc, str) and
             (nc.startswith("refused") or nc.startswith("reset")), "new connection got %r" % nc)
        try:
            rc = g.proc.wait(8)
        except subprocess.TimeoutExpired:
            rc = None
        t_exit = time.time()
        h.ok("the process exits 0 soon after the request finishes, within the grace period",
             rc == 0 and t_exit - state.get("sigterm_at", t0) < 6.5,
             "exit %r, %.1fs after SIGTERM, %.1fs after the answer; log: %s" %
             (rc, t_exit - state.get("sigterm_at", t0), t_exit - t_resp, g.log_tail(4)))
        rows = g.sql("SELECT count(*) FROM customers WHERE email LIKE 'padded-%'")
        h.eq("the customer created by the in-flight request is committed", rows[0][0], 1)
        rep = g.sanitizer_report()
        h.ok("graceful shutdown: no sanitizer report", rep is None, rep)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            refused = False
        except OSError:
            refused = True
        h.ok("after exit nothing listens on the port", refused, "port still open")

    with h.section("grace period over"):
        g2 = h.server("grace")
        tok = g2.token("admin")
        g2.start(env={"SWITCHBOARD_GRACE_SECONDS": "1", "SWITCHBOARD_READ_TIMEOUT": "30"})
        s = socket.create_connection(("127.0.0.1", g2.port), timeout=10)
        s.sendall(post_head("/api/admin/customers", length=1000, token=tok) + b'{"name":')
        time.sleep(0.3)
        rc, secs = g2.terminate(timeout=10)
        h.ok("a request that never finishes does not hold shutdown past the grace period "
             "(1 s): exit 0", rc == 0 and secs < 4.0, "exit %r after %.1fs; %s" %
             (rc, secs, g2.log_tail(3)))
        s.close()
        rep = g2.sanitizer_report()
        h.ok("grace period over: no sanitizer report", rep is None, rep)


def split(data, n):
    return [data[i:i + n] for i in range(0, len(data), n)]


def raw_post(srv, path, body, token):
    return harness.raw_request(srv.port, post_head(path, length=len(body), token=token),
                               split(body, 256 * 1024), timeout=20)


def wait_closed(sock, timeout):
    """True when the server closes the connection (EOF or reset) within timeout seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            d = sock.recv(4096)
            if not d:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
    finally:
        sock.close()


harness.main(run)
