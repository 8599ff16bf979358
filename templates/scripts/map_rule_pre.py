# Workflow "Example of mapping QRadar rule to tactic" (on a "QRadar Reference Set" row)
# Step "QRadar Advisor Map Rule", pre-processing script (python3).
#
# The row's "source" says how the value got into the reference set: the name of the QRadar
# rule that added it, or a user name when someone added it by hand. QRadar Advisor maps rule
# names to MITRE ATT&CK tactics. The rule only shows the menu item on rows whose source has a
# value.

rule_name = row.source
if rule_name is None or str(rule_name).strip() == "":
    raise ValueError(
        "This reference set row has no source, so there is no QRadar rule to map to a "
        "MITRE ATT&CK tactic."
    )
inputs.qradar_rule_name = rule_name
