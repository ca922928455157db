"""The Ozon Seller API: the only way the system learns about purchases (postings and returns)."""
