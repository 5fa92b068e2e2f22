"""The Slack adapter (slack-bolt): slash commands and buttons in, Block Kit out.

Modules: `adapter` (the bolt app, ack first; Events API redeliveries dropped), `inbound`
(payloads -> invocations), `render` (replies -> Block Kit, pure), `replies` (ack or
response_url), `identity` (users and groups), `sender` (posting anywhere), `webapi` (our own
retry policy), `workspaces` (which token speaks for which workspace), `installations` (OAuth
installs kept in our database), `cache` (bounded TTL map), `manifest` (the app manifest
generated from the command specs).
"""
