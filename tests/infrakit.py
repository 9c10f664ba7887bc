"""Throwaway Mosquitto brokers and PostgreSQL clusters for the studio tests (real servers, on
127.0.0.1 at a free port, in a temporary folder); each can be stopped and started again."""

from __future__ import annotations

import abc
import contextlib
import glob
import os
import pwd
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Deadline for a server to start or stop: generous, only to catch a hang.
START_TIMEOUT_S = 60.0
#: The unprivileged account that runs PostgreSQL when the tests run as root (initdb refuses root).
PG_ACCOUNTS = ("postgres", "ashipg")


class InfraError(RuntimeError):
    """A test server could not be found, started or stopped."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll `ready` (an external process offers nothing to wait on) until true or the deadline."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise InfraError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.02)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True
    except OSError:
        return False


def _program(name: str, folders: list[str]) -> str:
    """The path of an installed server program; InfraError saying how to install it if none."""
    for folder in folders:
        path = Path(folder) / name
        if path.is_file():
            return str(path)
    found = shutil.which(name)
    if found is None:
        raise InfraError(
            f"{name} not found in {folders} or PATH: run scripts/test, which installs the Debian "
            "packages mosquitto and postgresql"
        )
    return found


def _chown_tree(folder: Path, account: pwd.struct_passwd) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)


class ThrowawayServer(abc.ABC):
    """A server program of our own with its files in a temporary folder (made with tempfile,
    not pytest's tmp_path: mode 0700 under root's folder, which the server's unprivileged
    account cannot enter). Subclasses start and stop it; close() also removes the folder."""

    #: The server's log file in the folder.
    log_name = "server.log"

    def __init__(self, prefix: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))

    @abc.abstractmethod
    def start(self) -> None:
        """Start the server (again, with its data) and wait until it accepts connections."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the server if it runs."""

    def log(self) -> str:
        """What the server logged (for a failing test's message)."""
        with contextlib.suppress(FileNotFoundError):
            return (self.folder / self.log_name).read_text(errors="replace")
        return ""

    def close(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


# -- Mosquitto -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MqttAccount:
    """A broker login and the topic filters it may read and write (the ACL)."""

    user: str
    password: str
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


def studio_accounts(studio: str, rooms: tuple[str, ...]) -> list[MqttAccount]:
    """The studio's logins: "desk" reads everything; each room writes (and reads) only
    ashisense/<studio>/<room>/#."""
    desk = MqttAccount("desk", secrets.token_hex(8), read=("ashisense/#",))
    return [desk] + [
        MqttAccount(room, secrets.token_hex(8), write=(f"ashisense/{studio}/{room}/#",))
        for room in rooms
    ]


def _acl_text(accounts: list[MqttAccount]) -> str:
    lines = []
    for a in accounts:
        lines.append(f"user {a.user}")
        lines += [f"topic read {t}" for t in a.read if t not in a.write]
        lines += [f"topic readwrite {t}" for t in a.write]
        lines.append("")
    return "\n".join(lines)


class MosquittoBroker(ThrowawayServer):
    """A Mosquitto broker of its own: config, password file (mosquitto_passwd) and ACL in a
    temporary folder, no anonymous login, persistence on (QoS 1 messages survive a restart)."""

    log_name = "mosquitto.log"

    def __init__(self, accounts: list[MqttAccount]) -> None:
        super().__init__("ashisense-mqtt-")
        self.accounts = {a.user: a for a in accounts}
        self.port = free_port()
        self._exe = _program("mosquitto", ["/usr/sbin"])
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        (self.folder / "data").mkdir()
        passwd = self.folder / "passwd"
        passwd.touch()
        tool = _program("mosquitto_passwd", ["/usr/bin"])
        for a in self.accounts.values():
            subprocess.run([tool, "-b", str(passwd), a.user, a.password], check=True)
        (self.folder / "acl").write_text(_acl_text(list(self.accounts.values())))
        (self.folder / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {self.folder / 'acl'}\n"
            "persistence true\n"
            f"persistence_location {self.folder / 'data'}/\n"
            "autosave_interval 1\n"
            f"log_dest file {self.folder / self.log_name}\n"
            "log_type all\n"
        )
        if os.geteuid() == 0:  # mosquitto drops root for its own account, which must read these
            _chown_tree(self.folder, pwd.getpwnam("mosquitto"))

    def url(self, user: str, scheme: str = "mqtt") -> str:
        """mqtt://user:password@127.0.0.1:port for one of the accounts."""
        a = self.accounts[user]
        return f"{scheme}://{a.user}:{a.password}@127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the broker (again) on the same port and wait until it accepts connections."""
        if self.running:
            return
        self._proc = subprocess.Popen([self._exe, "-c", str(self.folder / "mosquitto.conf")])
        wait_until(lambda: self._accepts_or_died(), f"mosquitto on port {self.port}")

    def _accepts_or_died(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            log = self.log()[-2000:]
            raise InfraError(f"mosquitto exited with {self._proc.returncode}:\n{log}")
        return _accepts(self.port)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the broker: SIGTERM (it saves its persistence file) or SIGKILL (a crash)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        proc.wait(START_TIMEOUT_S)


# -- PostgreSQL ----------------------------------------------------------------------------


def pg_bindir() -> str:
    """Debian's PostgreSQL programs (/usr/lib/postgresql/<version>/bin, newest version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    return str(Path(_program("initdb", found[::-1])).parent)


def _pg_account() -> pwd.struct_passwd | None:
    """Who runs the cluster: None (ourselves) unless we are root; then Debian's `postgres`
    account, or an `ashipg` system account made for the purpose."""
    if os.geteuid() != 0:
        return None
    for name in PG_ACCOUNTS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "ashipg"],
        check=True,
    )
    return pwd.getpwnam("ashipg")


class PostgresCluster(ThrowawayServer):
    """A PostgreSQL cluster of its own (initdb in a temporary folder owned by an unprivileged
    account), listening on 127.0.0.1 at a free port, password login for `user` over TCP."""

    user = "ashi"
    log_name = "postgres.log"

    def __init__(self) -> None:
        self.password = secrets.token_hex(12)
        self.port = free_port()
        self.bindir = pg_bindir()
        self._account = _pg_account()
        super().__init__("ashisense-pg-")
        self.running = False
        self._initdb()

    def _run(self, *args: str) -> None:
        account = self._account
        result = subprocess.run(
            [f"{self.bindir}/{args[0]}", *args[1:]],
            cwd=self.folder,
            user=None if account is None else account.pw_uid,
            group=None if account is None else account.pw_gid,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
        if result.returncode != 0:
            log = self.log()[-2000:]
            raise InfraError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}\n{log}"
            )

    def _initdb(self) -> None:
        (self.folder / "pwfile").write_text(self.password + "\n")
        (self.folder / "socket").mkdir()
        if self._account is not None:
            _chown_tree(self.folder, self._account)
        self._run(
            "initdb", "-D", "data", "-U", self.user, "--pwfile=pwfile", "--auth-local=trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        """Start the cluster (again, with its data) and wait until it accepts connections."""
        if self.running:
            return
        options = (
            f"-p {self.port} -k {self.folder / 'socket'} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"  # a throwaway: no OS crash to survive
        )
        self._run("pg_ctl", "-D", "data", "-l", self.log_name, "-o", options, "-w", "start")
        self.running = True

    def stop(self, *, immediate: bool = False) -> None:
        """Stop the cluster: fast (clean) or immediate (as if the server died)."""
        if self.running:
            self._run("pg_ctl", "-D", "data", "-m", "immediate" if immediate else "fast", "stop")
            self.running = False

    def url(self, dbname: str = "postgres", *, password: bool = True) -> str:
        """postgresql://ashi:password@127.0.0.1:port/dbname (without the password if asked)."""
        login = f"{self.user}:{self.password}" if password else self.user
        return f"postgresql://{login}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


# -- an MQTT client for tests --------------------------------------------------------------


class MqttProbe:
    """A paho MQTT v5 client logged in to a test broker that hands every answer over a queue:
    connect, subscribe and publish wait for the broker's reply, messages arrive on `messages`."""

    def __init__(
        self,
        broker: MosquittoBroker,
        user: str,
        *,
        password: str | None = None,
        client_id: str | None = None,
        session_expiry_s: int = 0,
    ) -> None:
        """session_expiry_s > 0 (with a fixed client_id): resume the session the broker kept,
        and keep it that long after disconnecting (QoS 1 messages queue meanwhile)."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.messages: queue.Queue[Any] = queue.Queue()
        self._replies: queue.Queue[tuple[str, Any]] = queue.Queue()
        account = broker.accounts[user]
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"probe-{user}-{secrets.token_hex(4)}",
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(user, account.password if password is None else password)
        self.client.on_connect = lambda _c, _u, _f, rc, _p: self._replies.put(("connect", rc))
        self.client.on_subscribe = lambda _c, _u, _m, rcs, _p: self._replies.put(("sub", rcs))
        self.client.on_publish = lambda _c, _u, _m, rc, _p: self._replies.put(("pub", rc))
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry_s
        self.client.connect(
            "127.0.0.1", broker.port, keepalive=10, clean_start=session_expiry_s == 0,
            properties=props,
        )  # fmt: skip
        self.client.loop_start()
        self.connect_code = self._reply("connect")

    def _reply(self, kind: str) -> Any:
        got_kind, value = self._replies.get(timeout=START_TIMEOUT_S)
        assert got_kind == kind, f"expected the broker's {kind} reply, got {got_kind}: {value}"
        return value

    def subscribe(self, topic: str, qos: int = 1) -> Any:
        """Subscribe and wait for the SUBACK; returns its reason codes."""
        self.client.subscribe(topic, qos)
        return self._reply("sub")

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> Any:
        """Publish at QoS 1 and wait for the PUBACK; returns its reason code."""
        self.client.publish(topic, payload, qos)
        return self._reply("pub")

    def next_message(self, timeout_s: float = 10.0) -> Any:
        return self.messages.get(timeout=timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
