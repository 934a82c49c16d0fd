"""A real SMTP server for the alert tests (aiosmtpd from Debian's python3-aiosmtpd), on loopback.

Usage: smtp_server.py PORT MODE CERT KEY USER PASSWORD
  MODE starttls: plain greeting, STARTTLS required before AUTH and mail;
  MODE tls: TLS from the first byte (implicit TLS).
AUTH (PLAIN or LOGIN) is required, and only this user and password pass.
Prints "ready" once listening, then one JSON line per message taken:
  {"auth": user, "mail_from", "rcpt_tos", "data", "tls": bool}
and one per refused login: {"refused": user}. Stops when stdin closes.
"""
import json
import logging
import warnings
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    port, mode, cert, key, user, password = sys.argv[1:7]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    def emit(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def authenticator(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            ok = login == user and auth_data.password.decode("utf-8", "replace") == password
            if not ok:
                emit({"refused": login, "mechanism": mechanism})
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            emit({
                "auth": session.authenticated and user,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "mail_options": envelope.mail_options,
                "data": envelope.original_content.decode("utf-8", "replace"),
                "tls": server.transport.get_extra_info("sslcontext") is not None,
            })
            return "250 Message accepted for delivery"

    kwargs = dict(hostname="127.0.0.1", port=int(port), authenticator=authenticator,
                  auth_required=True, auth_require_tls=True, decode_data=False)
    if mode == "tls":
        kwargs["ssl_context"] = ctx
        # aiosmtpd knows TLS only from STARTTLS: it would hide AUTH on an implicit TLS port
        kwargs["auth_require_tls"] = False
    else:
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    controller = Controller(Handler(), **kwargs)
    controller.start()
    emit({"ready": True})
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
