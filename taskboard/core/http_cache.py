"""HTTP caching (lesson 12): an `ETag` for an answer, and `If-None-Match` judged by RFC 9110.

A client that has an answer sends its ETag back in `If-None-Match`; when the answer has not
changed, the server says so with a 304 and no body, and the client uses its copy.
"""

import hashlib
import re

# An entity-tag, RFC 9110 §8.8.3: an optional W/ (weak), then an opaque tag in double quotes.
_ENTITY_TAG = re.compile(r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"')


def weak_etag(body: bytes) -> str:
    """The ETag of `body`: a digest of its bytes, so every process and worker gives the same one.

    Not Python's `hash()`, which differs from one process to the next (PYTHONHASHSEED). Weak
    (`W/`): the same answer also goes out gzip-compressed (lesson 09's GZipMiddleware keeps the
    header), and a strong tag would promise the same bytes. `If-None-Match` compares tags
    weakly anyway, so a weak tag loses nothing there.
    """
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag`: then the client's copy is current, answer 304.

    RFC 9110 §13.1.2: `*` matches any current answer; otherwise the header is a list of
    entity-tags, compared weakly (`W/"x"` matches `"x"`). A header that is not a list of
    entity-tags (an unquoted `W/123`) matches nothing: the client gets the whole answer.
    """
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag.removeprefix("W/").strip('"') in _opaque_tags(if_none_match)


def _opaque_tags(field: str) -> list[str]:
    """The opaque tags of a list of entity-tags; none at all if the list is malformed."""
    tags: list[str] = []
    position, _ = _past_separators(field, 0)
    while position < len(field):
        tag = _ENTITY_TAG.match(field, position)
        if tag is None:
            return []
        tags.append(tag[1])
        position, comma = _past_separators(field, tag.end())
        if position < len(field) and not comma:
            return []  # two tags with no comma between, or junk after a tag
    return tags


def _past_separators(field: str, position: int) -> tuple[int, bool]:
    """Where the next list element starts (RFC 9110 §5.6.1: commas, blanks, empty elements),
    and whether a comma came before it."""
    comma = False
    while position < len(field) and field[position] in " \t,":
        comma = comma or field[position] == ","
        position += 1
    return position, comma
