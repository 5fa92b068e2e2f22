"""The Discord adapter (discord.py): slash commands and buttons in, embeds and views out.

Modules: `adapter` (client, lifecycle, command sync), `commands` (specs -> app_commands, with
French and English localisations), `inbound` (interactions -> Caller and Place), `responder`
(answer or defer within 3 s), `render` (replies -> embeds and buttons, pure), `buttons`
(buttons that survive restarts), `sender` (posting anywhere). Import them by full name
(`adapters.discord.render`): a bare `import discord` always means the library.
"""
