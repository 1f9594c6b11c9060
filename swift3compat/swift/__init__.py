"""The only code that speaks Swift: subrequests (backend), THE registry of
stored names (sysmeta), bucket configuration storage, versions, uploads,
conditional-write locks, tags and expiry headers, checksum I/O."""
