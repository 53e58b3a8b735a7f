"""Mastodon JSON and HTML of the demo world, as one instance renders them.

The shapes follow the recorded responses in ``shared/fixtures`` (statuses, accounts,
reblogs, quotes, cards, custom emoji); :class:`MastodonRender` is mixed into
:class:`scout_demo.mastodon_api.MastodonApp`.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from scout_demo.model import Account, Post, World, host_of, iso_ms
from scout_demo.tables import EU_FLAG, NOW


class MastodonRender:
    """Renders accounts and statuses for the instance ``index`` (caches per instance)."""

    world: World
    base: str
    index: int
    urls: list[str]
    _status_cache: dict[int, dict[str, Any]]
    _content_cache: dict[int, str]
    _account_cache: dict[int, dict[str, Any]]

    def home_base(self, acc: Account) -> str:
        return self.urls[acc.instance or 0]

    def emoji(self) -> dict[str, Any]:
        url = f"{self.base}/system/custom_emojis/images/000/000/001/original/{EU_FLAG}.png"
        return {
            "shortcode": EU_FLAG,
            "url": url,
            "static_url": url.replace("/original/", "/static/"),
            "visible_in_picker": True,
        }

    @staticmethod
    def _esc(text: str) -> str:
        return html.escape(text, quote=True).replace("&#x27;", "&#39;")

    def link_html(self, url: str) -> str:
        scheme, _, rest = url.partition("://")
        prefix = scheme + "://"
        if rest.startswith("www."):
            prefix, rest = prefix + "www.", rest[4:]
        if len(rest) > 30:
            shown = (
                f'<span class="ellipsis">{self._esc(rest[:30])}</span>'
                f'<span class="invisible">{self._esc(rest[30:])}</span>'
            )
        else:
            shown = f'<span class="">{self._esc(rest)}</span><span class="invisible"></span>'
        return (
            f'<a href="{self._esc(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{self._esc(prefix)}</span>{shown}</a>'
        )

    def mention_html(self, acc: Account) -> str:
        href = f"{self.home_base(acc)}/@{acc.username}"
        return (
            f'<span class="h-card" translate="no"><a href="{self._esc(href)}" '
            f'class="u-url mention">@<span>{self._esc(acc.username)}</span></a></span>'
        )

    def tag_html(self, tag: str, base: str) -> str:
        return (
            f'<a href="{base}/tags/{quote(tag.lower())}" class="mention hashtag" rel="tag">'
            f"#<span>{self._esc(tag)}</span></a>"
        )

    def note_html(self, text: str, base: str) -> str:
        paras = []
        for para in text.split("\n"):
            words = []
            for w in para.split(" "):
                if w.startswith("#") and len(w) > 1 and w[1:].replace("_", "").isalnum():
                    words.append(self.tag_html(w[1:], base))
                else:
                    words.append(self._esc(w))
            paras.append("<p>" + " ".join(words) + "</p>")
        return "".join(paras)

    def content_html(self, post: Post) -> str:
        cached = self._content_cache.get(post.idx)
        if cached is not None:
            return cached
        w = self.world
        author = w.accounts[post.author]
        base = self.home_base(author)
        out = ["<p>"]
        for seg in post.segments:
            kind = seg[0]
            if kind == "t":
                out.append(self._esc(seg[1]).replace("\n", "<br>"))
            elif kind == "tag":
                out.append(self.tag_html(seg[1], base))
            elif kind == "m":
                out.append(self.mention_html(w.accounts[seg[1]]))
            elif kind == "url":
                out.append(self.link_html(seg[1]))
            elif kind == "emoji":
                out.append(f":{seg[1]}:")
            elif kind == "p":
                out.append("</p><p>")
        out.append("</p>")
        if post.quote_of is not None:
            q = w.posts[post.quote_of]
            qurl = self.status_url(q)
            out.append(
                f'<p class="quote-inline">RE: <a href="{self._esc(qurl)}" target="_blank" '
                f'rel="nofollow noopener">{self._esc(qurl)}</a></p>'
            )
        text = "".join(out)
        self._content_cache[post.idx] = text
        return text

    def status_uri(self, post: Post) -> str:
        acc = self.world.accounts[post.author]
        lid = post.copies[acc.instance or 0]
        suffix = "/activity" if post.reblog_of is not None else ""
        return f"{self.home_base(acc)}/users/{acc.username}/statuses/{lid}{suffix}"

    def status_url(self, post: Post) -> str:
        acc = self.world.accounts[post.author]
        lid = post.copies[acc.instance or 0]
        if post.reblog_of is not None:
            return f"{self.home_base(acc)}/users/{acc.username}/statuses/{lid}/activity"
        return f"{self.home_base(acc)}/@{acc.username}/{lid}"

    def account_json(self, acc: Account) -> dict[str, Any]:
        cached = self._account_cache.get(acc.idx)
        if cached is not None:
            return cached
        w = self.world
        local = acc.instance == self.index
        base = self.home_base(acc)
        fields = []
        for name, value, verified in acc.fields:
            if value.startswith("https://"):
                vhtml = self.link_html(value).replace(
                    'rel="nofollow noopener"', 'rel="me nofollow noopener"'
                )
            else:
                vhtml = self._esc(value)
            verified_at = None
            if verified:
                ts = acc.created_at + timedelta(
                    days=3, seconds=acc.idx % 86400, milliseconds=acc.idx % 1000
                )
                verified_at = (
                    ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+00:00"
                )
            fields.append({"name": name, "value": vhtml, "verified_at": verified_at})
        avatar = f"{self.base}/system/accounts/avatars/{acc.idx:09d}/original/avatar.png"
        out: dict[str, Any] = {
            "id": str(w.account_local_id(acc, self.index)),
            "username": acc.username,
            "acct": acc.username if local else f"{acc.username}@{host_of(base)}",
            "display_name": acc.display_name,
            "locked": False,
            "bot": acc.is_bot,
            "discoverable": acc.discoverable,
            "indexable": acc.indexable,
            "group": False,
            "created_at": iso_ms(acc.created_at),
            "note": self.note_html(acc.bio, base),
            "url": f"{base}/@{acc.username}",
            "uri": World.actor_uri(base, acc.username),
            "avatar": avatar,
            "avatar_static": avatar,
            "avatar_description": "",
            "header": f"{self.base}/headers/original/missing.png",
            "header_static": f"{self.base}/headers/original/missing.png",
            "header_description": "",
            "followers_count": acc.followers,
            "following_count": acc.following,
            "statuses_count": acc.statuses_count,
            "last_status_at": (NOW - timedelta(days=acc.idx % 5)).date().isoformat(),
            "hide_collections": w.graph is not None and acc.idx in w.graph.hidden,
            "show_media": True,
            "show_media_replies": True,
            "show_featured": True,
            "emojis": [self.emoji()] if f":{EU_FLAG}:" in acc.display_name else [],
            "fields": fields,
        }
        if local:
            out["noindex"] = acc.noindex
            out["roles"] = []
        self._account_cache[acc.idx] = out
        return out

    def status_json(self, key: int, depth: int = 0) -> dict[str, Any]:
        cached = self._status_cache.get(key) if depth == 0 else None
        if cached is not None:
            return cached
        w = self.world
        post = w.status(key)
        author = w.accounts[post.author]
        lid = post.copies[self.index]
        local = author.instance == self.index
        out: dict[str, Any] = {
            "id": str(lid),
            "created_at": iso_ms(post.created_at),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": bool(post.spoiler),
            "spoiler_text": post.spoiler,
            "visibility": "public",
            "language": post.lang,
            "uri": self.status_uri(post),
            "url": self.status_url(post),
            "replies_count": post.replies,
            "reblogs_count": post.reposts,
            "favourites_count": post.likes,
            "quotes_count": post.quotes,
            "edited_at": None,
            "content": "",
            "filtered": [],
            "reblog": None,
        }
        if post.reblog_of is not None:
            out["reblog"] = self.status_json(post.reblog_of, depth)
            out.update(account=self.account_json(author), media_attachments=[], mentions=[])
            out.update(tags=[], emojis=[], quote=None, card=None, poll=None)
            out["replies_count"] = out["reblogs_count"] = out["favourites_count"] = 0
            self._status_cache[key] = out
            return out
        if post.reply_to is not None:
            parent = w.posts[post.reply_to]
            out["in_reply_to_id"] = str(parent.copies[self.index])
            out["in_reply_to_account_id"] = str(
                w.account_local_id(w.accounts[parent.author], self.index)
            )
        out["content"] = self.content_html(post)
        if local:
            out["application"] = {"name": "Web", "website": None}
        out["account"] = self.account_json(author)
        out["media_attachments"] = []
        mentions = []
        seen: set[int] = set()
        for seg in post.segments:
            if seg[0] == "m" and seg[1] not in seen:
                seen.add(seg[1])
                m = w.accounts[seg[1]]
                mbase = self.home_base(m)
                mentions.append(
                    {
                        "id": str(w.account_local_id(m, self.index)),
                        "username": m.username,
                        "url": f"{mbase}/@{m.username}",
                        "acct": m.username
                        if m.instance == self.index
                        else f"{m.username}@{host_of(mbase)}",
                    }
                )
        out["mentions"] = mentions
        tags = []
        for t in dict.fromkeys(t.lower() for t in post.tags):
            tags.append({"name": t, "url": f"{self.base}/tags/{quote(t)}"})
        out["tags"] = tags
        out["emojis"] = [self.emoji()] if ("emoji", EU_FLAG) in post.segments else []
        out["quote"] = None
        if post.quote_of is not None:
            q = w.posts[post.quote_of]
            if depth == 0:
                out["quote"] = {"state": "accepted", "quoted_status": self.status_json(q.idx, 1)}
            else:
                out["quote"] = {"state": "accepted", "quoted_status_id": str(q.copies[self.index])}
        out["card"] = None
        if post.link and post.idx % 2 == 0:
            out["card"] = {
                "url": post.link,
                "title": post.card_title,
                "description": "",
                "language": post.lang,
                "type": "link",
                "author_name": "",
                "author_url": "",
                "provider_name": "",
                "provider_url": "",
                "html": "",
                "width": 400,
                "height": 210,
                "image": None,
                "image_description": "",
                "embed_url": "",
                "blurhash": None,
                "published_at": None,
                "authors": [],
            }
        out["poll"] = None
        out["quote_approval"] = {"automatic": ["public"], "manual": [], "current_user": "automatic"}
        if depth == 0:
            self._status_cache[key] = out
        return out
