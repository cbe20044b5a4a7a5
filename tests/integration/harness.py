"""harness.py - shared helpers of the integration tests (standard library only).

Each test file does:

    import harness
    def run(h):            # h: harness.Harness
        srv = h.server()   # temp dir + migrated SQLite db; srv.start() serves on a free port
        ...
        h.ok("area: what the user sees", condition, "why it failed")
    harness.main(run)

and prints one `PASS name` / `FAIL name: reason` line per check, then the summary line
`N passed, N failed[, N skipped]` (scripts/test.sh reads the last line).

What is here:
  - Harness: the check registry, the --binary argument, a watchdog, cleanup of every server.
  - Server: `switchboard serve` on 127.0.0.1:<free port> in its own temp dir and process group,
    started after `switchboard migrate`, waited for on /health, stopped with SIGTERM (exit code
    and sanitizer reports checked) or killed with SIGKILL.
  - request helpers (http.client) and raw-socket helpers for bodies the server may refuse early.
  - Twilio: X-Twilio-Signature (HMAC-SHA1, base64, over public URL + sorted name/value pairs,
    providers.md section 2) and signed SMS webhook posts.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TWILIO_TOKEN = "it-twilio-auth-token-0123456789abcdef"
SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"runtime error:",
                   b"UndefinedBehaviorSanitizer", b"ThreadSanitizer")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def base_env():
    """The environment for every child: ours without SWITCHBOARD_*, plus sanitizer options."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(REPO, "tests", "lsan.supp"))
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_sanitizer_report(data):
    return any(m in data for m in SANITIZER_MARKS)


# ---- HTTP -----------------------------------------------------------------------------------

class Resp:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def try_json(self):
        try:
            return self.json()
        except Exception:
            return None

    def __repr__(self):
        b = self.body[:300]
        return "<%d %s %r>" % (self.status, self.reason, b)


