"""Outgoing e-mail (the minister pack, reminders) through an SMTP relay with ``smtplib``.

The product speaks to one relay (``NAIO_SMTP_HOST``/``NAIO_SMTP_PORT``) without
authentication, as an internal government relay usually is; an empty host disables e-mail
and jobs that would send record their run as ``skipped``.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from etl.settings import Settings


class MailDisabled(RuntimeError):
    """No SMTP host is configured."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)


class Mailer:
    def __init__(self, settings: Settings, timeout: float = 30.0):
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.mail_from
        self.timeout = timeout

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(mail.to)
        msg["Subject"] = mail.subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or "localhost")
        msg.set_content(mail.body)
        for a in mail.attachments:
            msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
        return msg

    def send(self, mails: list[Mail]) -> int:
        """Send every mail over one connection; returns how many were sent."""
        if not self.enabled:
            raise MailDisabled("e-mail is disabled: NAIO_SMTP_HOST is empty")
        mails = [m for m in mails if m.to]
        if not mails:
            return 0
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo_or_helo_if_needed()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            for mail in mails:
                smtp.send_message(self.message(mail))
        return len(mails)
