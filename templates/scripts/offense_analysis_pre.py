# Workflow "Example of QRadar Advisor Offense Analysis with MITRE"
# Step "QRadar Advisor Offense Analysis", pre-processing script (python3).
#
# Analyse the QRadar offense this incident was escalated from: its id is in the incident's
# custom field qradar_id. The rule only shows the menu item when that field has a value; a
# workflow started some other way on an incident without one stops here with a clear message.

offense_id = incident.properties.qradar_id
if offense_id is None or str(offense_id).strip() == "":
    raise ValueError(
        "This incident has no QRadar offense id (its field qradar_id is empty), "
        "so there is no offense for QRadar Advisor to analyse."
    )
inputs.qradar_offense_id = str(offense_id).strip()
