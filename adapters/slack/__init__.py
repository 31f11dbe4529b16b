"""The Slack adapter: slack-bolt's AsyncApp in Socket Mode or HTTP mode, translating to the core."""
