"""Run docs/deploy.md's commands in order on this machine, in a temporary folder and database.

    uv run python scripts/check_deploy.py           # everything (make check-deploy)
    uv run python scripts/check_deploy.py --fast    # reuse this checkout's .venv and a
                                                    # migrated template database
    uv run python scripts/check_deploy.py --fast --quick   # the test's subset: without
        # check --deploy, createsuperuser, templates (tested in process) and the upgrade

Paths of the page are mapped into a temporary folder (/opt/balai/.venv → a fresh venv or this
one, /etc/balai → tmp/etc, /var/lib/balai → tmp/data, /var/backups/balai → tmp/backups), the
`balai` wrapper from deploy/bin runs the management commands, and the units' own `ExecStart`
lines start two web processes and two workers. nginx runs deploy/nginx/balai.conf on high ports
with a self-signed certificate. The check overrides three settings of a real install:
SITE_URL points at the first web process and SIMULATOR_ENABLED is on, so the connected number
sends its replies to Balai's fake Cloud API instead of Meta's, and it uses its own database
role. `EXERCISED` and `NOT_RUN` say, for every command line on the page, how it is run here or
why it cannot be; balai/core/tests/test_deploy.py fails when a line is in neither.
"""

import argparse
import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DOC = REPO / "docs" / "deploy.md"
DEPLOY = REPO / "deploy"
PG = "postgres://postgres@127.0.0.1:5432/postgres"
# Per run, so two runs (the SQLite and PostgreSQL passes of the suite) never meet.
DB = ROLE = f"balai_ops_deploy_{os.getpid()}"
DRILL = f"{DB}_drill"
PHONE_NUMBER_ID = "109000000000777"
# Every setting's name (set or commented out in the example): none is inherited from the
# caller's environment, so the environment file alone configures what runs.
SETTING_NAMES = set(
    re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (DEPLOY / "balai.env.example").read_text(), flags=re.M)
) | {"DJANGO_SETTINGS_MODULE"}

# Every command line of docs/deploy.md's ```sh blocks matches one pattern of these two lists.
EXERCISED = [
    (r"^cd /opt/balai && uv sync --frozen --no-dev$", "uv sync --frozen --no-dev into tmp/venv"),
    (r"^install -m 0755 deploy/bin/balai /usr/local/bin/balai$", "copied to tmp/bin/balai"),
    (r"^runuser -u postgres -- psql -c \"CREATE ROLE", "psql -U postgres -c CREATE ROLE"),
    (r"^runuser -u postgres -- (createdb|dropdb) ", "createdb/dropdb -U postgres"),
    (r"^install -d .*/etc/balai$", "tmp/etc"),
    (r"^install .*balai\.env\.example /etc/balai/balai\.env$", "copied to tmp/etc/balai.env"),
    (r"^editor /etc/balai/balai\.env$", "values filled in by this script"),
    (r"^balai (migrate|collectstatic --noinput|check --deploy|createsuperuser)$", "wrapper"),
    (r"^balai templates( --village pondok)?$", "wrapper"),
    (r"^balai backup --output ", "wrapper"),
    (r"^(DATABASE_URL=\S+ MEDIA_ROOT=\S+ )balai restore ", "wrapper, variables win"),
    (r"^cp deploy/systemd/", "units copied to tmp/systemd, their ExecStart lines run"),
    (r"^install -d -o balai -g balai -m 0750 /var/backups/balai$", "tmp/backups"),
    (
        r"^systemctl enable --now balai-web@8001 balai-web@8002 balai-worker@1 balai-worker@2$",
        "the units' ExecStart lines started as processes",
    ),
    (r"^systemctl start balai-backup$", "balai-backup.service's ExecStart run"),
    (
        r"^systemctl restart balai-(worker@1 balai-worker@2|web@8001|web@8002)$",
        "SIGTERM, then the unit's ExecStart again",
    ),
    (r"^cp deploy/nginx/balai\.conf /etc/nginx/sites-available/balai$", "copied to tmp/nginx"),
    (
        r"^ln -s /etc/nginx/sites-available/balai /etc/nginx/sites-enabled/balai$",
        "included by tmp/nginx/nginx.conf",
    ),
    (r"^nginx -t$", "nginx -t -c tmp/nginx/nginx.conf"),
    (r"^systemctl reload nginx$", "nginx started with the site"),
    (r"^curl -fsS ", "curl against the first web process"),
]
NOT_RUN = [
    (r"^apt-get install ", "system packages: this machine's come from the Makefile targets"),
    (r"^adduser ", "a system user: the check runs as the current user"),
    (r"^python3 -m venv /opt/uv ", "installing uv: this machine has it"),
    (r"^git clone ", "the check runs from this checkout"),
    (r"^cd /opt/balai && git pull ", "the check runs from this checkout"),
    (r"^systemctl daemon-reload$", "no systemd here: units checked by systemd-analyze verify"),
    (r"^systemctl enable --now balai-backup\.timer$", "no systemd here: timer verified"),
    (r"^certbot ", "needs a public host name: a self-signed certificate stands in"),
    (r"^rm /etc/nginx/sites-enabled/default$", "no default site here"),
]


