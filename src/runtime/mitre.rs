//! The MITRE integration functions (`mitre_tactic_information`, `mitre_technique_information`) over the ATT&CK index.
