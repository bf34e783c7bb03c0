"""Channels other than Rasa's built-in ones.

`sms` (moments.channels.sms.SmsInput): text messages (SMS / WhatsApp) through a Twilio-style webhook at
/webhooks/sms/webhook, with numbered menus and replies split into SMS segments. `make sms` starts the
terminal phone simulator (moments.channels.simulator).
"""
