"""Benchmark: certificates per second with and without the issuing body's seal.

    .venv/bin/python bench/bench_signatures.py [--count 200]

Everything happens in a throw-away folder (a fresh SQLite database, or BENCH_DATABASE_URL's,
which it migrates and fills: give it an empty one), with a throw-away CA and seal key made
by ``cryptography`` at run time. It issues a commendation decision with COUNT recipients and
its certificates, then measures in this process, one certificate file each (what a seal
applies to: a signed PDF cannot be joined with others):

- rendering each certificate alone (no seal);
- rendering and sealing each (PAdES B-B, visible stamp), in memory;
- ``certificates_seal``, what the worker runs after issuing: render, seal, store, record;
- checking an uploaded signed decision (what ``POST .../signed-pdf/`` costs);

and, for comparison, the batch print of one joined PDF (unsigned, for paper). Prints
certificates per second for each; exits 0 (it has no target: DESIGN.md sets none for the seal).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dvk-bench-sign-") as folder:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
                "DVK_VAR_DIR": folder,
                "SQLITE_PATH": str(Path(folder) / "bench.sqlite3"),
                "MEDIA_ROOT": str(Path(folder) / "media"),
                "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", ""),
                "CELERY_TASK_ALWAYS_EAGER": "false",
            }
        )
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return run(args.count, Path(folder))


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:6.1f} certificates/s ({seconds / count * 1000:5.0f} ms each)"


def run(count: int, folder: Path) -> int:
    from django.test.utils import override_settings

    from bench.bench_certificates import build, print_in_process
    from documents import rendering, services, signatures, signing
    from documents.tests.pki import CertificateAuthority

    decision, clerk, _seconds = build(count)
    certificates = services.certificates_issue(decision=decision, actor=clerk)
    issuer = decision.issuer

    ca = CertificateAuthority("Bench Root CA")
    seal_file = folder / "seal.p12"
    seal_file.write_bytes(ca.issue(issuer.name).pkcs12(b"bench"))
    os.environ["DVK_BENCH_SEAL_PASSWORD"] = "bench"
    keys = {issuer.code: {"pkcs12": str(seal_file), "password_env": "DVK_BENCH_SEAL_PASSWORD"}}
    roots = ca.write_pem(folder / "roots.pem")

    with override_settings(DOCUMENTS_SEAL_KEYS=keys, DOCUMENTS_TRUSTED_CA_FILE=str(roots)):
        key = signing.seal_key(issuer.code)
        # Warm-up: fonts, stylesheets, the key and the stamp's font loaded once per process.
        signatures.certificate_sealed_pdf(certificates[0], key)

        started = time.perf_counter()
        for certificate in certificates:
            rendering.render_certificates_pdf([(certificate.content, certificate.code)])
        plain = time.perf_counter() - started
        print(f"rendered one by one, no seal:        {_rate(count, plain)}")

        started = time.perf_counter()
        for certificate in certificates:
            signatures.certificate_sealed_pdf(certificate, key)
        sealed = time.perf_counter() - started
        print(f"rendered and sealed, in memory:      {_rate(count, sealed)}")
        print(f"  the seal adds {(sealed - plain) / count * 1000:.0f} ms per certificate")

        started = time.perf_counter()
        done = signatures.certificates_seal(certificate_ids=[c.pk for c in certificates])
        stored = time.perf_counter() - started
        assert done == count, done
        print(f"certificates_seal (render, seal, store, record): {_rate(count, stored)}")

        pdf = services.decision_pdf_bytes(decision=decision)
        signed = ca.issue("Nông Thị Ằng").sign(pdf)
        started = time.perf_counter()
        for _ in range(20):
            signing.check_signed_pdf(signed, expected_sha256=decision.sha256)
        print(
            f"checking an uploaded signed decision ({count}-row annex): "
            f"{(time.perf_counter() - started) / 20 * 1000:.0f} ms"
        )

    with override_settings(DOCUMENTS_PRINT_FAN_OUT=False):
        batch = print_in_process(decision, clerk, per_recipient=False)
    print(f"batch print, one joined PDF, no seal: {_rate(count, batch)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
