"""Scrapy settings for eci-scout (``scrapy.cfg`` points here). One place for all of them;
``crawler.app.crawl`` overrides a few per run (database path, campaign) at "cmdline" priority.
"""

from __future__ import annotations

from crawler.core import vocab

BOT_NAME = "eci-scout"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Identify honestly; SCOUT_CONTACT (env) may add an e-mail or URL for server admins.
USER_AGENT = vocab.USER_AGENT
ROBOTSTXT_OBEY = True

# Budgets come from rate-limit headers (crawler.fetch.middlewares.RateLimitMiddleware), not
# from guesses: it holds and paces each host's download slot, so waiting requests hold no
# downloader slot, and Scrapy's DownloaderAwarePriorityQueue (the default) feeds the hosts
# that are not held; instances are independent, so many run at once.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = False
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
# 5xx and timeouts: retried with a back-off (SCOUT_RETRY_BACKOFF), then the page is
# skipped and counted (scout/pages_skipped); the next run continues from the page before
RETRY_TIMES = 5
# 429 is handled by the rate-limit middleware, which waits for the reset first
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's RemoteControl runs Python sent to a local HTTP port and leaves token files
# behind when a run is killed: never in an unattended crawler
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# drops are expected (consent, duplicates across instances) and counted in the stats
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"

# a progress line on the terminal during `scout crawl` (switches itself off elsewhere)
EXTENSIONS = {
    "crawler.core.progress.ScrapyProgress": 500,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
}

# the address policy again at name resolution: only addresses it allows reach Twisted,
# so the address checked is the one connected to (crawler.fetch.resolver)
TWISTED_DNS_RESOLVER = "crawler.fetch.resolver.PolicyResolver"

DOWNLOADER_MIDDLEWARES = {
    # the address policy (crawler.core.net) on every request, redirect and response
    "crawler.fetch.address.AddressPolicyMiddleware": 50,
    "crawler.fetch.middlewares.RateLimitMiddleware": 590,
}
# the item pipeline chain and the store extension come from the pipelines' own add-on,
# named by string (platforms do not import pipelines; one list for Scrapy and the SDKs)
ADDONS = {"pipelines.addon.ScoutPipelines": 0}

# eci-scout's own settings (the only place their defaults are written)
SCOUT_DB = vocab.DEFAULT_DB
SCOUT_BATCH_SIZE = 2000
SCOUT_RESPECT_OPT_OUTS = True
# rate-limit middleware: requests kept in reserve per budget, the longest wait for a
# reset, retries of a 429 and the back-off when a 429 says nothing of when to retry
SCOUT_RATELIMIT_RESERVE = 1
SCOUT_RATELIMIT_MAX_WAIT = 900.0
SCOUT_429_RETRIES = 5
SCOUT_429_BACKOFF = 5.0
# the pause before the n-th retry of a request: SCOUT_RETRY_BACKOFF * 2**(n-1) s, <= 30 s
SCOUT_RETRY_BACKOFF = 0.5
# Mastodon's unauthenticated paging throttle (config/initializers/rack_attack.rb),
# assumed until a server shows its own; 0 assumes none
SCOUT_PAGING_LIMIT = 300
SCOUT_PAGING_WINDOW = 900.0
# after the timelines: who reblogged the most reblogged statuses collected, then the
# profiles of the most mentioned accounts not seen as authors
SCOUT_REBLOGGED_BY_MAX = 200
SCOUT_MENTION_LOOKUPS_MAX = 300

# The website pass (spiders.websites): a few pages per site, politely. One request at a
# time per site (host:port) with AutoThrottle pacing it by the site's own latency, never
# faster than DOWNLOAD_DELAY; small size, time and redirect caps; HTML only.
WEBSITE_SPIDER_SETTINGS = {
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_DELAY": 0.25,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_MAXSIZE": 2 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 1024 * 1024,
    "DOWNLOAD_TIMEOUT": 15,
    "REDIRECT_MAX_TIMES": 3,
    "RETRY_TIMES": 1,
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.fetch.address.AddressPolicyMiddleware": 50,
        "crawler.fetch.sites.SiteSlotMiddleware": 60,
        # websites publish no API rate-limit headers
        "crawler.fetch.middlewares.RateLimitMiddleware": None,
    },
}
# pages read per site when the campaign file does not say ([websites] max_pages); a
# site read less than this many days ago is not read again
SCOUT_WEBSITES_REFRESH_DAYS = 7.0
