"""Notifications: in-app notices (a bell with the unread count, a page of them) and e-mail through the
configured SMTP server, sent only after the transaction that raised them commits."""
