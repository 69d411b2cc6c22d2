"""A real SMTP server for the tests of `vader serve`'s mail: STARTTLS required, then AUTH
(PLAIN or LOGIN) with one user, then every accepted message is saved as MAILDIR/<n>.eml.
Recipients at `refused.example` are refused for good (550).

Started by tests/support/smtp.rs; prints "ready" on stdout once it listens on 127.0.0.1.
"""

import argparse
import os
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SaveToMaildir:
    """Writes each message, as received, to the next free `<n>.eml` (temp file, then rename)."""

    def __init__(self, maildir):
        self.maildir = maildir
        self.lock = threading.Lock()
        self.next = 1 + sum(1 for name in os.listdir(maildir) if name.endswith(".eml"))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A recipient the server refuses for good, to test permanent rejections.
        if address.lower().endswith("@refused.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self.lock:
            n = self.next
            self.next += 1
        final = os.path.join(self.maildir, "%06d.eml" % n)
        temp = final + ".tmp"
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, final)
        return "250 Message accepted for delivery"


class OneUser:
    """Accepts only the given login and password, whatever the mechanism (PLAIN or LOGIN)."""

    def __init__(self, user, password):
        self.user = user.encode("utf-8")
        self.password = password.encode("utf-8")

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


def main():
    # aiosmtpd 1.4 warns about its own use of Session.login_data.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()

    os.makedirs(args.maildir, exist_ok=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    controller = Controller(
        SaveToMaildir(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=OneUser(args.user, args.password),
    )
    controller.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    # Also stop when the harness goes away (stdin closes).
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
