"""The Discord adapter: slash commands, buttons, forms and the daily round over discord.py."""
