"""The root of the platform's own errors: their message is a sentence for the person who can fix it."""


class PlatformError(Exception):
    pass