def doc_commands(text: str | None = None) -> list[str]:
    """The command lines of the page's ```sh blocks (comments dropped, continuations joined)."""
    text = DOC.read_text() if text is None else text
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        pending = ""
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            commands.append(pending + line)
            pending = ""
    return commands


def classify(command: str) -> tuple[str, str] | None:
    for kind, table in (("run", EXERCISED), ("not run", NOT_RUN)):
        for pattern, how in table:
            if re.search(pattern, command):
                return kind, how
    return None


class Check:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="balai-deploy-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.started = time.monotonic()
        self.user = getpass.getuser()
        self.ports = {name: free_port() for name in ["web1", "web2", "http", "https"]}
        self.venv = self.tmp / "venv" if not args.fast else Path(sys.prefix)
        self.env_file = self.tmp / "etc" / "balai.env"
        self.password = secrets.token_urlsafe(16)
        self.settings: dict[str, str] = {}
        self.front = ""

    # --- helpers ---------------------------------------------------------------------------

    def step(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:5.1f} s] {text}", flush=True)

    def map_paths(self, text: str) -> str:
        for old, new in [
            ("/opt/balai/.venv", str(self.venv)),
            ("/etc/balai", str(self.tmp / "etc")),
            ("/var/lib/balai", str(self.tmp / "data")),
            ("/var/backups/balai", str(self.tmp / "backups")),
        ]:
            text = text.replace(old, new)
        return text

    def balai(self, *args: str, env: dict | None = None, check: bool = True):
        """Through deploy/bin/balai, the way an operator runs a command."""
        full = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        full.update(env or {})
        full.update(
            BALAI_ENV_FILE=str(self.env_file),
            BALAI_HOME=str(self.tmp / "data"),
            BALAI_VENV=str(self.venv),
            BALAI_USER=self.user,
        )
        result = subprocess.run(
            [str(self.tmp / "bin" / "balai"), *args],
            env=full,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise SystemExit(f"balai {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def psql(self, sql: str, url: str = PG) -> str:
        return subprocess.run(
            ["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def unit(self, name: str) -> dict[str, list[str]]:
        return parse_unit(self.map_paths((self.tmp / "systemd" / name).read_text()))

    def start_unit(self, template: str, instance: str) -> None:
        unit = self.unit(template)
        env = dict(self.settings)
        for line in unit.get("Environment", []):
            for word in shlex.split(line):
                key, _, value = word.partition("=")
                env.setdefault(key, value)
        extra = self.tmp / "etc" / f"worker-{instance}.env"
        if extra.exists():
            env.update(read_env_file(extra))
        [command] = unit["ExecStart"]
        command = command.replace("%i", instance)
        command = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], command)
        argv = shlex.split(command)
        if template.startswith("balai-web"):
            argv[argv.index("--bind") + 1] = f"127.0.0.1:{self.port_of(instance)}"
        name = template.replace("@.service", f"@{instance}")
        log = (self.tmp / "logs" / f"{name}.log").open("ab")
        full = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        full.update(env)
        self.procs[name] = subprocess.Popen(
            argv,
            env=full,
            cwd=unit["WorkingDirectory"][0],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def port_of(self, instance: str) -> int:
        return {"8001": self.ports["web1"], "8002": self.ports["web2"]}[instance]

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait_for(self, what: str, test, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited:\n{self.log_tail(name)}")
            try:
                if test():
                    return
            except Exception as e:  # not up yet
                last = e
            time.sleep(0.2)
        raise SystemExit(
            f"timed out waiting for {what} (last error: {last!r})\n"
            + "\n".join(map(self.log_tail, self.procs))
        )

    def log_tail(self, name: str) -> str:
        path = self.tmp / "logs" / f"{name}.log"
        return f"--- {name}\n" + (path.read_text(errors="replace")[-3000:] if path.exists() else "")

    def curl(self, *args: str) -> str:
        result = subprocess.run(
            ["curl", "-fsS", "--max-time", "10", *args], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return result.stdout

    # --- the page, in order -----------------------------------------------------------------

    def run(self) -> None:
        try:
            self.install()
            self.database()
            self.configure()
            self.schema()
            self.services()
            self.nginx()
            if not self.args.quick:
                self.meta()
            self.monitoring()
            self.webhook()
            self.backups()
            if not self.args.quick:
                self.upgrade()
            self.step(f"all done in {time.monotonic() - self.started:.1f} s")
        finally:
            for name in list(self.procs):
                self.stop(name)
            self.cleanup()

    def install(self) -> None:
        for folder in ["etc", "data", "backups", "bin", "logs", "systemd", "nginx"]:
            (self.tmp / folder).mkdir()
        if self.args.fast:
            self.step(f"uv sync: skipped (--fast), using {self.venv}")
        else:
            self.step("cd /opt/balai && uv sync --frozen --no-dev")
            subprocess.run(
                ["uv", "sync", "--frozen", "--no-dev", "--quiet"],
                cwd=REPO,
                env=dict(os.environ, UV_PROJECT_ENVIRONMENT=str(self.venv)),
                check=True,
            )
        self.step("install -m 0755 deploy/bin/balai /usr/local/bin/balai")
        shutil.copy(DEPLOY / "bin" / "balai", self.tmp / "bin" / "balai")
        os.chmod(self.tmp / "bin" / "balai", 0o755)  # noqa: S103 (as the page installs it)

    def database(self) -> None:
        self.step("CREATE ROLE, createdb --owner")
        self.drop_databases()
        self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'")
        if self.args.fast:
            from balai.core.tests.ops_support import migrated_postgres

            migrated_postgres(DB)  # a migrated copy; `balai migrate` below has nothing to do
            self.psql(f"ALTER DATABASE {DB} OWNER TO {ROLE}")
            self.psql(
                "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' LOOP EXECUTE format('ALTER TABLE %I OWNER TO "
                f"{ROLE}', r.tablename); END LOOP; END $$",
                f"postgres://postgres@127.0.0.1:5432/{DB}",
            )
        else:
            subprocess.run(
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", "--owner", ROLE, DB], check=True
            )

    def drop_databases(self) -> None:
        for name in (DB, DRILL):
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.psql(f"DROP ROLE IF EXISTS {ROLE}")

    def configure(self) -> None:
        self.step("install … balai.env.example /etc/balai/balai.env; editor /etc/balai/balai.env")
        text = self.map_paths((DEPLOY / "balai.env.example").read_text())
        values = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"postgres://{ROLE}:{self.password}@127.0.0.1:5432/{DB}",
            "ALLOWED_HOSTS": "balai.example.id,127.0.0.1,localhost",
            "WHATSAPP_APP_SECRET": secrets.token_urlsafe(32),
            "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(32),
            "METRICS_TOKEN": secrets.token_urlsafe(32),
        }
        lines = []
        for line in text.splitlines():
            key = line.split("=", 1)[0]
            if key in values:
                line = f"{key}={values[key]}"
            lines.append(line)
        # The check's own differences from a real install (see the module's docstring).
        lines += [
            f"SITE_URL=http://127.0.0.1:{self.ports['web1']}",
            "SIMULATOR_ENABLED=true",
            "LOG_LEVEL=WARNING",
        ]
        self.env_file.write_text("\n".join(lines) + "\n")
        self.settings = read_env_file(self.env_file)
        assert "change-me" not in self.env_file.read_text(), "a required value is still unset"

    def schema(self) -> None:
        commands = [["migrate"], ["collectstatic", "--noinput"], ["check", "--deploy"]]
        for args in commands[:2] if self.args.quick else commands:
            self.step("balai " + " ".join(args))
            out = self.balai(*args, "-v0" if args[0] != "check" else "--fail-level=ERROR")
            if args[0] == "check":
                assert "ERRORS" not in out.stderr, out.stderr
        if not self.args.quick:
            self.step("balai createsuperuser (--noinput here)")
            self.balai(
                "createsuperuser",
                "--noinput",
                env={
                    "DJANGO_SUPERUSER_USERNAME": "admin",
                    "DJANGO_SUPERUSER_EMAIL": "admin@balai.invalid",
                    "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16),
                },
            )
        assert (self.tmp / "data" / "static").is_dir(), "collectstatic wrote nothing"
        # What the platform operator then does in /admin/ and the console: a village with a
        # number (on the simulator, see the docstring).
        self.balai(
            "shell",
            "--no-imports",
            "-c",
            "from balai.test import make_village; "
            "from balai.whatsapp.models import WhatsAppNumber; "
            "v = make_village('pondok', 'Pondok', 'Asia/Jakarta', '33.11.02.2010', 'Jawa Tengah'); "
            f"WhatsAppNumber.objects.create(village=v, phone_number_id='{PHONE_NUMBER_ID}', "
            "display_number='15550783881', is_simulated=True)",
        )

    def services(self) -> None:
        self.step(
            "cp deploy/systemd/… ; systemctl enable --now balai-web@8001 balai-web@8002 "
            "balai-worker@1 balai-worker@2 (their ExecStart lines)"
        )
        for path in (DEPLOY / "systemd").iterdir():
            shutil.copy(path, self.tmp / "systemd" / path.name)
        for instance in ("8001", "8002"):
            self.start_unit("balai-web@.service", instance)
        for instance in ("1", "2"):
            self.start_unit("balai-worker@.service", instance)
        for web in ("web1", "web2"):
            url = f"http://127.0.0.1:{self.ports[web]}/healthz/ready"
            self.wait_for(url, lambda url=url: '"status": "ok"' in self.curl(url))

    def nginx(self) -> None:
        if not shutil.which("nginx"):
            self.step("nginx is not installed: skipped (make deploy-tools installs it)")
            self.front = f"http://127.0.0.1:{self.ports['web1']}"
            return
        self.step("cp deploy/nginx/balai.conf …; ln -s …; nginx -t; systemctl reload nginx")
        site = nginx_site_for_test(
            (DEPLOY / "nginx" / "balai.conf").read_text(),
            self.tmp / "nginx",
            self.ports,
            data_dir=self.tmp / "data",
        )
        conf = write_nginx_main(self.tmp / "nginx", site)
        subprocess.run(
            ["nginx", "-t", "-q", "-c", str(conf), "-p", str(self.tmp / "nginx")], check=True
        )
        log = (self.tmp / "logs" / "nginx.log").open("ab")
        self.procs["nginx"] = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(self.tmp / "nginx"), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.front = f"https://127.0.0.1:{self.ports['https']}"
        self.wait_for("nginx", lambda: "ok" in self.curl("-k", self.front + "/healthz/ready"))
        redirect = subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                f"http://127.0.0.1:{self.ports['http']}/",
            ],
            capture_output=True,
            text=True,
        ).stdout
        assert redirect == "301", f"http:// should redirect, got {redirect}"
        media = subprocess.run(
            ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", self.front + "/media/x"],
            capture_output=True,
            text=True,
        ).stdout
        assert media == "404", f"/media/ must not be served, got {media}"

    def meta(self) -> None:
        self.step("balai templates; balai templates --village pondok")
        listed = self.balai("templates").stdout
        assert "balai_kabar_baru" in listed, listed
        village = self.balai("templates", "--village", "pondok").stdout
        assert "missing" in village and "No approved reengage template" in village, village

    def monitoring(self) -> None:
        base = f"http://127.0.0.1:{self.ports['web1']}"
        self.step("curl /healthz, /healthz/ready, /metrics")
        assert self.curl(base + "/healthz") == "ok"
        ready = json.loads(self.curl(base + "/healthz/ready"))
        assert ready["status"] == "ok", ready
        token = self.settings["METRICS_TOKEN"]
        metrics = self.curl("-H", f"Authorization: Bearer {token}", base + "/metrics")
        assert "balai_outbox_lag_seconds" in metrics, metrics

    def webhook(self) -> None:
        self.step("a signed webhook through nginx, processed and answered")
        wamid = f"wamid.deploycheck.{secrets.token_hex(6)}"
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550783881",
                                        "phone_number_id": PHONE_NUMBER_ID,
                                    },
                                    "contacts": [
                                        {"profile": {"name": "Siti"}, "wa_id": "6281234567890"}
                                    ],
                                    "messages": [
                                        {
                                            "from": "6281234567890",
                                            "id": wamid,
                                            "timestamp": str(int(time.time())),
                                            "type": "text",
                                            "text": {"body": "halo"},
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        secret = self.settings["WHATSAPP_APP_SECRET"].encode()
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        (self.tmp / "webhook.json").write_bytes(body)
        self.curl(
            "-k",
            "-X",
            "POST",
            self.front + "/whatsapp/webhook",
            "-H",
            "Content-Type: application/json",
            "-H",
            f"X-Hub-Signature-256: {signature}",
            "--data-binary",
            f"@{self.tmp / 'webhook.json'}",
        )
        url = self.settings["DATABASE_URL"]
        self.wait_for(
            "the message processed and a reply sent",
            lambda: (
                self.psql(f"SELECT state FROM whatsapp_inboundmessage WHERE wamid = '{wamid}'", url)
                == "processed"
                and self.psql(
                    "SELECT COUNT(*) FROM whatsapp_outboundmessage WHERE \"to\" = '6281234567890' "
                    "AND state IN ('sent', 'delivered', 'read')",
                    url,
                )
                != "0"
            ),
        )
        self.wamid = wamid

    def backups(self) -> None:
        self.step("balai backup --output …/manual.tar.gz (while everything runs)")
        archive = self.tmp / "backups" / "manual.tar.gz"
        out = self.balai("backup", "--output", str(archive))
        assert "encryption keys are NOT in this backup" in out.stderr, out.stderr
        self.step("systemctl start balai-backup (its ExecStartPre and ExecStart)")
        unit = self.unit("balai-backup.service")
        for command in [c.lstrip("-") for c in unit["ExecStartPre"]] + unit["ExecStart"]:
            self.balai(*shlex.split(command)[1:])
        assert len(list((self.tmp / "backups").glob("balai-backup-*.tar.gz"))) == 1
        self.step("restore drill: createdb; DATABASE_URL=… MEDIA_ROOT=… balai restore; dropdb")
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", "--owner", ROLE, DRILL], check=True
        )
        drill = f"postgres://{ROLE}:{self.password}@127.0.0.1:5432/{DRILL}"
        out = self.balai(
            "restore",
            str(archive),
            env={"DATABASE_URL": drill, "MEDIA_ROOT": str(self.tmp / "data" / "drill-media")},
        )
        assert "checksums and row counts verified" in out.stdout, out.stdout
        state = self.psql(
            f"SELECT state FROM whatsapp_inboundmessage WHERE wamid = '{self.wamid}'", drill
        )
        assert state == "processed", state
        refused = self.balai("restore", str(archive), env={"DATABASE_URL": drill}, check=False)
        assert refused.returncode == 1 and "already holds data" in refused.stderr, refused.stderr
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", DRILL], check=True
        )

    def upgrade(self) -> None:
        self.step("upgrade: balai backup; uv sync; balai migrate; collectstatic")
        self.balai("backup", "--output", str(self.tmp / "backups" / "before-upgrade.tar.gz"))
        if not self.args.fast:
            subprocess.run(
                ["uv", "sync", "--frozen", "--no-dev", "--quiet"],
                cwd=REPO,
                env=dict(os.environ, UV_PROJECT_ENVIRONMENT=str(self.venv)),
                check=True,
            )
        self.balai("migrate", "-v0")
        self.balai("collectstatic", "--noinput", "-v0")
        self.step("systemctl restart balai-worker@1 balai-worker@2; web@8001, ready, web@8002")
        for instance in ("1", "2"):
            self.stop(f"balai-worker@{instance}")
            self.start_unit("balai-worker@.service", instance)
        for instance, port in (("8001", "web1"), ("8002", "web2")):
            self.stop(f"balai-web@{instance}")
            if "nginx" in self.procs:  # the other web process answers through nginx meanwhile
                assert "ok" in self.curl("-k", self.front + "/healthz")
            self.start_unit("balai-web@.service", instance)
            url = f"http://127.0.0.1:{self.ports[port]}/healthz/ready"
            self.wait_for(url, lambda url=url: '"status": "ok"' in self.curl(url))

    def cleanup(self) -> None:
        if self.args.keep:
            print(f"kept {self.tmp} and the database {DB}")
            return
        try:
            self.drop_databases()
        except subprocess.CalledProcessError as e:
            print(f"could not drop the check's databases: {e.stderr}", file=sys.stderr)
        shutil.rmtree(self.tmp, ignore_errors=True)


# ruff: noqa: S608 (SQL built from this script's own constants and generated ids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def parse_unit(text: str) -> dict[str, list[str]]:
    """A systemd unit's keys (all sections), each with every value in order."""
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def self_signed(folder: Path, host: str = "balai.example.id") -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    crt, pem = folder / "fullchain.pem", folder / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem


def nginx_site_for_test(site: str, folder: Path, ports: dict, data_dir: Path) -> str:
    """deploy/nginx/balai.conf with this machine's ports, a self-signed certificate, and no
    IPv6 listeners (a container may have none)."""
    crt, pem = self_signed(folder / "certs")
    site = site.replace("/etc/letsencrypt/live/balai.example.id/fullchain.pem", str(crt))
    site = site.replace("/etc/letsencrypt/live/balai.example.id/privkey.pem", str(pem))
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{ports['web1']}")
    site = site.replace("127.0.0.1:8002", f"127.0.0.1:{ports['web2']}")
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{ports['http']};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{ports['https']} ssl")
    site = site.replace("/var/lib/balai", str(data_dir))
    site = site.replace("/var/www/html", str(folder / "www"))
    return site


def write_nginx_main(folder: Path, site: str) -> Path:
    """A main nginx.conf that includes the site like Debian's sites-enabled does."""
    (folder / "sites-available").mkdir(parents=True, exist_ok=True)
    (folder / "sites-enabled").mkdir(exist_ok=True)
    (folder / "temp").mkdir(exist_ok=True)
    os.chmod(folder / "temp", 0o777)  # noqa: S103 (nginx's workers run as nobody)
    (folder / "sites-available" / "balai").write_text(site)
    enabled = folder / "sites-enabled" / "balai"
    if not enabled.exists():
        enabled.symlink_to(folder / "sites-available" / "balai")
    conf = folder / "nginx.conf"
    temp = folder / "temp"
    conf.write_text(
        f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        "http {\n    include /etc/nginx/mime.types;\n"
        f"    access_log {folder / 'access.log'};\n"
        + "".join(
            f"    {kind}_temp_path {temp / kind};\n"
            for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        )
        + f"    include {folder / 'sites-enabled'}/*;\n}}\n"
    )
    return conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="reuse .venv and a migrated template")
    parser.add_argument("--quick", action="store_true", help="the test's subset (see above)")
    parser.add_argument("--keep", action="store_true", help="keep the folder and database")
    parser.add_argument("--list", action="store_true", help="show how each doc command is run")
    args = parser.parse_args()
    if args.list:
        for command in doc_commands():
            kind, how = classify(command) or ("UNCOVERED", "")
            print(f"{kind:9} {command}\n          → {how}")
        return
    uncovered = [c for c in doc_commands() if classify(c) is None]
    if uncovered:
        raise SystemExit(
            "docs/deploy.md commands neither run nor explained:\n" + "\n".join(uncovered)
        )
    Check(args).run()


if __name__ == "__main__":
    main()
