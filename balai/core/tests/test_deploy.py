"""The deployment files and docs/deploy.md: units, nginx site, settings lists, templates, and
the page's commands run by scripts/check_deploy.py."""

import ast
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.test import SimpleTestCase

from balai.conftest import require_service
from balai.core.tests import ops_support as ops
from balai.test import BaseTestCase

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
DOC = (REPO / "docs" / "deploy.md").read_text()
sys.path.insert(0, str(REPO / "scripts"))
import check_deploy  # noqa: E402

UNITS = {
    "balai-web@.service": "8001",
    "balai-worker@.service": "1",
    "balai-backup.service": None,
    "balai-backup.timer": None,
}


def setting_names() -> set[str]:
    """Every environment variable Balai reads: settings.py's env helpers and balai serve's."""
    names = set()
    tree = ast.parse((REPO / "balai" / "settings.py").read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"envstr", "envbool", "envint", "envsecret", "envraw"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    serve = (REPO / "balai" / "core" / "management" / "commands" / "serve.py").read_text()
    names |= set(re.findall(r'os\.environ(?:\.get\(|\[)"([A-Z_]+)"', serve))
    return names


class SettingsListedTest(SimpleTestCase):
    def test_every_setting_is_documented_everywhere(self):
        names = setting_names()
        self.assertGreater(len(names), 35)
        self.assertIn("FIELD_ENCRYPTION_KEY", names)
        self.assertIn("METRICS_TOKEN", names)
        readme = (REPO / "README.md").read_text()
        example = (DEPLOY / "balai.env.example").read_text()
        in_example = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.M))
        for name in sorted(names):
            with self.subTest(name=name):
                self.assertTrue(f"`{name}`" in readme, f"{name}: add it to README's table")
                self.assertTrue(name in in_example, f"{name}: add it to deploy/balai.env.example")
        self.assertEqual(in_example - names, set(), "the example names unknown variables")


class TemplatesTest(BaseTestCase):
    def test_the_doc_shows_the_commands_output(self):
        out = io.StringIO()
        call_command("templates", format="markdown", stdout=out)
        table = re.search(r"<!-- templates:start -->\n(.*?)<!-- templates:end -->", DOC, re.S)
        self.assertIsNotNone(table)
        self.assertEqual(table.group(1), out.getvalue(), "regenerate with balai templates")

    def test_formats(self):
        from balai.core.wa_templates import STANDARD_TEMPLATES

        out = io.StringIO()
        call_command("templates", stdout=out)
        for t in STANDARD_TEMPLATES:
            self.assertIn(t.name, out.getvalue())
            # Meta numbers parameters {{1}}…{{n}} with none missing.
            numbers = sorted({int(n) for n in re.findall(r"\{\{(\d+)\}\}", t.body)})
            self.assertEqual(numbers, list(range(1, len(t.parameters) + 1)), t.name)
        self.assertIn("reengage", [t.purpose for t in STANDARD_TEMPLATES])
        with self.assertRaisesMessage(CommandError, "no village with slug 'nowhere'"):
            call_command("templates", village="nowhere")

    def test_a_villages_missing_templates(self):
        from balai.core.wa_templates import STANDARD_TEMPLATES
        from balai.whatsapp.models import Template

        first = STANDARD_TEMPLATES[0]
        Template.objects.create(
            village=self.village,
            name=first.name,
            purpose=first.purpose,
            body=first.body,
            status=Template.Status.APPROVED,
        )
        out = io.StringIO()
        call_command("templates", village=self.village.slug, stdout=out)
        lines = out.getvalue().splitlines()
        self.assertIn("disetujui", lines[0])
        self.assertEqual(sum("missing" in line for line in lines), len(STANDARD_TEMPLATES) - 1)
        self.assertNotIn("No approved reengage", out.getvalue())


