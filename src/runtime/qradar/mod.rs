//! QRadar Advisor, CAFM and QRadar clients and the three QRadar functions.
