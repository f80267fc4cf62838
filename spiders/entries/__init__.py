"""Parsers of entry pages that are not HTML listings: feeds, sitemaps, the WordPress API.
Each is pure (bytes or text in, `Link`s out), like the page objects."""
