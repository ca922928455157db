"""The participants' Telegram bot: routing, dialogs, operator topics, notifications and digests."""
