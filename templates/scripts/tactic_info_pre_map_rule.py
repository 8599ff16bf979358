# Workflow "Example of mapping QRadar rule to tactic" (on a "QRadar Reference Set" row)
# Step "MITRE Tactic Information", pre-processing script (python3).
#
# The previous step saved QRadar Advisor's mapping of the rule as workflow.properties.qraw_rule_map:
#   {"tactics": {"mapping": {"Initial Access": {"confidence": "high", "id": "TA0001", ...}}}}
# A rule QRadar Advisor has no mapping for comes back as {"tactics": {}}: the workflow stops
# here with a sentence saying so, rather than calling MITRE with nothing to look up.

rule_map = workflow.properties.qraw_rule_map
tactics = rule_map["tactics"] if rule_map is not None and "tactics" in rule_map else None
mapping = tactics["mapping"] if tactics is not None and "mapping" in tactics else None

if not mapping:
    raise ValueError(
        "QRadar Advisor has no MITRE ATT&CK mapping for the QRadar rule \"{0}\", "
        "so there is no tactic to look up.".format(row.source)
    )

# MITRE 1.0 splits the names on ", " (comma and space); 2.x splits on "," and trims.
inputs.mitre_tactic_name = ", ".join(mapping.keys())
