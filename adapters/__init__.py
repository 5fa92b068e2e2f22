"""Platform adapters: translate platform events into invocations, replies into native messages.

Import them by full name (`adapters.discord.render`) so our packages never shadow the
`discord` and `slack_bolt` libraries."""
