"""herald-client: Herald's service API from Python.

    from herald_client import Herald
    herald = Herald("sk_…", "http://localhost:8000")
    herald.send(["ada"], content={"title": "Your report is ready"})
"""

from herald_client.client import AsyncHerald, Herald, Retries
from herald_client.errors import HeraldError
from herald_client.signing import BadSignature, mint_reader_token, verify_webhook

__all__ = ["AsyncHerald", "BadSignature", "Herald", "HeraldError", "Retries",
           "mint_reader_token", "verify_webhook"]
