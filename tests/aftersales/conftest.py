from tests.support.smtp import smtp_server  # noqa: F401
