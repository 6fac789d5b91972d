"""Print the demo logins that `manage.py seed_demo` made (used by `./dvk run`)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

try:
    from core import demo
    from core.management.commands.seed_demo import logins_table

    title = f"Demo logins / Tài khoản demo (password / mật khẩu: {demo.DEMO_PASSWORD})"
    lines = logins_table(demo.demo_logins())
except Exception as exc:  # the demo data is optional: never stop the start-up for it
    print(f"  (no demo logins: {exc.__class__.__name__}: {exc})")
else:
    print(f"  {title}")
    for line in lines:
        print(f"  {line}")
