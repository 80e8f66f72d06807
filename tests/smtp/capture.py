"""A real SMTP server (aiosmtpd) for the notification tests.

Usage: python capture.py PORT. Listens on 127.0.0.1:PORT, prints "ready", then one
JSON object per accepted message: envelope sender and recipients, subject,
Message-ID, the top content type and the text/plain and text/html parts, decoded
(line ends as "\n").
Stops when its standard input closes.
"""

import email
import json
import sys
from email import policy

from aiosmtpd.controller import Controller


class Capture:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                # SMTP carries CRLF line ends; the tests compare with "\n".
                parts[part.get_content_type()] = part.get_content().replace("\r\n", "\n")
        print(
            json.dumps(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "subject": str(message["subject"]),
                    "message_id": str(message["message-id"]),
                    "content_type": message.get_content_type(),
                    "text": parts.get("text/plain"),
                    "html": parts.get("text/html"),
                }
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


controller = Controller(Capture(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
