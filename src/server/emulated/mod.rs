//! Emulated QRadar and QRadar Advisor endpoints, driven by scenario files.