def request(port, method, path, body=None, headers=None, token=None, json_body=None,
            timeout=15, host="127.0.0.1"):
    hdrs = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")
    if token:
        hdrs["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.reason, r.getheaders(), data)
    finally:
        conn.close()


def read_http_response(sock, timeout=15, head_only=False):
    """Reads one HTTP/1.1 response from a raw socket (Content-Length, chunked or close)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            if not buf:
                raise ConnectionError("connection closed before any response")
            raise ConnectionError("connection closed inside the response head: %r" % buf[:200])
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    if not m:
        raise ValueError("not an HTTP status line: %r" % lines[0])
    headers = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers.append((k.strip(), v.strip()))
    r = Resp(int(m.group(1)), m.group(2), headers, b"")
    if head_only:
        return r
    cl = r.header("Content-Length")
    te = (r.header("Transfer-Encoding") or "").lower()
    if cl is not None:
        n = int(cl)
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside the body")
            rest += chunk
        r.body = rest[:n]
    elif "chunked" in te:
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed inside a chunk")
                rest += chunk
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed inside a chunk")
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                break
        r.body = body
    else:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        r.body = rest
    return r


def raw_request(port, head, body_parts=(), pause=0.0, timeout=20, after_part=None):
    """Sends `head` (bytes, including the blank line) and then each body part (with `pause`
    seconds between parts) from a thread while this thread reads the answer, so an answer sent
    before the body is complete, or a connection closed early, is still seen. after_part(i) is
    called after part i has been sent. Returns (Resp or None, send_error or None, read_error)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    send_err = []

    def sender():
        try:
            sock.sendall(head)
            for i, part in enumerate(body_parts):
                if pause:
                    time.sleep(pause)
                sock.sendall(part)
                if after_part:
                    after_part(i)
        except OSError as e:  # the server may close once it has answered
            send_err.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    resp, read_err = None, None
    try:
        resp = read_http_response(sock, timeout=timeout)
    except Exception as e:  # noqa: BLE001 - reported by the caller
        read_err = e
    t.join(timeout)
    try:
        sock.close()
    except OSError:
        pass
    return resp, (send_err[0] if send_err else None), read_err


# ---- Twilio ---------------------------------------------------------------------------------

def _b(x):
    return x if isinstance(x, bytes) else str(x).encode("utf-8")


def twilio_signature(token, url, pairs):
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + name1 + value1 + ...)) with the pairs
    sorted by name then value in byte order, identical pairs counted once."""
    items = sorted(set((_b(n), _b(v)) for n, v in pairs))
    data = _b(url) + b"".join(n + v for n, v in items)
    mac = hmac.new(_b(token), data, hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def form_encode(pairs):
    return "&".join(urllib.parse.quote_plus(_b(n)) + "=" + urllib.parse.quote_plus(_b(v))
                    for n, v in pairs).encode("ascii")


def new_sid():
    return "SM" + uuid.uuid4().hex


def sms_params(sid, from_, body, to="+13105550100", extra=()):
    """The parameters Twilio posts for an inbound SMS (empty location fields included: they
    are signed too)."""
    pairs = [("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sid), ("NumMedia", "0"),
             ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", "CA"),
             ("SmsStatus", "received"), ("FromCity", ""), ("Body", body),
             ("FromCountry", "US"), ("To", to), ("ToZip", ""), ("NumSegments", "1"),
             ("MessageSid", sid), ("AccountSid", "AC" + "0" * 32), ("From", from_),
             ("ApiVersion", "2010-04-01")]
    return pairs + list(extra)


# ---- server ---------------------------------------------------------------------------------

class Server:
    """One switchboard database in a temp dir, and the `serve` process that uses it."""

    def __init__(self, h, name="srv", db=None, env=None, migrate=True, twilio=True):
        self.h = h
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="sb-it-%s-" % name)
        self.db = db or os.path.join(self.dir, "switchboard.db")
        self.env = dict(env or {})
        self.twilio = twilio
        self.proc = None
        self.port = None
        self.log_path = None
        self.starts = 0
        h._servers.append(self)
        if migrate:
            r = self.cli("migrate")
            if r.returncode != 0:
                raise RuntimeError("migrate failed (%d): %s" % (r.returncode, r.stderr))

    # CLI
    def cli(self, *args, env=None, timeout=120, stdin=None):
        e = base_env()
        e["SWITCHBOARD_DB"] = self.db
        e.update(env or {})
        return subprocess.run([self.h.binary] + list(args), env=e, cwd=self.dir,
                              capture_output=True, text=True, timeout=timeout,
                              input=stdin, start_new_session=True)

    def token(self, role, name=None):
        r = self.cli("token", "create", "--role", role, "--name", name or ("it-" + role))
        if r.returncode != 0:
            raise RuntimeError("token create failed (%d): %s" % (r.returncode, r.stderr))
        return r.stdout.strip()

    def sql(self, query, args=()):
        con = sqlite3.connect(self.db, timeout=30)
        try:
            cur = con.execute(query, args)
            rows = cur.fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    # process
    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, env=None, args=(), wait=True):
        for _attempt in range(3):
            self.port = free_port()
            e = base_env()
            e.update({"SWITCHBOARD_DB": self.db,
                      "SWITCHBOARD_LISTEN": "127.0.0.1:%d" % self.port,
                      "SWITCHBOARD_PUBLIC_URL": "http://127.0.0.1:%d" % self.port,
                      "SWITCHBOARD_LOG_LEVEL": "info"})
            if self.twilio:
                e["SWITCHBOARD_TWILIO_AUTH_TOKEN"] = TWILIO_TOKEN
            e.update(self.env)
            e.update(env or {})
            self.starts += 1
            self.log_path = os.path.join(self.dir, "serve-%d.log" % self.starts)
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen([self.h.binary, "serve"] + list(args), env=e,
                                             cwd=self.dir, stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
            if not wait:
                return self
            if self._wait_ready():
                return self
            if b"cannot listen" not in self.log_bytes():
                break
        raise RuntimeError("server did not start: %s" % self.log_tail())

    def _wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = request(self.port, "GET", "/health", timeout=2)
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        return False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_bytes(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return b""

    def log_tail(self, n=15):
        lines = self.log_bytes().decode("utf-8", "replace").splitlines()
        return " | ".join(lines[-n:])

    def sanitizer_report(self):
        data = self.log_bytes()
        if not has_sanitizer_report(data):
            return None
        text = data.decode("utf-8", "replace")
        for mark in SANITIZER_MARKS:
            i = text.find(mark.decode())
            if i >= 0:
                return text[max(0, i - 100):i + 600]
        return text[-600:]

    def terminate(self, timeout=20):
        """SIGTERM; returns (exit code or None on timeout, seconds taken)."""
        if not self.running():
            return (self.proc.returncode if self.proc else None), 0.0
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None, time.time() - t0
        return rc, time.time() - t0

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self, check_name=None):
        """Graceful stop; records a check that it exited 0 without sanitizer reports."""
        rc, secs = self.terminate()
        name = check_name or "%s: SIGTERM stops the server with exit 0 and no sanitizer report" \
            % self.name
        rep = self.sanitizer_report()
        self.h.ok(name, rc == 0 and rep is None,
                  "exit code %r after %.1fs; %s" % (rc, secs, rep or self.log_tail(5)))
        return rc

    def cleanup(self):
        if self.running():
            self.kill()
        if not os.environ.get("SB_IT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # HTTP
    def req(self, method, path, **kw):
        return request(self.port, method, path, **kw)

    def get(self, path, **kw):
        return request(self.port, "GET", path, **kw)

    def sms(self, pairs, sign=True, token=TWILIO_TOKEN, signature=None, path=None,
            sign_url=None, timeout=15, body=None):
        """Posts a (signed) Twilio SMS webhook; returns the Resp."""
        path = path or "/api/webhooks/twilio/sms"
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            hdrs["X-Twilio-Signature"] = signature
        elif sign:
            hdrs["X-Twilio-Signature"] = twilio_signature(token, sign_url or (self.url + path),
                                                          pairs)
        return request(self.port, "POST", path, body=body if body is not None
                       else form_encode(pairs), headers=hdrs, timeout=timeout)


# ---- checks ---------------------------------------------------------------------------------

class Harness:
    def __init__(self, time_limit=110):
        p = argparse.ArgumentParser()
        p.add_argument("--binary", default="build/asan/switchboard")
        self.args = p.parse_args()
        b = self.args.binary
        if not os.path.isabs(b) and not os.path.exists(b):
            b = os.path.join(REPO, b)
        self.binary = os.path.abspath(b)
        self.passed = self.failed = self.skipped = 0
        self._servers = []
        self._lock = threading.Lock()
        self._done = False
        self.t0 = time.time()
        self.time_limit = time_limit
        wd = threading.Thread(target=self._watchdog, daemon=True)
        wd.start()

    def _watchdog(self):
        while not self._done:
            time.sleep(0.5)
            if time.time() - self.t0 > self.time_limit and not self._done:
                self.fail("watchdog", "the test file ran longer than %ds: stopped" %
                          self.time_limit)
                self.cleanup()
                self.summary()
                sys.stdout.flush()
                os._exit(1)

    def _print(self, line):
        with self._lock:
            print(line, flush=True)

    def ok(self, name, cond, reason=""):
        if cond:
            with self._lock:
                self.passed += 1
            self._print("PASS " + name)
        else:
            with self._lock:
                self.failed += 1
            reason = str(reason).replace("\n", " ")
            if len(reason) > 1500:
                reason = reason[:1500] + "..."
            self._print("FAIL %s: %s" % (name, reason))
        return bool(cond)

    def fail(self, name, reason):
        return self.ok(name, False, reason)

    def eq(self, name, got, want, what=""):
        return self.ok(name, got == want, "%sgot %r, want %r" % (what + ": " if what else "",
                                                                 got, want))

    def skip(self, name, reason):
        with self._lock:
            self.skipped += 1
        self._print("SKIP %s: %s" % (name, reason))

    def error_shape(self, name, r, status, field="__any__", code=None):
        """Checks an error answer: status, JSON {detail, code, field}, the field named."""
        j = r.try_json()
        problems = []
        if r.status != status:
            return self.ok(name, False, "status %d, want %d (body %r)" % (
                r.status, status, r.body[:300]))
        if not isinstance(j, dict):
            problems.append("body is not a JSON object: %r" % r.body[:200])
        else:
            for k in ("detail", "code", "field"):
                if k not in j:
                    problems.append("no %r key" % k)
            if not isinstance(j.get("detail"), str) or not j.get("detail"):
                problems.append("detail is not a non-empty string")
            if code and j.get("code") != code:
                problems.append("code %r, want %r" % (j.get("code"), code))
            if field != "__any__" and j.get("field") != field:
                problems.append("field %r, want %r" % (j.get("field"), field))
        ct = r.header("Content-Type") or ""
        if not ct.startswith("application/json"):
            problems.append("Content-Type %r" % ct)
        return self.ok(name, not problems, "; ".join(problems) + " (body %r)" % r.body[:300])

    def section(self, name):
        return _Section(self, name)

    def server(self, name="srv", **kw):
        return Server(self, name=name, **kw)

    def cleanup(self):
        for s in list(self._servers):
            try:
                s.cleanup()
            except Exception:  # noqa: BLE001
                pass

    def summary(self):
        line = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        with self._lock:
            sys.stdout.flush()
            sys.stderr.flush()
            print(line, flush=True)


class _Section:
    """`with h.section("name"):` - an exception inside is one FAIL line (with where it came
    from), and the file goes on with the next section."""

    def __init__(self, h, name):
        self.h = h
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            return False
        if et is KeyboardInterrupt:
            return False
        where = traceback.extract_tb(tb)[-1]
        self.h.fail(self.name, "unexpected %s: %s (at %s:%d)" % (
            et.__name__, ev, os.path.basename(where.filename), where.lineno))
        return True


def main(run, time_limit=110):
    """Runs run(h), cleans up every server whatever happens, prints the summary, exits."""
    h = Harness(time_limit=time_limit)
    if not os.path.exists(h.binary):
        h.fail("setup", "binary %s not found (build it: make asan)" % h.binary)
    else:
        try:
            run(h)
        except Exception as e:  # noqa: BLE001
            where = traceback.extract_tb(e.__traceback__)[-1]
            h.fail("unexpected error", "%s: %s (at %s:%d)" % (
                type(e).__name__, e, os.path.basename(where.filename), where.lineno))
        finally:
            h.cleanup()
    h._done = True
    h.summary()
    sys.exit(0 if h.failed == 0 else 1)
