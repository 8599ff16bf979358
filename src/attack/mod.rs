//! The MITRE ATT&CK index: STIX bundles (plain or gzip) and TAXII 2.0/2.1, with a disk cache.
