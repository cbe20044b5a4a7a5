#!/usr/bin/python3
"""pgtmp.py - a real, throwaway PostgreSQL server for tests (standard library only).

Starts a private PostgreSQL cluster in a temporary directory, on a free loopback port, with trust
authentication and fsync off, creates one database in it, and hands back its URL
`postgres://postgres@127.0.0.1:PORT/DBNAME`. Stopping it (`pg_ctl stop -m fast`) removes the
directory. Nothing outside that directory is touched: no system cluster, no service, no
configuration file of the machine.

As a module:

    import pgtmp                                  # sys.path.insert(0, "<repo>/tests/pg")
    try:
        with pgtmp.PgTmp(dbname="legacy") as pg:  # starts on enter, stops and removes on exit
            pg.psql_file("/tmp/legacy.sql")       # psql -v ON_ERROR_STOP=1 -f FILE URL
            pg.psql("SELECT count(*) FROM call_sessions")   # -> stdout text (-At)
            other = pg.create_database("second")  # -> the URL of a new database
            run_tests(pg.url)
    except pgtmp.Skip as e:                       # PostgreSQL is not installed (or unusable)
        print("SKIP:", e)

    reason = pgtmp.unavailable_reason()           # None when a server can be started

    pg = pgtmp.start(dbname="x")                  # the same without `with`: call pg.stop() later

Errors: `Skip` (a subclass of Exception) when there is no PostgreSQL to run - no binaries under
/usr/lib/postgresql/*/bin (or $PGTMP_BINDIR), or running as root without a `postgres` user to run
it as; `PgError` when it is installed but does not start, or a psql command fails (the message
carries the tail of the server log or of psql's stderr). A test harness that has no skip
mechanism of its own can catch `Skip` and report the check skipped with str(e) as the reason.

As a command (for shells, CI scripts and manual debugging):

    python3 tests/pg/pgtmp.py start DIR [--db NAME]   # prints the URL; the server keeps running
    python3 tests/pg/pgtmp.py url DIR                 # prints the URL of a running server
    python3 tests/pg/pgtmp.py stop DIR                # stops it and removes DIR

DIR must not exist or be empty; its state is kept in DIR/pgtmp.json. Exit status: 0 on success,
1 on failure, 77 when PostgreSQL is not available (the reason on stderr; 77 is the automake
"skipped" convention).

Details:
  - Binaries: initdb, pg_ctl and psql from the newest /usr/lib/postgresql/<version>/bin
    (PostgreSQL 15 on the project's machines; Debian package `postgresql-15`), or $PGTMP_BINDIR.
  - Root: initdb and the server refuse to run as root, so as root the directory is chowned to
    the `postgres` user and initdb/pg_ctl run through `runuser -u postgres --` (or `su` when
    runuser is missing). psql runs as the caller, over TCP, needing no password.
  - Layout: DIR/data (the cluster), DIR/sock (the unix socket directory, so nothing goes to
    /var/run/postgresql), DIR/server.log.
  - Server settings: listen_addresses=127.0.0.1, the chosen port, fsync=off,
    synchronous_commit=off, full_page_writes=off (fast and fine for data thrown away), plus any
    `settings={...}` passed to PgTmp. Authentication: trust for local and loopback
    (initdb --auth=trust); the superuser is `postgres`.
  - Port: a free loopback port is picked; if another process takes it before the server binds,
    the start is retried with a new port (3 attempts).
  - Children run with PG* environment variables removed, so a developer's PGHOST/PGPORT/...
    cannot redirect them.
"""
import argparse
import glob
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

__all__ = ["Skip", "PgError", "PgTmp", "start", "find_bindir", "unavailable_reason"]

DEFAULT_DB = "test"
RUN_AS = "postgres"


class Skip(Exception):
    """PostgreSQL cannot be run here (not installed, or no user to run it as)."""


class PgError(Exception):
    """PostgreSQL is installed but a step failed (initdb, start, psql)."""


def _version_key(path):
    m = re.search(r"/postgresql/([0-9]+(?:\.[0-9]+)?)/bin$", path)
    return float(m.group(1)) if m else -1.0


def find_bindir():
    """The directory holding initdb/pg_ctl: $PGTMP_BINDIR, else the newest
    /usr/lib/postgresql/*/bin that has them; None when there is none."""
    env = os.environ.get("PGTMP_BINDIR")
    cands = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key,
                                     reverse=True)
    for d in cands:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


def _psql_path(bindir):
    p = os.path.join(bindir, "psql") if bindir else None
    if p and os.access(p, os.X_OK):
        return p
    return shutil.which("psql")


