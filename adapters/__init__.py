"""Platform adapters (console, Discord, Slack) and the composition root that wires them to the core."""