class UnitsTest(SimpleTestCase):
    def test_exec_start_lines_are_valid_balai_commands(self):
        for name, instance in UNITS.items():
            unit = check_deploy.parse_unit((DEPLOY / "systemd" / name).read_text())
            if name.endswith(".timer"):
                self.assertEqual(unit["OnCalendar"], ["*-*-* 02:30:00"])
                continue
            env = {}
            for line in unit.get("Environment", []):
                env.update(word.split("=", 1) for word in shlex.split(line))
            commands = [c.lstrip("-") for c in unit.get("ExecStartPre", []) + unit["ExecStart"]]
            for command in commands:
                command = re.sub(r"\$\{(\w+)\}", lambda m, env=env: env[m.group(1)], command)
                argv = shlex.split(command.replace("%i", instance or ""))
                with self.subTest(unit=name, command=argv[1]):
                    self.assertEqual(argv[0], "/opt/balai/.venv/bin/balai")
                    self.assertEqual(unit["User"], ["balai"])
                    self.assertIn("/etc/balai/balai.env", unit["EnvironmentFile"])
                    cmd = load_command_class(get_commands()[argv[1]], argv[1])
                    parser = cmd.create_parser("balai", argv[1])
                    if argv[1] == "prune_db_task_results":
                        # Its parser checks the task backend, which tests replace: check
                        # the option names and values instead.
                        known = {o for a in parser._actions for o in a.option_strings}
                        self.assertLessEqual({a for a in argv[2:] if a.startswith("--")}, known)
                        self.assertEqual(argv[2:], ["--queue-name", "*", "--min-age-days", "14"])
                        continue
                    options = parser.parse_args(argv[2:])
                    if argv[1] == "worker":
                        self.assertEqual(set(options.queues.split(",")), set(settings.TASK_QUEUES))
                    if argv[1] == "serve":
                        self.assertEqual(options.bind, "127.0.0.1:8001")
                        self.assertIn(":8001", (DEPLOY / "nginx" / "balai.conf").read_text())

    def test_bad_options_would_be_caught(self):
        cmd = load_command_class("balai.core", "serve")
        with self.assertRaises(CommandError):
            cmd.create_parser("balai", "serve").parse_args(["--bnd", "x"])

    def test_systemd_analyze_verify(self):
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.skipTest("systemd-analyze is not installed (the option check above still ran)")
        tmp = Path(tempfile.mkdtemp(prefix="balai-units-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        env_file = tmp / "balai.env"
        env_file.write_text("SECRET_KEY=x\n")
        balai = Path(sys.executable).parent / "balai"
        paths = []
        for name, instance in UNITS.items():
            text = (DEPLOY / "systemd" / name).read_text()
            text = text.replace("/opt/balai/.venv/bin/balai", str(balai))
            text = text.replace("/etc/balai/balai.env", str(env_file))
            target = tmp / (name.replace("@.", f"@{instance}.") if instance else name)
            target.write_text(text)
            paths.append(str(target))
        result = subprocess.run(
            [tool, "verify", "--man=no", *paths], capture_output=True, text=True, cwd=tmp
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        # Unknown keys and other mistakes are only warnings: none may be printed.
        self.assertEqual(result.stderr.strip(), "")


class NginxTest(SimpleTestCase):
    def test_nginx_accepts_the_site(self):
        require_service(
            shutil.which("nginx") is not None, "nginx is not installed (make deploy-tools)"
        )
        tmp = Path(tempfile.mkdtemp(prefix="balai-nginx-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        ports = {"web1": 8001, "web2": 8002, "http": 8080, "https": 8443}
        site = check_deploy.nginx_site_for_test(
            (DEPLOY / "nginx" / "balai.conf").read_text(), tmp, ports, data_dir=tmp
        )
        conf = check_deploy.write_nginx_main(tmp, site)
        result = subprocess.run(
            ["nginx", "-t", "-c", str(conf), "-p", str(tmp)], capture_output=True, text=True
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("test is successful", result.stderr)

    def test_site_structure(self):
        site = (DEPLOY / "nginx" / "balai.conf").read_text()
        self.assertIn("proxy_set_header X-Forwarded-Proto $scheme;", site)
        self.assertRegex(site, r"location /media/ \{\s+return 404;")
        self.assertRegex(site, r"location = /metrics \{\s+return 404;")
        body = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
        self.assertGreaterEqual(body * 1024 * 1024, 10 << 20)  # the largest upload (PDF lesson)


class DocCommandsTest(SimpleTestCase):
    def test_every_command_is_run_or_explained(self):
        commands = check_deploy.doc_commands()
        self.assertGreater(len(commands), 30)
        missing = [c for c in commands if check_deploy.classify(c) is None]
        self.assertEqual(missing, [], "add them to EXERCISED or NOT_RUN in check_deploy.py")

    def test_wrapper_is_valid_sh(self):
        subprocess.run(["sh", "-n", str(DEPLOY / "bin" / "balai")], check=True)
        self.assertTrue(os.access(DEPLOY / "bin" / "balai", os.X_OK))

    def test_check_deploy_runs(self):
        """The page's commands for real (the quick subset; `make check-deploy` runs all)."""
        require_service(ops.pg_up(), "PostgreSQL is not running on 127.0.0.1:5432")
        result = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "check_deploy.py"), "--fast", "--quick"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-5000:])
        self.assertIn("all done", result.stdout)
