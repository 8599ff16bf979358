# Workflow "Example of QRadar Advisor Offense Analysis with MITRE"
# Step "MITRE Tactic Information", pre-processing script (python3).
#
# Ask the MITRE integration about every tactic QRadar Advisor related to the offense. The
# previous step saved its result as workflow.properties.qraw_offense_insights; its
# insights["tactics"] entries carry the tactic NAME in "tactic_id" (QRadar Advisor's naming),
# for example {"tactic_id": "Command and Control", "confidence": 60}.
#
# When QRadar Advisor found no observables (insights == {"status_code": 404}) or no tactic, the
# workflow stops here with a sentence saying so, rather than calling MITRE with nothing to look
# up (MITRE 1.0 would fail with "Neither name nor id is provided").

offense_id = incident.properties.qradar_id
analysis = workflow.properties.qraw_offense_insights
insights = None
if analysis is not None and "insights" in analysis:
    insights = analysis["insights"]

if insights is None or "status_code" in insights:
    status = insights["status_code"] if insights is not None and "status_code" in insights else "none"
    raise ValueError(
        "QRadar Advisor found no observables for offense {0} (status code {1}), "
        "so there are no MITRE ATT&CK tactics to look up.".format(offense_id, status)
    )

tactic_names = []
tactics = insights["tactics"] if "tactics" in insights else None
for tactic in tactics or []:
    name = tactic["tactic_id"] if "tactic_id" in tactic else None
    if name and name not in tactic_names:
        tactic_names.append(name)

if not tactic_names:
    raise ValueError(
        "QRadar Advisor did not relate offense {0} to any MITRE ATT&CK tactic, "
        "so there is nothing to look up.".format(offense_id)
    )

# MITRE 1.0 splits the names on ", " (comma and space); 2.x splits on "," and trims.
inputs.mitre_tactic_name = ", ".join(tactic_names)
