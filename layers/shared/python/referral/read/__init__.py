"""The admin API's read side: lists, feeds, rollups, ratings and exports as plain read models.

Modules read the table through the PynamoDB models and ``repository.keys``; what leaves the package is
a read model of ``views`` (str/int/Decimal fields), never a PynamoDB item.
"""
