"""A channel for tests that kill a worker in the middle of an inbox batch."""

import os
import time

from notifications.channels import InAppChannel


class SlowInAppChannel(InAppChannel):
    """The inbox, pausing ``DVK_TEST_INBOX_DELAY`` seconds inside each batch's transaction
    (after the claim, before the commit). With ``DVK_TEST_TRACE_FILE`` it first writes the
    batch's message ids there, a line a batch, so a test knows which batch was in flight."""

    def send_batch(self, messages):
        trace = os.environ.get("DVK_TEST_TRACE_FILE")
        if trace:
            with open(trace, "a") as handle:
                handle.write(" ".join(str(message.pk) for message in messages) + "\n")
        time.sleep(float(os.environ.get("DVK_TEST_INBOX_DELAY", "0")))
        yield from super().send_batch(messages)