def unavailable_reason():
    """None when a throwaway server can be started here, else why not (a sentence)."""
    bindir = find_bindir()
    if not bindir and os.environ.get("PGTMP_BINDIR"):
        return "PGTMP_BINDIR=%s has no initdb, pg_ctl and postgres" % os.environ["PGTMP_BINDIR"]
    if not bindir:
        return ("PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin; "
                "Debian: apt-get install postgresql-15)")
    if not _psql_path(bindir):
        return "psql is not installed (Debian: apt-get install postgresql-client-15)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return ("running as root and there is no '%s' user to run PostgreSQL as "
                    "(initdb refuses root)" % RUN_AS)
        if not shutil.which("runuser") and not shutil.which("su"):
            return "running as root and neither runuser nor su is available"
    return None


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, n=20):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return " | ".join(lines[-n:])
    except OSError:
        return "(no log)"


class PgTmp:
    """One throwaway PostgreSQL cluster with one database.

    PgTmp(dbname="test", dir=None, settings=None, bindir=None, start_timeout=60)
      dir: where to put it (must not exist or be empty; default: a new temp dir);
           removed by stop() either way.
    Attributes once started: url, port, host ("127.0.0.1"), dbname, dir, datadir, sockdir,
    log_path, bindir.
    """

    def __init__(self, dbname=DEFAULT_DB, dir=None, settings=None, bindir=None,
                 start_timeout=60):
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", dbname):
            raise ValueError("dbname must be a plain identifier: %r" % dbname)
        self.dbname = dbname
        self.dir = dir
        self.settings = dict(settings or {})
        self.bindir = bindir
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.port = None
        self.url = None
        self.datadir = self.sockdir = self.log_path = None
        self._started = False
        self._as_root = os.geteuid() == 0

    # ---- running commands ------------------------------------------------------------------

    def _server_cmd(self, argv):
        """argv run as the server's owner (postgres when we are root)."""
        if not self._as_root:
            return argv
        if shutil.which("runuser"):
            return ["runuser", "-u", RUN_AS, "--"] + argv
        return ["su", RUN_AS, "-s", "/bin/sh", "-c", " ".join(shlex.quote(a) for a in argv)]

    def _run_server_cmd(self, argv, timeout=120):
        r = subprocess.run(self._server_cmd(argv), cwd=self.dir, env=_clean_env(),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        return r

    def _bin(self, name):
        return os.path.join(self.bindir, name)

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self):
        """Creates the cluster, starts the server, creates the database; returns self.
        Raises Skip when PostgreSQL is not available, PgError when it fails."""
        reason = unavailable_reason() if not self.bindir else None
        if reason:
            raise Skip(reason)
        self.bindir = self.bindir or find_bindir()
        created_dir = False
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="pgtmp-")
            created_dir = True
        else:
            os.makedirs(self.dir, exist_ok=True)
            if os.listdir(self.dir):
                raise PgError("%s is not empty" % self.dir)
        try:
            self._start(created_dir)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, created_dir):
        self.dir = os.path.abspath(self.dir)
        os.chmod(self.dir, 0o700)
        self.datadir = os.path.join(self.dir, "data")
        self.sockdir = os.path.join(self.dir, "sock")
        self.log_path = os.path.join(self.dir, "server.log")
        os.mkdir(self.sockdir, 0o700)
        if self._as_root:
            pw = pwd.getpwnam(RUN_AS)
            for p in (self.dir, self.sockdir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            # the postgres user must be able to reach the directory
            parent = os.path.dirname(self.dir)
            while parent and parent != "/":
                st = os.stat(parent)
                if not st.st_mode & 0o001:
                    raise PgError("%s is not searchable by the %s user; use a directory under "
                                  "/tmp" % (parent, RUN_AS))
                parent = os.path.dirname(parent)
        r = self._run_server_cmd([self._bin("initdb"), "-D", self.datadir, "-U", "postgres",
                                  "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                                  "--no-instructions"])
        if r.returncode != 0 and "--no-instructions" in (r.stderr or ""):
            r = self._run_server_cmd([self._bin("initdb"), "-D", self.datadir, "-U", "postgres",
                                      "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        if r.returncode != 0:
            raise PgError("initdb failed (%d): %s" % (r.returncode, (r.stderr or r.stdout)[-800:]))
        last = ""
        for _attempt in range(3):
            self.port = _free_port()
            opts = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                    "unix_socket_directories": self.sockdir, "fsync": "off",
                    "synchronous_commit": "off", "full_page_writes": "off",
                    "max_connections": "50"}
            opts.update({k: str(v) for k, v in self.settings.items()})
            o = " ".join("-c %s=%s" % (k, shlex.quote(v)) for k, v in opts.items())
            r = self._run_server_cmd([self._bin("pg_ctl"), "-D", self.datadir, "-l",
                                      self.log_path, "-w", "-t", str(self.start_timeout),
                                      "-o", o, "start"], timeout=self.start_timeout + 30)
            if r.returncode == 0:
                break
            last = "pg_ctl start failed (%d): %s; log: %s" % (
                r.returncode, (r.stderr or r.stdout)[-400:], _tail(self.log_path))
            if "already in use" not in _tail(self.log_path, 40):
                raise PgError(last)
        else:
            raise PgError(last)
        self._started = True
        self.url = self.url_for(self.dbname)
        if self.dbname != "postgres":
            self.psql("CREATE DATABASE %s" % self.dbname, dbname="postgres")

    def url_for(self, dbname):
        return "postgres://postgres@%s:%d/%s" % (self.host, self.port, dbname)

    def create_database(self, name):
        """Creates another database in the same server; returns its URL."""
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ValueError("database name must be a plain identifier: %r" % name)
        self.psql("CREATE DATABASE %s" % name, dbname="postgres")
        return self.url_for(name)

    def running(self):
        return self._started

    def stop(self):
        """Stops the server (pg_ctl stop -m fast; SIGKILL of its postmaster if that fails) and
        removes the directory. Safe to call twice."""
        try:
            if self._started and self.datadir and os.path.isdir(self.datadir):
                r = self._run_server_cmd([self._bin("pg_ctl"), "-D", self.datadir, "-m", "fast",
                                          "-w", "-t", "30", "stop"], timeout=60)
                if r.returncode != 0:
                    self._kill_postmaster()
        except (OSError, subprocess.SubprocessError):
            self._kill_postmaster()
        finally:
            self._started = False
            if self.dir and os.path.isdir(self.dir) and not os.environ.get("PGTMP_KEEP"):
                shutil.rmtree(self.dir, ignore_errors=True)

    def _kill_postmaster(self):
        try:
            with open(os.path.join(self.datadir, "postmaster.pid")) as f:
                pid = int(f.readline().strip())
            os.kill(pid, signal.SIGKILL)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError, TypeError):
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- psql --------------------------------------------------------------------------------

    def psql_cmd(self, dbname=None):
        """The psql argv prefix for this server (-X: no ~/.psqlrc; ON_ERROR_STOP)."""
        return [_psql_path(self.bindir), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                self.url_for(dbname or self.dbname)]

    def psql(self, sql, dbname=None, timeout=120):
        """Runs SQL text (-At, unaligned, tuples only); returns stdout. PgError on failure."""
        r = subprocess.run(self.psql_cmd(dbname) + ["-At", "-c", sql], env=_clean_env(),
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise PgError("psql failed (%d) on %r: %s" % (r.returncode, sql[:120],
                                                          r.stderr[-800:]))
        return r.stdout

    def psql_file(self, path, dbname=None, timeout=600):
        """Loads a SQL file: psql -v ON_ERROR_STOP=1 -f FILE URL. PgError on failure."""
        r = subprocess.run(self.psql_cmd(dbname) + ["-f", path], env=_clean_env(),
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise PgError("psql -f %s failed (%d): %s" % (path, r.returncode, r.stderr[-800:]))
        return r


def start(dbname=DEFAULT_DB, dir=None, settings=None):
    """Starts a server (see PgTmp); returns the running PgTmp. Call .stop() when done."""
    return PgTmp(dbname=dbname, dir=dir, settings=settings).start()


# ---- command line ---------------------------------------------------------------------------

def _state_path(d):
    return os.path.join(d, "pgtmp.json")


def _cli(argv=None):
    p = argparse.ArgumentParser(prog="pgtmp.py",
                                description="Start or stop a throwaway PostgreSQL server.")
    p.add_argument("action", choices=("start", "stop", "url"))
    p.add_argument("dir")
    p.add_argument("--db", default=DEFAULT_DB, help="database to create (default %s)" %
                   DEFAULT_DB)
    a = p.parse_args(argv)
    d = os.path.abspath(a.dir)
    if a.action == "start":
        try:
            pg = PgTmp(dbname=a.db, dir=d).start()
        except Skip as e:
            print("pgtmp: skipped: %s" % e, file=sys.stderr)
            return 77
        except PgError as e:
            print("pgtmp: %s" % e, file=sys.stderr)
            return 1
        state = {"url": pg.url, "port": pg.port, "dbname": pg.dbname, "bindir": pg.bindir,
                 "datadir": pg.datadir, "sockdir": pg.sockdir, "log": pg.log_path}
        # pgtmp.json goes to DIR, owned by the caller; the data dir stays the server's
        with open(_state_path(d), "w") as f:
            json.dump(state, f, indent=1)
        print(pg.url)
        return 0
    try:
        with open(_state_path(d)) as f:
            state = json.load(f)
    except (OSError, ValueError) as e:
        print("pgtmp: no server state in %s: %s" % (d, e), file=sys.stderr)
        return 1
    if a.action == "url":
        print(state["url"])
        return 0
    pg = PgTmp(dbname=state["dbname"], dir=d, bindir=state["bindir"])
    pg.datadir, pg.sockdir, pg.log_path = state["datadir"], state["sockdir"], state["log"]
    pg.port, pg.url, pg._started = state["port"], state["url"], True
    pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
