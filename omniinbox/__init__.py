"""OmniInbox: one inbox where the social media team and the contact center promote and protect."""

__version__ = "0.1.0"
