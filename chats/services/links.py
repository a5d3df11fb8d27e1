"""Links shared in posts: normalising URLs, counting shares, and
recognising research (DOI, PubMed, PMC, arXiv) as studies."""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.db import connection, transaction

from chats.models import Link, Study

# Query parameters that only track the click; dropping them makes the same
# article shared from two newsletters one link.
TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src", "ref_url",
                   "_hsenc", "_hsmi", "si"}
TRACKING_PREFIXES = ("utm_", "hsa_")


def normalise_url(url: str) -> str:
    """A canonical form of ``url`` for counting shares, or "" if it is not http(s)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = urlencode(
        [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
         if not key.lower().startswith(TRACKING_PREFIXES) and key.lower() not in TRACKING_PARAMS]
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def domain_of(normalised_url: str) -> str:
    host = urlsplit(normalised_url).hostname or ""
    return host.removeprefix("www.")


# --- Studies -------------------------------------------------------------------

DOI_RE = re.compile(r"(10\.\d{4,9}/[^\s?#]+)", re.I)
DOI_HOSTS = {"doi.org", "dx.doi.org"}
PUBMED_PATH_RE = re.compile(r"^/(?:pubmed/)?(\d{1,9})/?$")
PMC_PATH_RE = re.compile(r"/(?:pmc/)?articles/(PMC\d+)", re.I)
ARXIV_PATH_RE = re.compile(r"^/(?:abs|pdf|html)/(?P<id>(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?(?:\.pdf)?/?$", re.I)


def study_identifier(url: str) -> tuple[str, str] | None:
    """``("doi" | "pmid" | "pmcid" | "arxiv_id", identifier)`` when ``url``
    points at a piece of research we can name, else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path)
    if host in DOI_HOSTS:
        match = DOI_RE.search(path)
        return ("doi", _clean_doi(match.group(1))) if match else None
    if host in {"ncbi.nlm.nih.gov", "pmc.ncbi.nlm.nih.gov", "europepmc.org"}:
        match = PMC_PATH_RE.search(path)
        if match:
            return "pmcid", match.group(1).upper()
    if host == "pubmed.ncbi.nlm.nih.gov" or (host == "ncbi.nlm.nih.gov" and path.startswith("/pubmed/")):
        match = PUBMED_PATH_RE.match(path)
        return ("pmid", match.group(1)) if match else None
    if host in {"arxiv.org", "export.arxiv.org"}:
        match = ARXIV_PATH_RE.match(path)
        return ("arxiv_id", match["id"]) if match else None
    # Publishers put the DOI in the path: /doi/10.1001/jama.2020.1234, /doi/full/...
    if "/doi/" in path:
        match = DOI_RE.search(path.split("/doi/", 1)[1])
        return ("doi", _clean_doi(match.group(1))) if match else None
    return None


def _clean_doi(doi: str) -> str:
    # DOIs are case-insensitive; trailing punctuation comes from prose.
    return doi.rstrip(".,;)/").lower()


@transaction.atomic
def studies_recognise(*, link_ids: Iterable[int]) -> int:
    """Attach the links among ``link_ids`` that point at research to their
    study (made when new). Returns how many links were recognised."""
    found: dict[str, dict[str, list[int]]] = {}  # kind -> identifier -> link ids
    links = Link.objects.filter(pk__in=list(link_ids), study__isnull=True).values_list("id", "url")
    for link_id, url in links.iterator(chunk_size=5000):
        identified = study_identifier(url)
        if identified is not None:
            kind, identifier = identified
            found.setdefault(kind, {}).setdefault(identifier, []).append(link_id)
    pairs: list[tuple[int, int]] = []  # (link id, study id)
    for kind, identifiers in found.items():
        Study.objects.bulk_create([Study(**{kind: identifier}) for identifier in identifiers], ignore_conflicts=True)
        study_ids = dict(Study.objects.filter(**{f"{kind}__in": list(identifiers)}).values_list(kind, "pk"))
        pairs += [(link_id, study_ids[identifier]) for identifier, ids in identifiers.items() for link_id in ids]
    if pairs:
        with connection.cursor() as cursor:
            cursor.execute("""
                UPDATE chats_link l SET study_id = v.study_id
                FROM unnest(%s::bigint[], %s::bigint[]) AS v(link_id, study_id) WHERE l.id = v.link_id
            """, [[link for link, _ in pairs], [study for _, study in pairs]])
    return len(pairs)


def links_recount(*, link_ids: Iterable[int]) -> None:
    """Share count and first post of each link, from what posts share it now
    (down to zero for a link no post shares any more)."""
    link_ids = list(link_ids)
    if not link_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE chats_link AS link SET
                share_count = (SELECT count(*) FROM chats_postlink pl WHERE pl.link_id = link.id),
                first_post_id = (
                    SELECT p.id FROM chats_postlink pl JOIN chats_post p ON p.id = pl.post_id
                    WHERE pl.link_id = link.id ORDER BY p.created_at, p.id LIMIT 1
                )
            WHERE link.id = ANY(%s)
            """,
            [link_ids],
        )
