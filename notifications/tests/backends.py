"""Email backends that misbehave like real SMTP servers do, for the delivery tests."""

from __future__ import annotations

import os
import smtplib
import time

from django.core import mail
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

REFUSED = "refused@example.vn"


class RefusingBackend(LocmemBackend):
    """Refuses one address, as a server answering 550 to RCPT TO."""

    def send_messages(self, messages):
        for message in messages:
            if REFUSED in message.to:
                raise smtplib.SMTPRecipientsRefused({REFUSED: (550, b"No such user")})
        return super().send_messages(messages)


class DownBackend(LocmemBackend):
    """A server that does not answer."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")


class DroppingBackend(LocmemBackend):
    """Sends ``DROP_AFTER`` messages, then the connection drops."""

    DROP_AFTER = 2

    def send_messages(self, messages):
        if len(mail.outbox) >= self.DROP_AFTER:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class SlowFileBackend(FileBackend):
    """The file backend, a little slow (``DVK_TEST_EMAIL_DELAY`` seconds a message), so a
    test can kill a worker in the middle of a batch. One file per message."""

    def send_messages(self, messages):
        time.sleep(float(os.environ.get("DVK_TEST_EMAIL_DELAY", "0")))
        sent = 0
        for message in messages:
            # A file per message, named after the notification, written atomically.
            number = message.extra_headers.get("X-DVK-Notification", "x")
            path = os.path.join(self.file_path, f"{number}-{time.time_ns()}-{os.getpid()}.eml")
            with open(path + ".tmp", "wb") as handle:
                handle.write(message.message().as_bytes())
            os.replace(path + ".tmp", path)
            sent += 1
        return sent
