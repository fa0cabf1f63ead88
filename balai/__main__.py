"""The ``balai`` command: Django's management commands with Balai's settings.

``balai demo [--port N] [--data-dir DIR]`` switches on demo mode before settings load, so
demo secrets and the SQLite file land in that data directory. A configuration error stops
start-up with one line saying what to fix.
"""

import os
import sys


def _early_demo_options(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] != "demo":
        return
    os.environ["BALAI_DEMO"] = "1"
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            os.environ["BALAI_DATA_DIR"] = os.path.abspath(argv[i + 1])
        elif arg.startswith("--data-dir="):
            os.environ["BALAI_DATA_DIR"] = os.path.abspath(arg.split("=", 1)[1])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balai.settings")
    _early_demo_options(argv)

    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as e:
        print(f"balai: configuration error: {e}", file=sys.stderr)
        sys.exit(2)

    from django.core.management import execute_from_command_line

    argv[0] = "balai"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
