"""Output checking: from a project's OUT folder to released files.

A researcher asks for files to be released; each file is snapshotted (content
hash), checked automatically for statistical disclosure, and reviewed by two
independent output checkers before anything leaves the platform.
"""
