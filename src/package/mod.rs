//! The "QRadar Advisor and MITRE ATT&CK" package (`qraw_mitre.res`) as typed definitions.
