"""WebSocket close codes the gateway uses; herald.js knows each (4xxx mirror HTTP statuses)."""

from enum import IntEnum


class Close(IntEnum):
    UNSUPPORTED_DATA = 1003  # a binary frame: the gateway speaks JSON text frames only
    TRY_AGAIN_LATER = 1013  # too many sockets from this address still authenticating
    BAD_FRAME = 4400  # a frame that is not a JSON object, or malformed at the handshake
    UNAUTHORIZED = 4401  # bad, expired or foreign credentials, before any data
    TOKEN_EXPIRED = 4403  # the token expired and no fresh auth frame came in time
    TOO_SLOW = 4408  # the client stopped reading: its send queue filled up
    TOO_MANY_SOCKETS = 4409  # the reader already holds HERALD_WS_MAX_SOCKETS_PER_READER sockets
    RATE_LIMITED = 4429  # more client frames than allowed
