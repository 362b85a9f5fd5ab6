"""Real SMTP servers for the outbox tests (see smtp.py)."""
from tests.notifications.smtp import hang_up_server, smtp_server, tls_server  # noqa: F401
