"""Websites of leads: which URLs to read (:mod:`crawler.sites.candidates`), and what a
page says (:mod:`crawler.sites.extract` for contact routes and links,
:mod:`crawler.sites.legal` for legal form, register number and country). Pure
functions over strings and parsel selectors; the Scrapy spider is
:mod:`spiders.websites`."""
