"""The root of Herald's own exceptions: ``except HeraldError`` catches every one of them."""


class HeraldError(Exception):
    """Something Herald itself detected and can explain."""
