"""Request authentication: SigV2 and SigV4 parsing, signing and checks."""
